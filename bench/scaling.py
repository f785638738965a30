"""How the costs grow with the roster: 1x, 5x, 10x the municipalities, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.scaling [--factors 1 5 10] [--runs 5] [--db sqlite --db postgres]

Each size is the synthetic roster of bench/synthetic.py (N x 98 municipalities, 91N in K91, with
realistic recorded progress) as of 2020-03-24 08:05, K91's KP-3 countdown day: the reminder
sweep's worst day. Per database and size, in one process, after one untimed warm-up:

- **sweep, every tick**: what the scheduler does each minute once the day's messages are in the
  outbox (``Sweeper.plan``): read the snapshot (roster, states, decisions, targets), find what
  is due (one channel per wave) and see it is all known already;
- **sweep, first tick of the day**: ``Sweeper.plan`` with nothing in the outbox yet: the above,
  plus building each message (the countdown's readiness of every K91 municipality) and storing
  it in the outbox: the worst tick of the worst day (the target);
- **countdown readiness**: the K91 KP-3 readiness of every K91 municipality, on the store's kept
  snapshot as the scheduler reads it;
- **commands**: ``next K91``, ``status K91``, ``gate KP-3 K91``, ``blocked K91`` in-process, as an
  admin.

Before each timed run of the first tick, the countdown and the commands, another store (as
another process would) records one change to a K91 task, so each figure includes bringing the
kept snapshot up to date: the cost after a change, not that of an answer already kept.

Then the exponent of a log-log fit of each figure over the sizes (1: linear). PostgreSQL is
``SF1590_BENCH_PG`` (else TEST_DATABASE_URL, else the local server); each run gets its own schema.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import OperationalError

from bench import synthetic
from bench.figures import Figure, loglog_exponent, table
from bot.clock import FixedClock
from bot.notify import Posted
from bot.runtime import Runtime, open_runtime
from bot.scheduler.sweep import Sweeper, SweepReport
from bot.settings import Settings
from commands.context import Actor, Invocation
from commands.reply import Reply
from rollout.gates import gate_date, readiness
from rollout.graph import PlanGraph
from rollout.model import Status, TaskKey, TaskState
from rollout.plan_loader import load_plan_file
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.ports import Change, CommandRecord, TaskChange
from storage.repository import SqlRolloutStore
from storage.tables import OutboxRow

__all__ = ["COMMANDS", "MOMENT", "Size", "figures"]

MOMENT = datetime(2020, 3, 24, 8, 5, tzinfo=ZoneInfo("Europe/Copenhagen"))
COMMANDS = ("next K91", "status K91", "gate KP-3 K91", "blocked K91")
ADMIN = Actor("bench", "Bench Admin", is_admin=True)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The targets: (measure, factor) -> ms; every exponent: <= 1.1
TARGETS: dict[tuple[str, int], float] = {
    ("sweep, first tick of the day", 1): 100.0,
    ("sweep, first tick of the day", 10): 1000.0,
    ("countdown readiness K91 KP-3", 1): 50.0,
    ("countdown readiness K91 KP-3", 10): 500.0,
    **{(f"{c} p50", 10): 250.0 for c in COMMANDS},
}
EXPONENT_TARGET = 1.1
TOGGLED = TaskKey("A/TS201", 101)  # København, K91: flipped between done and to do


class _NotSending:
    """The sweep's planning never posts; a post here would be a bug in the benchmark."""

    platform = "slack"

    def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
        raise AssertionError(f"the benchmark only plans: {key} was about to be posted")

    def find_posted(self, channel_id: str, key: str) -> Posted | None:
        raise AssertionError(f"the benchmark only plans: {key} was looked for")


@dataclass(frozen=True)
class Size:
    """One roster size: ``factor`` x 98 municipalities (``connections``: per-connection tasks)."""

    factor: int
    connections: bool = False

    @property
    def label(self) -> str:
        return f"{self.factor}x" + (" +connections" if self.connections else "")


def postgres_url() -> str | None:
    """A PostgreSQL server that answers, or None."""
    url = os.environ.get("SF1590_BENCH_PG") or os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return url
    except OperationalError:
        return None
    finally:
        engine.dispose()


