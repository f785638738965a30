"""What the kept snapshot saves: K91 wave-wide answers and the KP-3 countdown readiness, at 1x
and 10x the roster, from scratch, kept, and kept after another process's change.

    .venv/bin/python -m bench.readiness [--factors 1,10] [--runs 10]

The demo database (98 municipalities, the demo's progress) on 2020-03-24, when all K91
municipalities count down to KP-3; at ``N``x the roster every municipality is copied ``N-1``
times under new codes with its recorded states (plain SQL copies, seconds). Cases per command:

* ``scratch``: a new store, so the snapshot is built from nothing (a new process's first
  command, or every command before snapshots were kept);
* ``kept``: nothing changed since the last command;
* ``changed``: another store on the same database (another process) records a change to one
  K91 task before each run, so the snapshot is brought up to date first.

``countdown`` is the readiness of every K91 municipality for KP-3 and the wave's controls (what a
countdown message computes) on a snapshot brought up to date after such a change, and from
scratch. ``gc`` is the share of the ``changed`` runs spent in cyclic garbage collection.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from bench.demo import demo_database
from bench.figures import Figure, percentile, table
from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from commands.context import Actor, Invocation
from rollout.gates import gate_date, readiness, wave_controls
from rollout.model import Status, TaskKey, TaskState
from rollout.status import Rollout
from storage.ports import Change, CommandRecord, TaskChange
from storage.repository import SqlRolloutStore

COMMANDS = ("next K91", "blocked K91", "status K91", "gate KP-3 K91", "next aarhus")
DAY = date(2020, 3, 24)
ADMIN = Actor("bench", "Bench Admin", is_admin=True)
TOGGLED = TaskKey("A/TS201", 101)  # København, K91: flipped between done and to do


def scale(engine: Engine, factor: int) -> None:
    """``factor`` times the roster: each municipality copied under codes ``1000*i + code`` with
    its task states and events (SQL copies; the copies share the originals' history)."""
    tables = SQLModel.metadata.tables
    with engine.begin() as conn:
        for copy in range(1, factor):
            shift = 1000 * copy
            cols = [c.name for c in tables["municipality"].columns]
            picks = [
                f"code + {shift}"
                if c == "code"
                else f"name || ' #{copy}'"
                if c == "name"
                else f"slug || '-{copy}'"
                if c == "slug"
                else c
                for c in cols
            ]
            conn.execute(
                text(
                    f"INSERT INTO municipality ({', '.join(cols)}) SELECT {', '.join(picks)} "
                    "FROM municipality WHERE code < 1000"
                )
            )
            for name in ("task_state", "task_event"):
                cols = [c.name for c in tables[name].columns if c.name not in ("id", "compensates")]
                picks = [f"municipality + {shift}" if c == "municipality" else c for c in cols]
                conn.execute(
                    text(
                        f"INSERT INTO {name} ({', '.join(cols)}) SELECT {', '.join(picks)} FROM {name} "
                        f"WHERE municipality > 0 AND municipality < 1000"
                    )
                )


_CPU: list[float] = []  # the process's CPU ms of each run of the last ``_timed``


def _timed(
    action: Callable[[], object], runs: int, before: Callable[[], object] | None = None
) -> list[float]:
    """Wall-clock ms of each run of ``action`` (and its CPU ms in ``_CPU``: on a shared machine
    the wall clock also counts the other processes' turns)."""
    out = []
    _CPU.clear()
    for _ in range(runs):
        if before is not None:
            before()
        started, cpu = time.perf_counter(), time.process_time()
        action()
        out.append((time.perf_counter() - started) * 1000)
        _CPU.append((time.process_time() - cpu) * 1000)
    return out


def _figures(case: str, measure: str, timings: list[float]) -> list[Figure]:
    return [
        Figure("readiness", case, f"{measure} p50", percentile(timings, 0.5)),
        Figure("readiness", case, f"{measure} max", max(timings)),
        Figure("readiness", case, f"{measure} cpu p50", percentile(_CPU, 0.5)),
    ]


class _GcClock:
    """Time spent in cyclic garbage collection while it is on."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


def _countdown(rollout: Rollout) -> None:
    gate = gate_date(rollout, "KP-3", "K91")
    assert gate is not None
    members = [m for m in rollout.municipalities.values() if m.wave == "K91"]
    for m in members:
        readiness(rollout, m, gate, DAY)
    wave_controls(rollout, members, gate="KP-3")


def measure(runtime: Runtime, factor: int, runs: int) -> list[Figure]:
    """The figures of one roster size."""
    other = SqlRolloutStore(runtime.engine)  # another process: its own store and snapshot
    toggle = [Status.DONE]
    at = datetime(2020, 3, 24, 8, tzinfo=UTC)

    def change() -> None:
        new = TaskState(toggle[0])
        toggle[0] = Status.TODO if toggle[0] == Status.DONE else Status.DONE
        command = CommandRecord(uuid.uuid4().hex, "done", Change("other", "bench", at))
        other.record(command, tasks=[TaskChange(TOGGLED, new, TaskState(Status.TODO))])

    def fresh() -> None:
        runtime.store = SqlRolloutStore(runtime.engine)

    out: list[Figure] = []
    size = f"{factor}x"
    for command in COMMANDS:
        invocation = Invocation(command, ADMIN, "console")

        def run(asked: Invocation = invocation) -> None:
            runtime.run(asked)

        run()
        for case, before in (("scratch", fresh), ("kept", None), ("changed", change)):
            out += _figures(f"{command} {size}", case, _timed(run, runs, before))
    graph = runtime.graph

    def fresh_countdown() -> None:
        _countdown(SqlRolloutStore(runtime.engine).snapshot(graph))

    def kept_countdown() -> None:
        _countdown(runtime.store.snapshot(graph))

    out += _figures(f"countdown KP-3 K91 {size}", "scratch", _timed(fresh_countdown, runs))
    kept_countdown()  # the store's snapshot has the wave's views, as after any K91 answer
    out += _figures(f"countdown KP-3 K91 {size}", "changed", _timed(kept_countdown, runs, change))
    clock = _GcClock()
    gc.callbacks.append(clock)
    try:
        gate = Invocation("gate KP-3 K91", ADMIN, "console")
        total = sum(_timed(lambda: runtime.run(gate), runs, change))
    finally:
        gc.callbacks.remove(clock)
    out.append(
        Figure("readiness", f"gate KP-3 K91 {size}", "changed gc share", 100_000 * clock.total / total, "%")
    )
    return out


def figures(factors: tuple[int, ...] = (1, 10), runs: int = 10, template: Path | None = None) -> list[Figure]:
    """Every figure at each roster size (on copies of ``template`` if given)."""
    out: list[Figure] = []
    for factor in factors:
        with tempfile.TemporaryDirectory() as tmp:
            url = demo_database(Path(tmp), template)
            runtime = open_runtime(Settings(database_url=url), FixedClock.at(DAY, 9))
            try:
                if factor > 1:
                    scale(runtime.engine, factor)
                out += measure(runtime, factor, runs)
            finally:
                runtime.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,10", help="roster sizes, comma-separated (default 1,10)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    factors = tuple(int(f) for f in args.factors.split(","))
    print(table(figures(factors, args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
