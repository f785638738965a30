"""A synthetic roster for the scaling benchmarks: N x 98 municipalities with realistic progress.

    .venv/bin/python -m bench.synthetic --factor 10 --db sqlite:///big.db

The real roster (plans/demo-roster.yaml: 7 pilots in P1/P2, the other 91 in K91) copied ``factor``
times under new codes (copy ``n`` of municipality ``c`` is ``1000 * n + c``), each copy in its
original's wave, so the waves keep their proportions (7N pilots, 91N in K91). With
``connections=True`` every municipality also gets one to four line-of-business system
connections, and the plan variant from :func:`plan_with_connections` tracks the generic
implementation page (AG), whose 20 tasks are done once per connection: each connection is its
own task instance (``TaskKey.connection``), about twice the instances per municipality.

Progress as of ``day`` (default 2020-03-24, K91's KP-3 countdown): each municipality keeps a
pace (most on time, some a few working days behind, a few weeks behind), and every task due
before its cutoff is done in dependency order (as the demo does), some started first; then a
few tasks are in progress, a few municipalities are blocked (with reasons), one of each pair of
alternatives is marked not applicable, and the pilots have their go decisions at KP-3 and KP-4.
Every change is a command (``done``/``start``/``block``/``skip``/``decide``) by a named person,
from Slack, Teams or the console, at a working hour before ``day``.

:func:`load` writes it through the real storage: the roster with ``save_municipalities``, the
decisions with ``record``, and the task changes either with ``record`` (one call per command,
as the commands write them) or, by default, in bulk: the same rows (state rows with their
version, one event per change, one command row per command, in the same order) in a few
multi-row inserts. A test checks both paths store the same rows.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlmodel import SQLModel

from bot.settings import Settings
from rollout.graph import PlanGraph
from rollout.model import FINISHED, Municipality, Status, TaskKey, TaskState
from rollout.plan_loader import load_plan_file
from rollout.status import Rollout
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.ports import Change, CommandRecord, DecisionRequest, TaskChange
from storage.repository import SqlRolloutStore
from storage.roster import read_demo_roster

__all__ = [
    "DAY",
    "Command",
    "Synthetic",
    "generate",
    "load",
    "plan_with_connections",
    "roster",
]

DAY = date(2020, 3, 24)  # K91 counts down to KP-3 (2020-03-31): the sweep's worst day
CPH = ZoneInfo("Europe/Copenhagen")
SYSTEMS = ("KSD", "NEXUS", "MOMENTUM", "SAPA", "KMD-NOVA")  # line-of-business systems connected
BLOCK_REASONS = (
    "Debitorsystemets leverandør har ikke registreret webservicen endnu",
    "Serviceaftalen afventer godkendelse hos KOMBIT",
    "Certifikat til Serviceplatformen er udløbet",
    "Leverandøren mangler testmiljø",
)
NA_REASON = "Kommunen abonnerer på sortimentet i stedet for manuel indlæsning"
_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)  # the roster's import when there is no history
SOURCES = ("slack", "slack", "slack", "teams", "teams", "console")
_CHUNK = 2_000  # rows per multi-row insert
# the day, who, verb, task, old state, new state, the task's state before anything was recorded
_Change = tuple[date, str, str, TaskKey, TaskState, TaskState, TaskState]


@dataclass(frozen=True)
class Command:
    """One recorded command: who, when, from where, and the task changes it made."""

    record: CommandRecord
    tasks: tuple[TaskChange, ...] = ()
    decisions: tuple[DecisionRequest, ...] = ()


@dataclass(frozen=True)
class Synthetic:
    """A roster and its history of commands, oldest first."""

    municipalities: tuple[Municipality, ...]
    commands: tuple[Command, ...]
    plan_path: Path

    @property
    def task_changes(self) -> int:
        return sum(len(c.tasks) for c in self.commands)


def plan_with_connections(folder: Path, base: Path | None = None) -> Path:
    """A copy of the plan that also tracks the generic page AG (its tasks are per connection)."""
    source = base or Settings().plan_path
    text = source.read_text(encoding="utf-8")
    old = "tracked_diagrams: [A, B, C]"
    if old not in text:
        raise SystemExit(f"bench: {source} no longer says {old!r}; update bench/synthetic.py")
    path = folder / "sf1590-connections.yaml"
    path.write_text(text.replace(old, "tracked_diagrams: [AG, A, B, C]"), encoding="utf-8")
    return path


def roster(factor: int, *, connections: bool = False, seed: int = 1590) -> list[Municipality]:
    """``factor`` x the real roster (98 municipalities), waves in the real proportions."""
    settings = Settings()
    real = sorted(
        read_demo_roster(settings.demo_roster_path, settings.municipalities_path), key=lambda m: m.code
    )
    rng = random.Random(seed)
    out = []
    for copy in range(factor):
        for m in real:
            code = 1000 * copy + m.code
            new = (
                m
                if copy == 0
                else replace(m, code=code, name=f"{m.name} {copy + 1}", slug=f"{m.slug}-{copy + 1}")
            )
            if connections:
                count = rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
                new = replace(new, connections=("KSD", *rng.sample(SYSTEMS[1:], count - 1)))
            out.append(new)
    return out


def _at(rng: random.Random, day: date, limit: datetime) -> datetime:
    """A working-hour moment on ``day`` (Copenhagen), never after ``limit``, in UTC."""
    moment = datetime.combine(day, clock_time(8 + rng.randrange(8), rng.randrange(60)), CPH)
    return min(moment, limit).astimezone(UTC)


def generate(
    graph: PlanGraph,
    municipalities: Sequence[Municipality],
    *,
    day: date = DAY,
    seed: int = 1590,
    plan_path: Path | None = None,
) -> Synthetic:
    """The history of commands that brings ``municipalities`` to realistic progress by ``day``."""
    rng = random.Random(seed)
    by_code = {m.code: m for m in municipalities}
    states: dict[TaskKey, TaskState] = {}
    rollout = Rollout(graph, by_code, states)  # reads ``states`` live as it fills
    calendar = graph.calendar
    limit = datetime.combine(day, clock_time(7, 30), CPH)  # everything recorded before the sweep
    order = {ref: i for i, ref in enumerate(graph.topological_refs())}
    changes: list[_Change] = []

    def change(key: TaskKey, new: TaskState, when: date, actor: str, verb: str) -> None:
        old = rollout.recorded_state(key)
        states[key] = new
        changes.append((when, actor, verb, key, old, new, rollout.initial_state(key)))

    def finish(key: TaskKey, cutoff: date, actor: str) -> None:
        deadline = rollout.deadline(key)
        when = min(deadline.day if deadline else cutoff, day - timedelta(days=1))
        when = calendar.add_working_days(when, -rng.randrange(4)) if calendar.is_working_day(when) else when
        if rng.random() < 0.25:  # started a few days before it was done
            change(key, TaskState(Status.IN_PROGRESS), when - timedelta(days=3), actor, "start")
        if any(rollout.state(a).status == Status.DONE for a in rollout.boxes.alternatives(key)):
            change(key, TaskState(Status.NOT_APPLICABLE, NA_REASON), when, actor, "skip")
        else:
            change(key, TaskState(Status.DONE), when, actor, "done")

    # Shared work first: the system-wide tasks and each wave's runbook, on time.
    shared = [*graph.system_instances(), *rollout.wave_keys()]
    for key in sorted(shared, key=lambda k: (order[k.ref], k)):
        deadline = rollout.deadline(key)
        if deadline is not None and deadline.day < day and not rollout.waits_on(key):
            finish(key, day, "ksd-drift")
    for m in municipalities:
        actor = f"{m.slug}-okonomi"
        pace = rng.choices((0, rng.randint(1, 5), rng.randint(6, 15), rng.randint(16, 30)), (60, 25, 10, 5))[
            0
        ]
        cutoff = calendar.add_working_days(day, -pace)
        keys = list(graph.instances(m))
        due = {k for k in keys if (d := rollout.deadline(k)) is not None and d.day < cutoff}
        frontier = list(due)
        while frontier:  # everything a due task waits on is due too (within the municipality)
            for pred in rollout.predecessors(frontier.pop()):
                if pred.municipality == m.code and pred not in due:
                    due.add(pred)
                    frontier.append(pred)
        for key in sorted(due, key=lambda k: (order[k.ref], k)):
            if not rollout.waits_on(key):
                finish(key, cutoff, actor if rng.random() < 0.8 else f"{m.slug}-leverandor")
        open_ready = [k for k in keys if rollout.state(k).status not in FINISHED and not rollout.waits_on(k)]
        for key in open_ready:
            if rng.random() < 0.3:
                change(key, TaskState(Status.IN_PROGRESS), calendar.add_working_days(day, -2), actor, "start")
        if open_ready and rng.random() < 0.05:
            key = rng.choice(open_ready)
            change(
                key,
                TaskState(Status.BLOCKED, rng.choice(BLOCK_REASONS)),
                day - timedelta(days=1),
                actor,
                "block",
            )
    return Synthetic(
        tuple(municipalities),
        _commands(changes, _decisions(graph, municipalities, day, rng), limit),
        plan_path or Settings().plan_path,
    )


def _decisions(
    graph: PlanGraph, municipalities: Sequence[Municipality], day: date, rng: random.Random
) -> list[Command]:
    """A go at each gate already passed (the pilots' KP-3 and KP-4), by the wave's manager."""
    out = []
    for gate in ("KP-3", "KP-4"):
        for wave in graph.plan.waves:
            dates = graph.gate_dates(gate, wave)
            if not dates or min(dates.values()) >= day:
                continue
            when = datetime.combine(min(dates.values()), clock_time(14, 0), CPH).astimezone(UTC)
            for m in municipalities:
                if m.wave == wave:
                    record = CommandRecord(
                        _id(rng), "decide", Change(f"{wave.lower()}-manager", "slack", when)
                    )
                    out.append(Command(record, decisions=(DecisionRequest(gate, wave, m.code, "go", ""),)))
    return out


def _id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex


def _commands(changes: list[_Change], decisions: list[Command], limit: datetime) -> tuple[Command, ...]:
    """The changes grouped into commands (one person's verb on one municipality's tasks in a
    day, at a working hour, from one place), oldest first; each task's changes in order."""
    rng = random.Random(len(changes))
    groups: dict[tuple[date, str, str, int], list[TaskChange]] = defaultdict(list)
    for day, actor, verb, key, old, new, initial in changes:
        groups[(day, actor, verb, key.municipality)].append(TaskChange(key, new, initial, expected=old))
    commands = [
        Command(
            CommandRecord(_id(rng), verb, Change(actor, rng.choice(SOURCES), _at(rng, day, limit))),
            tuple(tasks),
        )
        for (day, actor, verb, _), tasks in groups.items()
    ]
    ordered = sorted([*commands, *decisions], key=lambda c: c.record.change.at)
    _check_order(ordered)
    return tuple(ordered)


def _check_order(commands: Sequence[Command]) -> None:
    """Each task's changes must still follow one another once sorted by time."""
    seen: dict[TaskKey, TaskState] = {}
    for command in commands:
        for task in command.tasks:
            before = seen.get(task.key, task.default)
            if before != task.expected:
                raise AssertionError(f"synthetic history out of order for {task.key.as_value()}")
            seen[task.key] = task.new


def load(engine: Engine, synthetic: Synthetic, *, bulk: bool = True) -> None:
    """Store the roster and its history (see the module's docstring for ``bulk``)."""
    store = SqlRolloutStore(engine)
    first = min((c.record.change.at for c in synthetic.commands), default=_EPOCH)
    store.save_municipalities(synthetic.municipalities, change=Change("roster-import", "console", first))
    if bulk:
        _bulk(engine, synthetic.commands)
        return
    for command in synthetic.commands:
        store.record(command.record, tasks=command.tasks, decisions=command.decisions)


def _bulk(engine: Engine, commands: Sequence[Command]) -> None:
    """What ``record`` writes for each command (storage/recording.py), as multi-row inserts:
    rows in the order the commands would have written them, so ids and sequence numbers match."""
    tables = SQLModel.metadata.tables
    command_rows: list[dict[str, object]] = []
    event_rows: list[dict[str, object]] = []
    decision_rows: list[dict[str, object]] = []
    final: dict[TaskKey, dict[str, object]] = {}
    for command in commands:
        change = command.record.change
        for task in sorted(command.tasks, key=lambda t: t.key):  # record writes in key order
            key = task.key
            assert task.expected is not None  # every synthetic change says what it changed from
            event_rows.append(
                {
                    "ref": key.ref,
                    "municipality": key.municipality,
                    "connection": key.connection,
                    "old_status": task.expected.status.value,
                    "old_reason": task.expected.reason,
                    "new_status": task.new.status.value,
                    "new_reason": task.new.reason,
                    "actor": change.actor,
                    "source": change.source,
                    "at": change.at,
                    "compensates": None,
                    "command_id": command.record.id,
                }
            )
            version = int(final[key]["version"]) + 1 if key in final else 1  # type: ignore[call-overload]
            final[key] = {
                "ref": key.ref,
                "municipality": key.municipality,
                "connection": key.connection,
                "status": task.new.status.value,
                "reason": task.new.reason,
                "version": version,
                "updated_at": change.at,
                "updated_by": change.actor,
            }
        decision_rows.extend(
            {
                "gate": d.gate,
                "wave": d.wave,
                "municipality_code": d.municipality,
                "decision": d.decision,
                "note": d.note,
                "actor": change.actor,
                "source": change.source,
                "at": change.at,
                "command_id": command.record.id,
                "supersedes": d.supersedes,
                "missing": ",".join(d.missing),
            }
            for d in command.decisions
        )
        command_rows.append(
            {
                "command_id": command.record.id,
                "verb": command.record.verb,
                "actor": change.actor,
                "source": change.source,
                "at": change.at,
                "undoes": None,
            }
        )
    with engine.begin() as conn:
        for table, rows in (
            ("task_state", list(final.values())),
            ("task_event", event_rows),
            ("gate_decision", decision_rows),
            ("command", command_rows),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(tables[table]), chunk)


def _chunks(rows: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


def build(url: str, factor: int, *, connections: bool = False, day: date = DAY, folder: Path) -> Settings:
    """A migrated database at ``url`` with the synthetic roster of ``factor`` and its history;
    the settings to open it with (the plan variant when ``connections``)."""
    plan_path = plan_with_connections(folder) if connections else Settings().plan_path
    graph = PlanGraph(load_plan_file(plan_path))
    synthetic = generate(graph, roster(factor, connections=connections), day=day, plan_path=plan_path)
    engine = make_engine(url)
    upgrade(engine)
    load(engine, synthetic)
    engine.dispose()
    return replace(Settings(database_url=url), plan_path=plan_path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=1)
    parser.add_argument(
        "--connections", action="store_true", help="per-connection instances (plan tracks AG)"
    )
    parser.add_argument("--db", required=True, help="a database URL (an empty database)")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = Path(args.db.removeprefix("sqlite:///")).parent if args.db.startswith("sqlite") else Path(".")
    settings = build(args.db, args.factor, connections=args.connections, folder=folder)
    print(
        f"loaded {args.factor}x into {args.db} in {time.perf_counter() - started:.1f} s",
        f"(plan {settings.plan_path})",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
