"""One storage contract, run against the in-memory store, a SQLite file and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rollout.decisions import current_decisions
from rollout.model import Municipality, Status, TaskKey, TaskState
from storage.engine import make_engine
from storage.memory import MemoryRolloutStore
from storage.migrate import upgrade
from storage.ports import (
    Change,
    ChangeOutcome,
    CommandRecord,
    DecisionRequest,
    MoveRequest,
    RecordOutcome,
    RolloutStore,
    TaskChange,
    UndoOutcome,
)
from storage.repository import SqlRolloutStore
from tests.conftest import _postgres_engine

NOW = datetime(2020, 1, 21, 9, 0, tzinfo=UTC)
TODO = TaskState(Status.TODO)
DONE = TaskState(Status.DONE)
BLOCKED = TaskState(Status.BLOCKED, "venter")
AARHUS = Municipality(751, "Aarhus", "aarhus", "P2", "Region Midtjylland")
VEJEN = Municipality(575, "Vejen", "vejen", "P2", "Region Syddanmark")
A751, B751, A575 = TaskKey("A/TS213", 751), TaskKey("B/TS213", 751), TaskKey("A/TS213", 575)


def change(actor: str = "anna", minutes: int = 0, source: str = "console") -> Change:
    return Change(actor, source, NOW + timedelta(minutes=minutes))


def command(
    actor: str = "anna", verb: str = "done", minutes: int = 0, source: str = "console"
) -> CommandRecord:
    return CommandRecord(uuid.uuid4().hex, verb, change(actor, minutes, source))


def tasks(*keys: TaskKey, new: TaskState = DONE) -> list[TaskChange]:
    return [TaskChange(key, new, TODO) for key in keys]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RolloutStore]:
    """A store with Aarhus and Vejen in P2: in memory, on a SQLite file, on PostgreSQL."""
    found: RolloutStore
    if request.param == "memory":
        found = MemoryRolloutStore()
        found.save_municipalities([AARHUS, VEJEN], change=change())
        yield found
        return
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'contract.db'}")
        upgrade(engine)
        found = SqlRolloutStore(engine)
        found.save_municipalities([AARHUS, VEJEN], change=change())
        yield found
        engine.dispose()
        return
    for engine in _postgres_engine(request.getfixturevalue("postgres_url")):
        upgrade(engine)
        found = SqlRolloutStore(engine)
        found.save_municipalities([AARHUS, VEJEN], change=change())
        yield found


def test_roster_is_stored_with_its_first_wave_recorded(store: RolloutStore) -> None:
    assert store.municipalities()[751] == AARHUS
    (move,) = store.wave_moves(751)
    assert (move.from_wave, move.to_wave, move.actor, move.command_id) == (None, "P2", "anna", None)


def test_a_command_records_every_task_with_who_when_where_and_its_id(store: RolloutStore) -> None:
    done = command()
    result = store.record(done, tasks=tasks(A751, A575))
    assert result.outcome == RecordOutcome.RECORDED
    assert [r.outcome for r in result.tasks] == [ChangeOutcome.CHANGED] * 2
    assert store.task_states()[A751] == DONE == store.task_states()[A575]
    events = store.events()
    assert {(e.key, e.old, e.new, e.actor, e.source, e.at, e.command_id) for e in events} == {
        (key, TODO, DONE, "anna", "console", NOW, done.id) for key in (A751, A575)
    }
    assert store.command_recorded(done.id)


def test_tasks_already_in_that_state_are_left_alone_and_said_so(store: RolloutStore) -> None:
    store.record(command(), tasks=tasks(A751))
    again = store.record(command("bo"), tasks=tasks(A751, A575))
    assert [r.outcome for r in again.tasks] == [ChangeOutcome.UNCHANGED, ChangeOutcome.CHANGED]
    assert len(store.events()) == 2
    nothing = command("bo")
    result = store.record(nothing, tasks=tasks(A751, A575))
    assert result.outcome == RecordOutcome.NOTHING and not result.changed
    assert len(store.events()) == 2 and not store.command_recorded(nothing.id)


def test_a_task_changed_by_someone_else_since_it_was_read_fails_the_whole_command(
    store: RolloutStore,
) -> None:
    # Anna read A751 as to do and wants it blocked; Bo finished it in between.
    store.record(command("bo", minutes=1, source="slack"), tasks=tasks(A751))
    late = store.record(
        command("anna", "block", minutes=2),
        tasks=[
            TaskChange(A575, BLOCKED, TODO, expected=TODO),
            TaskChange(A751, BLOCKED, TODO, expected=TODO),
        ],
    )
    assert late.outcome == RecordOutcome.CONFLICT
    assert late.conflict is not None
    assert (late.conflict.key, late.conflict.actor, late.conflict.source) == (A751, "bo", "slack")
    assert store.task_states() == {A751: DONE}  # neither task of Anna's command was written
    assert len(store.events()) == 1


def test_a_municipalitys_history_has_its_own_wave_steps_not_other_waves(store: RolloutStore) -> None:
    system, p2_step, k91_step = (
        TaskKey("A/TF102"),
        TaskKey.for_wave("R/LUK", "P2"),
        TaskKey.for_wave("R/LUK", "K91"),
    )
    store.record(command(), tasks=tasks(A751, system, p2_step, k91_step))
    keys = {e.key for e in store.events(municipality=751, wave="P2")}
    assert keys == {A751, system, p2_step}
    assert {e.key for e in store.events(municipality=575)} == {system}


def test_a_task_named_twice_in_one_command_is_refused(store: RolloutStore) -> None:
    with pytest.raises(ValueError):
        store.record(command(), tasks=tasks(A751, A751))
    assert store.events() == []


def test_states_for_one_municipality_include_the_system_wide_ones(store: RolloutStore) -> None:
    store.record(command(), tasks=tasks(TaskKey("A/TS100"), A575))
    assert set(store.task_states([751])) == {TaskKey("A/TS100")}


def test_states_on_replays_the_history_to_a_moment(store: RolloutStore) -> None:
    """As replaying ``events`` oldest first up to the moment, for the municipalities asked
    about and the tasks of no municipality (what a gate's outcome reads)."""
    system, runbook = TaskKey("A/TS101"), TaskKey.for_wave("R/LUK", "P2")
    store.record(command(minutes=0), tasks=tasks(A751, A575, system))
    store.record(
        command(minutes=10), tasks=[TaskChange(A751, BLOCKED, DONE), TaskChange(runbook, DONE, TODO)]
    )
    store.record(command(minutes=20), tasks=[TaskChange(A575, TODO, DONE), TaskChange(B751, DONE, TODO)])
    every = store.events(limit=100)
    for minutes in (-1, 0, 5, 10, 15, 20, 30):
        end = NOW + timedelta(minutes=minutes)
        replayed = {e.key: e.new for e in reversed(every) if e.at < end}
        assert store.states_on(end) == replayed
        assert store.states_on(end, [751]) == {k: v for k, v in replayed.items() if k.municipality != 575}
        assert store.states_on(end, []) == {k: v for k, v in replayed.items() if k.municipality == 0}
    assert store.states_on(NOW + timedelta(minutes=15), [751, 575]) == {
        A751: BLOCKED,
        A575: DONE,
        system: DONE,
        runbook: DONE,
    }


def test_a_no_go_records_the_decision_and_the_move_together(store: RolloutStore) -> None:
    decide = command(verb="decide")
    result = store.record(
        decide,
        moves=[MoveRequest(575, "K91", "no-go at KP-3", "P2")],
        decisions=[DecisionRequest("KP-3", "P2", 575, "no_go", "konvertering")],
    )
    assert result.changed and store.municipalities()[575].wave == "K91"
    (decision,) = store.gate_decisions(wave="P2", gate="KP-3")
    assert (decision.municipality, decision.decision, decision.note, decision.command_id) == (
        575,
        "no_go",
        "konvertering",
        decide.id,
    )
    assert [(m.to_wave, m.command_id) for m in store.wave_moves(575)] == [("P2", None), ("K91", decide.id)]


def test_a_move_of_a_municipality_no_longer_where_the_command_saw_it_records_nothing(
    store: RolloutStore,
) -> None:
    store.record(command("bo", "move"), moves=[MoveRequest(575, "K91", "", "P2")])
    result = store.record(
        command("anna", "decide", minutes=1),
        moves=[MoveRequest(575, "K91", "no-go", "P2")],
        decisions=[DecisionRequest("KP-3", "P2", 575, "no_go", "")],
        tasks=tasks(A575),
    )
    assert result.outcome == RecordOutcome.CONFLICT
    assert result.conflict is not None and result.conflict.actor == "bo"
    assert store.gate_decisions() == [] and store.events() == []
    assert len(store.wave_moves(575)) == 2


def test_a_decision_for_a_municipality_no_longer_in_that_wave_records_nothing(store: RolloutStore) -> None:
    store.record(command("bo", "move", minutes=2), moves=[MoveRequest(575, "K91", "", "P2")])
    result = store.record(
        command(verb="decide", minutes=3), decisions=[DecisionRequest("KP-3", "P2", 575, "go", "")]
    )
    assert result.outcome == RecordOutcome.CONFLICT and result.conflict is not None
    assert (result.conflict.actor, result.conflict.municipality) == ("bo", 575)
    assert store.gate_decisions() == []


def test_moving_a_municipality_keeps_its_history(store: RolloutStore) -> None:
    store.record(command(), tasks=tasks(A575))
    store.record(command(verb="move"), moves=[MoveRequest(575, "K91", "no-go at KP-3", "P2")])
    assert [m.to_wave for m in store.wave_moves(575)] == ["P2", "K91"]
    assert store.task_states([575])[A575] == DONE


def test_undo_reverses_the_whole_last_command_and_goes_further_back(store: RolloutStore) -> None:
    store.record(command(), tasks=tasks(A751, new=BLOCKED))
    store.record(command(minutes=1), tasks=tasks(A751, A575))
    last = store.last_command("anna")
    assert last is not None and {e.key for e in last.events} == {A751, A575}
    result = store.undo(last, command(verb="undo", minutes=2))
    assert result.outcome == UndoOutcome.UNDONE and result.undo is not None
    assert {(e.key, e.new) for e in result.undo.events} == {(A751, BLOCKED), (A575, TODO)}
    assert store.task_states()[A751] == BLOCKED and store.task_states()[A575] == TODO
    assert len(store.events(limit=100)) == 5  # nothing is deleted
    earlier = store.last_command("anna")
    assert earlier is not None and [e.new for e in earlier.events] == [BLOCKED]
    store.undo(earlier, command(verb="undo", minutes=3))
    assert store.last_command("anna") is None
    assert store.task_states()[A751] == TODO


def test_undo_of_a_no_go_withdraws_the_decision_and_moves_back(store: RolloutStore) -> None:
    store.record(
        command(verb="decide"),
        moves=[MoveRequest(575, "K91", "no-go", "P2")],
        decisions=[DecisionRequest("KP-3", "P2", 575, "no_go", "konvertering")],
    )
    last = store.last_command("anna")
    assert last is not None
    assert store.undo(last, command(verb="undo", minutes=1)).outcome == UndoOutcome.UNDONE
    assert store.municipalities()[575].wave == "P2"
    assert [(m.to_wave, m.reason) for m in store.wave_moves(575)][-1] == ("P2", "undo")
    assert [d.decision for d in store.gate_decisions(gate="KP-3")] == ["no_go", "withdrawn"]


def test_undo_is_refused_naming_who_changed_a_task_since(store: RolloutStore) -> None:
    store.record(command("anna"), tasks=tasks(A751, A575))
    store.record(command("bo", "block", minutes=5, source="slack"), tasks=tasks(A575, new=BLOCKED))
    last = store.last_command("anna")
    assert last is not None
    before = len(store.events(limit=100))
    result = store.undo(last, command(verb="undo", minutes=9))
    assert result.outcome == UndoOutcome.CONFLICT and result.conflict is not None
    assert (result.conflict.actor, result.conflict.at, result.conflict.source, result.conflict.key) == (
        "bo",
        NOW + timedelta(minutes=5),
        "slack",
        A575,
    )
    assert len(store.events(limit=100)) == before
    assert store.task_states()[A751] == DONE


def test_a_change_and_its_undo_by_someone_else_do_not_stand_in_the_way(store: RolloutStore) -> None:
    store.record(command("anna"), tasks=tasks(A751))
    store.record(command("bo", "block", minutes=1), tasks=tasks(A751, new=BLOCKED))
    bos = store.last_command("bo")
    assert bos is not None
    store.undo(bos, command("bo", "undo", minutes=2))
    annas = store.last_command("anna")
    assert annas is not None
    assert store.undo(annas, command("anna", "undo", minutes=3)).outcome == UndoOutcome.UNDONE
    assert store.task_states()[A751] == TODO


def test_undo_is_refused_when_the_municipality_was_moved_since(store: RolloutStore) -> None:
    store.record(command(verb="move"), moves=[MoveRequest(575, "K91", "", "P2")])
    store.save_municipalities([replace(VEJEN, wave="P1")], change=change("import", 4))
    last = store.last_command("anna")
    assert last is not None
    result = store.undo(last, command(verb="undo", minutes=5))
    assert result.outcome == UndoOutcome.CONFLICT and result.conflict is not None
    assert (result.conflict.actor, result.conflict.municipality) == ("import", 575)
    assert store.municipalities()[575].wave == "P1"


def test_undo_of_a_decision_is_refused_once_someone_decided_at_that_gate_since(store: RolloutStore) -> None:
    first = store.record(
        command(verb="decide"), decisions=[DecisionRequest("KP-3", "P2", 575, "go", "")]
    ).decisions[0]
    store.record(
        command("bo", "decide", minutes=3),
        decisions=[DecisionRequest("KP-3", "P2", 575, "no_go", "checked again", supersedes=first.id)],
    )
    last = store.last_command("anna")
    assert last is not None
    result = store.undo(last, command(verb="undo", minutes=4))
    assert result.outcome == UndoOutcome.CONFLICT and result.conflict is not None
    assert (result.conflict.actor, result.conflict.gate, result.conflict.municipality) == ("bo", "KP-3", 575)
    assert [d.decision for d in store.gate_decisions()] == ["go", "no_go"]


def standing(store: RolloutStore) -> tuple[str, str] | None:
    """The decision that stands at KP-4 P2 for Vejen: (decision, actor)."""
    found = current_decisions(store.gate_decisions()).get(("KP-4", "P2", 575))
    return (found.decision, found.actor) if found else None


def test_a_second_decision_supersedes_the_first_and_both_stay(store: RolloutStore) -> None:
    first = store.record(
        command(verb="decide"), decisions=[DecisionRequest("KP-4", "P2", 575, "go", "")]
    ).decisions[0]
    second = store.record(
        command("bo", "decide", minutes=1),
        decisions=[DecisionRequest("KP-4", "P2", 575, "no_go", "monitoring down", supersedes=first.id)],
    )
    assert second.changed and second.decisions[0].supersedes == first.id
    assert [(d.decision, d.supersedes) for d in store.gate_decisions(gate="KP-4")] == [
        ("go", None),
        ("no_go", first.id),
    ]
    assert standing(store) == ("no_go", "bo")


def test_a_decision_over_one_it_did_not_see_records_nothing(store: RolloutStore) -> None:
    first = store.record(
        command(verb="decide"), decisions=[DecisionRequest("KP-4", "P2", 575, "go", "")]
    ).decisions[0]
    store.record(
        command("bo", "decide", minutes=1),
        decisions=[DecisionRequest("KP-4", "P2", 575, "no_go", "", supersedes=first.id)],
    )
    for seen in (None, first.id):  # anna saw nothing, or saw her own go: bo's no-go stands
        result = store.record(
            command(verb="decide", minutes=2),
            decisions=[DecisionRequest("KP-4", "P2", 575, "go", "", supersedes=seen)],
        )
        assert result.outcome == RecordOutcome.CONFLICT and result.conflict is not None
        assert (result.conflict.actor, result.conflict.gate) == ("bo", "KP-4")
    assert len(store.gate_decisions()) == 2 and standing(store) == ("no_go", "bo")


def test_undo_of_a_superseding_decision_makes_the_one_before_stand_again(store: RolloutStore) -> None:
    first = store.record(
        command("bo", "decide"), decisions=[DecisionRequest("KP-4", "P2", 575, "go", "")]
    ).decisions[0]
    store.record(
        command(verb="decide", minutes=1),
        decisions=[DecisionRequest("KP-4", "P2", 575, "no_go", "", supersedes=first.id)],
    )
    last = store.last_command("anna")
    assert last is not None
    assert store.undo(last, command(verb="undo", minutes=2)).outcome == UndoOutcome.UNDONE
    assert standing(store) == ("go", "bo")
    earlier = store.last_command("bo")
    assert earlier is not None
    assert store.undo(earlier, command("bo", "undo", minutes=3)).outcome == UndoOutcome.UNDONE
    assert standing(store) is None
    assert [d.decision for d in store.gate_decisions()] == ["go", "no_go", "withdrawn", "withdrawn"]


def test_a_confirmed_go_keeps_the_tasks_it_was_taken_without(store: RolloutStore) -> None:
    store.record(
        command(verb="decide"),
        decisions=[
            DecisionRequest("KP-4", "P2", 575, "go", "ok by phone", missing=(A575.as_value(), "B/TS213@575"))
        ],
    )
    (decision,) = store.gate_decisions()
    assert decision.missing == ("A/TS213@575", "B/TS213@575")


def test_a_command_is_undone_once(store: RolloutStore) -> None:
    store.record(command(), tasks=tasks(A751))
    last = store.last_command("anna")
    assert last is not None
    store.undo(last, command(verb="undo"))
    again = store.undo(last, command(verb="undo"))
    assert again.outcome == UndoOutcome.ALREADY_UNDONE
    assert len(store.events()) == 2


def test_a_roster_change_is_recorded_field_by_field(store: RolloutStore) -> None:
    store.save_municipalities([replace(AARHUS, bookkeeping_supplier="KMD")], change=change("bo"))
    (edit,) = store.roster_changes(751)
    assert (edit.field, edit.old, edit.new, edit.actor) == ("bookkeeping_supplier", None, "KMD", "bo")
    assert store.save_municipalities([replace(AARHUS, bookkeeping_supplier="KMD")], change=change("bo")) == 0
    assert len(store.roster_changes(751)) == 1
