"""What only a real database shows: concurrent writers, and a write that fails half-way."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event

from rollout.model import Municipality, Status, TaskKey, TaskState
from storage.ports import Change, CommandRecord, RecordOutcome, TaskChange, UndoOutcome
from storage.repository import SqlRolloutStore

NOW = datetime(2020, 1, 21, 9, 0, tzinfo=UTC)
TODO = TaskState(Status.TODO)
DONE = TaskState(Status.DONE)
AARHUS = Municipality(751, "Aarhus", "aarhus", "P2", "Region Midtjylland")
VEJEN = Municipality(575, "Vejen", "vejen", "P2", "Region Syddanmark")


def command(actor: str = "anna", verb: str = "done") -> CommandRecord:
    return CommandRecord(uuid.uuid4().hex, verb, Change(actor, "console", NOW))


@pytest.fixture
def roster(store: SqlRolloutStore) -> SqlRolloutStore:
    store.save_municipalities([AARHUS, VEJEN], change=Change("anna", "console", NOW))
    return store


class Boom(Exception):
    """The database failing in the middle of a write."""


@pytest.fixture
def fail_on_nth_event(engine: Engine) -> Iterator[list[int]]:
    """Make the n-th task_event insert after arming fail (set ``[n]``; empty: never)."""
    arm: list[int] = []
    seen = [0]

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if arm and statement.lstrip().upper().startswith("INSERT INTO TASK_EVENT"):
            seen[0] += 1
            if seen[0] == arm[0]:
                raise Boom("disk full")

    event.listen(engine, "before_cursor_execute", before)
    yield arm
    event.remove(engine, "before_cursor_execute", before)


def test_a_write_failing_half_way_leaves_nothing_recorded(
    roster: SqlRolloutStore, fail_on_nth_event: list[int]
) -> None:
    keys = [TaskKey(f"A/TS{200 + i}", code) for i in range(25) for code in (751, 575)]
    fail_on_nth_event.append(10)
    doomed = command()
    with pytest.raises(Boom):
        roster.record(doomed, tasks=[TaskChange(k, DONE, TODO) for k in keys])
    assert roster.task_states() == {} and roster.events() == []
    assert not roster.command_recorded(doomed.id) and roster.last_command("anna") is None
    fail_on_nth_event.clear()
    result = roster.record(command(), tasks=[TaskChange(k, DONE, TODO) for k in keys])
    assert result.outcome == RecordOutcome.RECORDED and len(roster.task_states()) == 50


def test_an_undo_failing_half_way_undoes_nothing(
    roster: SqlRolloutStore, fail_on_nth_event: list[int]
) -> None:
    keys = [TaskKey(f"A/TS{200 + i}", 751) for i in range(6)]
    roster.record(command(), tasks=[TaskChange(k, DONE, TODO) for k in keys])
    last = roster.last_command("anna")
    assert last is not None
    fail_on_nth_event.append(4)  # the 4th of the 6 compensating events fails
    with pytest.raises(Boom):
        roster.undo(last, command(verb="undo"))
    assert set(roster.task_states().values()) == {DONE} and len(roster.events()) == 6
    fail_on_nth_event.clear()
    assert roster.undo(last, command(verb="undo")).outcome == UndoOutcome.UNDONE


def test_twenty_threads_marking_tasks_done_lose_nothing_and_duplicate_nothing(
    roster: SqlRolloutStore,
) -> None:
    keys = [TaskKey(f"A/TS{200 + i}", 751) for i in range(10)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            # Two threads per pair of tasks, in both orders: every task is claimed twice.
            pair = [keys[n % 10], keys[(n + 1) % 10]]
            roster.record(command(f"user{n}"), tasks=[TaskChange(k, DONE, TODO) for k in pair])
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


def test_two_people_undoing_the_same_command_at_once_undo_it_once(roster: SqlRolloutStore) -> None:
    keys = [TaskKey(f"A/TS{200 + i}", 751) for i in range(5)]
    roster.record(command(), tasks=[TaskChange(k, DONE, TODO) for k in keys])
    last = roster.last_command("anna")
    assert last is not None
    barrier = threading.Barrier(4)
    outcomes: list[UndoOutcome] = []

    def worker() -> None:
        barrier.wait()
        outcomes.append(roster.undo(last, command(verb="undo")).outcome)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted([UndoOutcome.UNDONE] + [UndoOutcome.ALREADY_UNDONE] * 3)
    assert len(roster.events(limit=100)) == 10
