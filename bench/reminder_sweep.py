"""How long the reminder sweep's computation of what is due takes (not the sending).

    .venv/bin/python -m bench.reminder_sweep [--repeat 7]

The full roster (98 municipalities in P1, P2 and K91) with the demo's recorded progress, one
channel per wave (and the wave managers' escalations are the same computation), at two moments:
2020-01-21 08:05, when P2 counts down to KP-3 and K91 has deadlines, and 2020-03-24 08:05, when
all 91 K91 municipalities are in the KP-3 countdown (readiness and critical chain for each).
Then 5x and 10x the roster, with synthetic municipalities that copy the real ones (wave, state).
Each run builds a fresh snapshot, as a sweep does; the sweep looks 3 days back. Prints the median
time to find what is due (every tick; the target) and, separately, that plus today's countdown
readiness per municipality, which only a new countdown message needs (once a day per gate).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.demo import demo_database
from bench.figures import Figure, table
from bot.clock import FixedClock
from bot.heap import collector_paused
from bot.runtime import open_runtime
from bot.settings import Settings
from rollout.graph import PlanGraph
from rollout.model import Municipality, TaskKey, TaskState
from rollout.reminders import Target, due_at, examined
from rollout.status import Rollout

CPH = ZoneInfo("Europe/Copenhagen")
MOMENTS = (datetime(2020, 1, 21, 8, 5, tzinfo=CPH), datetime(2020, 3, 24, 8, 5, tzinfo=CPH))
TARGET_MS = 100.0  # per tick on the full roster, the worst day included (issue 13)


def demo_state(
    template: Path | None = None,
) -> tuple[PlanGraph, dict[int, Municipality], dict[TaskKey, TaskState]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=demo_database(Path(tmp), template))
        runtime = open_runtime(settings, FixedClock(MOMENTS[0]))
        data = runtime.graph, runtime.store.municipalities(), runtime.store.task_states()
        runtime.engine.dispose()
        return data


def scaled(
    municipalities: dict[int, Municipality], states: dict[TaskKey, TaskState], factor: int
) -> tuple[dict[int, Municipality], dict[TaskKey, TaskState]]:
    """``factor`` times the roster: copies of each municipality under new codes, same state."""
    out_m = dict(municipalities)
    out_s = dict(states)
    for copy in range(1, factor):
        for code, m in municipalities.items():
            new = 1000 * copy + code
            out_m[new] = replace(m, code=new, name=f"{m.name} #{copy}", slug=f"{m.slug}-{copy}")
        for key, state in states.items():
            if key.municipality in municipalities:
                out_s[TaskKey(key.ref, 1000 * copy + key.municipality, key.connection)] = state
    return out_m, out_s


def measure(
    graph: PlanGraph,
    municipalities: dict[int, Municipality],
    states: dict[TaskKey, TaskState],
    moment: datetime,
    repeat: int,
) -> tuple[float, float, int, int]:
    """Median ms of (what is due, keys only: every tick) and (the same plus today's countdown
    readiness, which a message needs: the first tick of a day), the items, the instances."""
    targets = [Target("slack", f"C0{w}", w) for w in graph.plan.waves]
    due_ms, full_ms, items = [], [], 0
    for _ in range(repeat):
        rollout = Rollout(graph, municipalities, states)  # a fresh snapshot, as each sweep takes
        with collector_paused():  # as the sweep runs (bot/scheduler/sweep.py): timed inside
            start = time.perf_counter()
            found = due_at(rollout, targets, moment, lookback_days=3)
            due_ms.append((time.perf_counter() - start) * 1000)
            for item in found:
                if item.day == moment.date():
                    _ = item.readiness
            full_ms.append((time.perf_counter() - start) * 1000)
            items = len(found)
            del rollout, found
    instances = examined(Rollout(graph, municipalities, states), graph.plan.waves)
    return statistics.median(due_ms), statistics.median(full_ms), items, instances


def figures(
    repeat: int = 7, factors: tuple[int, ...] = (1, 5, 10), template: Path | None = None
) -> list[Figure]:
    """Median "due" and "+readiness" ms for each roster size and moment."""
    graph, municipalities, states = demo_state(template)
    out = []
    for factor in factors:
        m, s = scaled(municipalities, states, factor)
        for moment in MOMENTS:
            due_ms, full_ms, items, instances = measure(graph, m, s, moment, repeat)
            case = f"{len(m)} mun. ({factor}x), {moment:%Y-%m-%d %H:%M}"
            out += [
                Figure(
                    "sweep",
                    case,
                    "due, median",
                    due_ms,
                    note=f"{instances:,} instances, {items} items, {repeat} runs",
                    target=TARGET_MS if factor == 1 else None,
                ),
                Figure("sweep", case, "+readiness, median", full_ms),
            ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = figures(args.repeat)
    print(table(results))
    worst_1x = max(f.value for f in results if f.measure == "due, median" and "(1x)" in f.case)
    verdict = "OK" if worst_1x < TARGET_MS else "TOO SLOW"
    print(f"full roster: {worst_1x:.1f} ms at worst (target < {TARGET_MS:.0f} ms): {verdict}")
    return 0 if worst_1x < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
