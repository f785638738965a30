"""The board's change marker moves with every recorded change, and only then (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from rollout.model import Municipality, Status, TaskKey, TaskState
from storage.changes import change_marker
from storage.ports import Change, CommandRecord, TaskChange
from storage.repository import SqlRolloutStore

AT = datetime(2020, 1, 21, 8, tzinfo=UTC)
WHO = Change("ada", "console", AT)


def test_the_marker_moves_with_a_roster_a_command_and_nothing_else(engine: Engine) -> None:
    store = SqlRolloutStore(engine)
    empty = change_marker(engine)
    assert empty == "0-0-0-0"
    store.save_municipalities([Municipality(751, "Aarhus", "aarhus", "P2")], change=WHO)
    placed = change_marker(engine)
    assert placed != empty
    assert change_marker(engine) == placed  # reading changes nothing
    store.task_states()
    assert change_marker(engine) == placed
    key = TaskKey("A/TS213", 751)
    store.record(
        CommandRecord("c1", "done", WHO),
        tasks=[TaskChange(key, TaskState(Status.DONE), TaskState(Status.TODO))],
    )
    done = change_marker(engine)
    assert done != placed
    store.record(  # the same state again records nothing, so no board needs to fetch anything
        CommandRecord("c2", "done", WHO),
        tasks=[TaskChange(key, TaskState(Status.DONE), TaskState(Status.TODO))],
    )
    assert change_marker(engine) == done
