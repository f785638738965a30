"""The kept snapshot: what another process commits is seen by this one's next command, and
after any recorded sequence (changes, undo, wave moves, decisions) it answers as one built
from scratch. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import select
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.runtime import Runtime
from commands.context import Actor, Invocation
from rollout.decisions import GO, NO_GO, current_decisions
from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from storage.ports import Change, CommandRecord, DecisionRequest, MoveRequest, TaskChange
from storage.repository import SqlRolloutStore
from storage.snapshots import fresh_rollout
from tests.rollout.answers import answers

ROOT = Path(__file__).resolve().parents[2]
ANNA = Actor("anna", "Anna", is_admin=True)
VEJEN = 575


@pytest.fixture
def runtime(roster_runtime: Runtime) -> Runtime:
    """The real plan and the demo roster (98 municipalities), no progress yet."""
    return roster_runtime


def _other_process(engine: Engine, text: str) -> str:
    """Run ``text`` in another bot process on the same database; its reply's headline."""
    url = engine.url.render_as_string(hide_password=False)
    argv = [sys.executable, "-m", "tests.commands.write_worker", "--db", url]
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            argv += ["--schema", str(connection.exec_driver_sql("select current_schema()").scalar())]
    proc = subprocess.Popen(
        [*argv, text], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 120)
    line = proc.stdout.readline() if ready else ""
    _, err = proc.communicate(timeout=120)
    if not line.startswith("reply: "):
        pytest.fail(f"the other process did not answer: {line!r} {err[-2000:]}")
    return line.removeprefix("reply: ").strip()


def _mentions(runtime: Runtime, text: str, word: str) -> bool:
    return any(word in line for line in runtime.run(Invocation(text, ANNA, "console")).text_lines())


def test_a_change_committed_by_another_process_is_seen_by_the_next_command(runtime: Runtime) -> None:
    store, graph = runtime.store, runtime.graph
    key = TaskKey("A/TS201", VEJEN)
    before = store.snapshot(graph)
    assert store.snapshot(graph) is before  # nothing recorded meanwhile: the kept one answers
    assert before.state(key).status == Status.TODO
    assert _mentions(runtime, "status vejen", ", 0 blocked")

    assert "1 change recorded" in _other_process(runtime.engine, "block A/TS201 vejen waiting for KMD")
    after = store.snapshot(graph)
    assert after.state(key) == TaskState(Status.BLOCKED, "waiting for KMD")
    assert _mentions(runtime, "status vejen", ", 1 blocked")

    assert "moved" in _other_process(runtime.engine, "move vejen K91 not ready")
    moved = store.snapshot(graph)
    assert moved.municipalities[VEJEN].wave == "K91"
    assert moved.state(key) == TaskState(Status.BLOCKED, "waiting for KMD")
    assert _mentions(runtime, "wave K91", "Vejen")


# -- random recorded sequences ---------------------------------------------------------------

ROSTER = (
    Municipality(751, "Aarhus", "aarhus", "P1"),
    Municipality(575, "Vejen", "vejen", "P2", connections=("KSD", "OPUS")),
    Municipality(730, "Randers", "randers", "K91"),
    Municipality(187, "Vallensbæk", "vallensbaek", "K91"),
)
CODES = [m.code for m in ROSTER]
AT = datetime(2020, 1, 21, 9, tzinfo=UTC)
# joint boxes (TS104/TS202), alternatives (TS213/TS109-B), done once for all (TF102) and per wave (LUK)
REFS = ("A/TS201", "A/TS213", "A/TS109-B", "C/TS103", "B/TS104", "B/TS202", "A/TF102", "R/LUK")
STATES = (
    TaskState(Status.DONE),
    TaskState(Status.IN_PROGRESS),
    TaskState(Status.BLOCKED, "waiting for the supplier"),
    TaskState(Status.NOT_APPLICABLE, "not used here"),
    TaskState(Status.TODO),  # reopened
)
step = st.one_of(
    st.tuples(
        st.just("state"),
        st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True),
        st.sampled_from(STATES),
    ),
    st.tuples(st.just("undo"), st.none(), st.none()),
    st.tuples(st.just("move"), st.sampled_from(CODES), st.sampled_from(("P1", "P2", "K91"))),
    st.tuples(st.just("decide"), st.sampled_from(CODES), st.sampled_from((GO, NO_GO))),
)


def _command(verb: str) -> CommandRecord:
    return CommandRecord(uuid.uuid4().hex, verb, Change("anna", "test", AT))


def _apply(
    store: SqlRolloutStore, graph: PlanGraph, kind: str, what: object, value: object, ref: str
) -> None:
    rollout = fresh_rollout(store, graph)
    if kind == "state":
        assert isinstance(what, list) and isinstance(value, TaskState)
        scope = graph.task(ref).scope.value
        keys = (
            [TaskKey.for_wave(ref, "P2")]
            if scope == "wave"
            else [TaskKey(ref)]
            if scope == "system"
            else [
                k for code in what for k in rollout.task_keys([rollout.municipalities[code]]) if k.ref == ref
            ]
        )
        store.record(_command("set"), tasks=[TaskChange(k, value, rollout.initial_state(k)) for k in keys])
    elif kind == "undo":
        last = store.last_command("anna")
        if last is not None:
            store.undo(last, _command("undo"))
    elif kind == "move":
        assert isinstance(what, int) and isinstance(value, str)
        here = rollout.municipalities[what].wave
        store.record(_command("move"), moves=[MoveRequest(what, value, "test", here)])
    else:
        assert isinstance(what, int) and isinstance(value, str)
        wave = rollout.municipalities[what].wave
        standing = current_decisions(store.gate_decisions()).get(("KP-3", wave, what))
        ask = DecisionRequest("KP-3", wave, what, value, "test", standing.id if standing else None)
        following = graph.plan.waves[wave].next
        moves = [MoveRequest(what, following, "no-go", wave)] if value == NO_GO and following else []
        store.record(_command("decide"), decisions=[ask], moves=moves)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(step, st.sampled_from(REFS)), min_size=1, max_size=8))
def test_the_kept_snapshot_answers_as_one_from_scratch_after_recorded_commands(
    engine: Engine, sf1590_graph: PlanGraph, steps: list[tuple[tuple[str, object, object], str]]
) -> None:
    store = SqlRolloutStore(engine)  # one database for every example: histories grow long
    store.save_municipalities(ROSTER, change=Change("admin", "test", AT))
    day = date(2020, 1, 21)
    for (kind, what, value), ref in steps:
        answers(store.snapshot(sf1590_graph), day)  # the kept snapshot's views, before the change
        _apply(store, sf1590_graph, kind, what, value, ref)
        assert answers(store.snapshot(sf1590_graph), day) == answers(fresh_rollout(store, sf1590_graph), day)
