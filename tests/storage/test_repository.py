"""The same storage contract on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.model import Municipality, Status, TaskKey, TaskState
from storage.ports import Change, ChangeOutcome, GateDecision
from storage.repository import SqlRolloutStore

NOW = datetime(2020, 1, 21, 9, 0, tzinfo=UTC)
TODO = TaskState(Status.TODO)
DONE = TaskState(Status.DONE)
AARHUS = Municipality(751, "Aarhus", "aarhus", "P2", "Region Midtjylland")
VEJEN = Municipality(575, "Vejen", "vejen", "P2", "Region Syddanmark")


def change(actor: str = "anna") -> Change:
    return Change(actor, "console", NOW)


@pytest.fixture
def roster(store: SqlRolloutStore) -> SqlRolloutStore:
    store.save_municipalities([AARHUS, VEJEN], change=change())
    return store


def test_roster_is_stored_with_its_first_wave_recorded(roster: SqlRolloutStore) -> None:
    assert roster.municipalities()[751] == AARHUS
    (move,) = roster.wave_moves(751)
    assert (move.from_wave, move.to_wave, move.actor) == (None, "P2", "anna")


def test_a_change_is_recorded_as_an_event_with_who_when_and_where(roster: SqlRolloutStore) -> None:
    key = TaskKey("A/TS213", 751)
    result = roster.change_task(key, DONE, default=TODO, change=change())
    assert result.outcome == ChangeOutcome.CHANGED
    assert roster.task_states()[key] == DONE
    (event,) = roster.events()
    assert (event.old, event.new, event.actor, event.source, event.at) == (
        TODO, DONE, "anna", "console", NOW)


def test_marking_done_twice_is_harmless_and_records_one_event(roster: SqlRolloutStore) -> None:
    key = TaskKey("A/TS213", 751)
    roster.change_task(key, DONE, default=TODO, change=change())
    again = roster.change_task(key, DONE, default=TODO, change=change("bo"))
    assert again.outcome == ChangeOutcome.UNCHANGED
    assert len(roster.events()) == 1


def test_undo_appends_a_compensating_event_and_restores_the_state(roster: SqlRolloutStore) -> None:
    key = TaskKey("A/TS110", 751)
    roster.change_task(key, TaskState(Status.BLOCKED, "venter"), default=TODO, change=change())
    roster.change_task(key, DONE, default=TODO, change=change())
    last = roster.last_undoable("anna")
    assert last is not None and last.new == DONE
    roster.change_task(key, last.old, default=TODO, change=change(), expected=last.new,
                       compensates=last.id)
    assert roster.task_states()[key] == TaskState(Status.BLOCKED, "venter")
    assert len(roster.events()) == 3  # nothing is deleted
    assert roster.last_undoable("anna").new == TaskState(Status.BLOCKED, "venter")


def test_undo_refuses_when_someone_changed_the_task_since(roster: SqlRolloutStore) -> None:
    key = TaskKey("A/TS110", 751)
    roster.change_task(key, DONE, default=TODO, change=change("anna"))
    mine = roster.last_undoable("anna")
    roster.change_task(key, TaskState(Status.BLOCKED, "fejl"), default=TODO, change=change("bo"))
    result = roster.change_task(key, mine.old, default=TODO, change=change("anna"),
                                expected=mine.new, compensates=mine.id)
    assert result.outcome == ChangeOutcome.CONFLICT
    assert roster.task_states()[key].status == Status.BLOCKED


def test_moving_a_municipality_keeps_its_history(roster: SqlRolloutStore) -> None:
    roster.change_task(TaskKey("A/TS213", 575), DONE, default=TODO, change=change())
    roster.move_municipality(575, "K91", reason="no-go at KP-3", change=change())
    assert roster.municipalities()[575].wave == "K91"
    assert [m.to_wave for m in roster.wave_moves(575)] == ["P2", "K91"]
    assert roster.task_states([575])[TaskKey("A/TS213", 575)] == DONE


def test_gate_decisions_are_kept(roster: SqlRolloutStore) -> None:
    roster.record_gate_decision(GateDecision("KP-3", "P2", 575, "no_go", "konvertering",
                                             "anna", "console", NOW))
    (decision,) = roster.gate_decisions(wave="P2", gate="KP-3")
    assert (decision.municipality, decision.decision, decision.note) == (575, "no_go", "konvertering")


def test_states_for_one_municipality_include_the_system_wide_ones(roster: SqlRolloutStore) -> None:
    roster.change_task(TaskKey("A/TS100"), DONE, default=TODO, change=change())
    roster.change_task(TaskKey("A/TS213", 575), DONE, default=TODO, change=change())
    assert set(roster.task_states([751])) == {TaskKey("A/TS100")}


def test_twenty_threads_marking_tasks_done_lose_nothing_and_duplicate_nothing(
        roster: SqlRolloutStore) -> None:
    keys = [TaskKey(f"A/TS{200 + i}", 751) for i in range(10)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            # Two threads per task: one of each pair must find it already done.
            roster.change_task(keys[n % 10], DONE, default=TODO, change=change(f"user{n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = roster.events(limit=100)
    assert sorted(e.key.ref for e in events) == sorted(k.ref for k in keys)
    assert all(roster.task_states()[k] == DONE for k in keys)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(list(Status))), min_size=1, max_size=8))
def test_undoing_every_change_restores_the_starting_state(roster: SqlRolloutStore, changes) -> None:  # type: ignore[no-untyped-def]
    actor = f"prop-{id(changes)}-{len(roster.events(limit=1000))}"
    keys = [TaskKey(f"B/TS30{i}", 575) for i in range(3)]
    before = {k: roster.task_states().get(k, TODO) for k in keys}
    for index, status in changes:
        roster.change_task(keys[index], TaskState(status, "grund" if status == Status.BLOCKED else ""),
                           default=TODO, change=change(actor))
    while (last := roster.last_undoable(actor)) is not None:
        result = roster.change_task(last.key, last.old, default=TODO, change=change(actor),
                                    expected=last.new, compensates=last.id)
        assert result.outcome == ChangeOutcome.CHANGED
    assert {k: roster.task_states().get(k, TODO) for k in keys} == before


def test_a_roster_change_is_recorded_field_by_field(roster: SqlRolloutStore) -> None:
    from dataclasses import replace

    roster.save_municipalities([replace(AARHUS, bookkeeping_supplier="KMD")], change=change("bo"))
    (edit,) = roster.roster_changes(751)
    assert (edit.field, edit.old, edit.new, edit.actor) == ("bookkeeping_supplier", None, "KMD", "bo")
    assert roster.save_municipalities([replace(AARHUS, bookkeeping_supplier="KMD")],
                                      change=change("bo")) == 0
    assert len(roster.roster_changes(751)) == 1