@contextmanager
def database(kind: str, folder: Path, pg_url: str | None) -> Iterator[tuple[str, Engine]]:
    """An empty, migrated database: a SQLite file, or a PostgreSQL schema of its own (dropped)."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'scaling-{uuid.uuid4().hex[:8]}.db'}"
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield url, engine
        finally:
            engine.dispose()
        return
    assert pg_url is not None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_url, schema=schema)
    try:
        upgrade(engine)
        yield pg_url, engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _medians(
    action: Callable[[], object], runs: int, *, before: Callable[[], object] | None = None
) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``action`` over ``runs`` (after one untimed
    warm-up). CPU time is this process's alone: steadier than wall time on a shared machine."""
    wall, cpu = [], []
    for i in range(runs + 1):
        if before is not None:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        if i:
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def measure(runtime: Runtime, runs: int) -> dict[str, tuple[float, float]]:
    """The figures of one database and size (see the module's docstring)."""
    link = Change("bench", "console", datetime(2020, 1, 1, tzinfo=UTC))
    for wave in runtime.graph.plan.waves:
        runtime.people.link_channel("slack", f"C-{wave}", wave, change=link)
    sweeper = Sweeper(runtime, {"slack": _NotSending()})

    def clear_outbox() -> None:
        with runtime.engine.begin() as conn:
            conn.execute(delete(OutboxRow))

    def first_tick() -> None:
        report = SweepReport()
        sweeper.plan(MOMENT, report)
        if not report.inserted:
            raise SystemExit("bench: the countdown day's first sweep planned nothing")

    other = SqlRolloutStore(runtime.engine)  # another process: its own store and snapshot
    toggle = [Status.DONE]

    def change() -> None:
        new = TaskState(toggle[0])
        toggle[0] = Status.TODO if toggle[0] == Status.DONE else Status.DONE
        command = CommandRecord(uuid.uuid4().hex, "done", Change("other", "bench", MOMENT))
        other.record(command, tasks=[TaskChange(TOGGLED, new, TaskState(Status.TODO))])

    def clear_and_change() -> None:
        clear_outbox()
        change()

    out = {"sweep, first tick of the day": _medians(first_tick, runs, before=clear_and_change)}
    # what every later tick of the day does: all of it is in the outbox already (nothing to send)
    out["sweep, every tick"] = _medians(lambda: sweeper.plan(MOMENT, SweepReport()), runs)
    snapshot = sweeper.snapshot()
    gate = gate_date(snapshot, "KP-3", "K91")
    assert gate is not None
    k91 = [m for m in snapshot.municipalities.values() if m.wave == "K91"]

    def countdown() -> None:
        kept = sweeper.snapshot()
        for m in k91:
            readiness(kept, m, gate, MOMENT.date())

    out["countdown readiness K91 KP-3"] = _medians(countdown, runs, before=change)
    for command in COMMANDS:
        invocation = Invocation(command, ADMIN, "console")
        reply = runtime.run(invocation)
        if reply.changed or not reply.text_lines():
            raise SystemExit(f"bench: {command!r} should answer without changing anything")
        out[f"{command} p50"] = _medians(partial(runtime.run, invocation), runs, before=change)
    return out


def figures(
    runs: int = 3,
    sizes: Sequence[Size] = (Size(1), Size(5), Size(10)),
    kinds: Sequence[str] = ("sqlite", "postgres"),
) -> list[Figure]:
    """Each figure per database and size, then the exponent of each over the sizes."""
    logging.getLogger("bot.scheduler.sweep").setLevel(logging.ERROR)  # the look-back's drops
    pg_url = postgres_url() if "postgres" in kinds else None
    out: list[Figure] = []
    if "postgres" in kinds and pg_url is None:
        out.append(Figure("scaling", "postgres", "skipped", float("nan"), note="no PostgreSQL answered"))
    kinds = [k for k in kinds if k != "postgres" or pg_url is not None]
    series: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in sizes:
            plan_path = synthetic.plan_with_connections(folder) if size.connections else Settings().plan_path
            graph = PlanGraph(load_plan_file(plan_path))
            data = synthetic.generate(
                graph, synthetic.roster(size.factor, connections=size.connections), plan_path=plan_path
            )
            for kind in kinds:
                with database(kind, folder, pg_url) as (url, engine):
                    started = time.perf_counter()
                    synthetic.load(engine, data)
                    loaded = (time.perf_counter() - started) * 1000
                    settings = replace(Settings(database_url=url), plan_path=plan_path)
                    runtime = open_runtime(settings, FixedClock(MOMENT), engine=engine, migrate=False)
                    case = f"{kind} {size.label} ({len(data.municipalities)} mun.)"
                    note = f"{data.task_changes:,} changes in {len(data.commands):,} commands"
                    out.append(Figure("scaling", case, "load (bulk)", loaded, note=note))
                    print(f"bench: scaling {case}…", file=sys.stderr, flush=True)
                    for name, (wall, cpu) in measure(runtime, runs).items():
                        target = TARGETS.get((name, size.factor)) if not size.connections else None
                        note = f"median of {runs}; CPU {cpu:,.0f} ms"
                        out.append(Figure("scaling", case, name, wall, note=note, target=target))
                        if not size.connections:
                            series.setdefault((kind, name), []).append((size.factor, wall, cpu))
                    gc.collect()
    for (kind, name), points in series.items():
        if len(points) < 2:
            continue
        factors = [f for f, _, _ in points]
        cpu = loglog_exponent(factors, [c for _, _, c in points])
        out.append(
            Figure(
                "scaling",
                f"{kind} over {', '.join(f'{f}x' for f in factors)}",
                f"{name}: exponent",
                loglog_exponent(factors, [w for _, w, _ in points]),
                unit="exp",
                note=f"log-log fit of wall time (1 = linear); of CPU time: {cpu:.2f}",
                target=EXPONENT_TARGET,
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--connections", action="store_true", help="also 1x with per-connection tasks")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    sizes = [Size(f) for f in args.factors] + ([Size(1, connections=True)] if args.connections else [])
    print(table(figures(args.runs, sizes, args.db or ["sqlite", "postgres"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
