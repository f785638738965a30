"""The writes of one command inside one SQL transaction (used by ``SqlRolloutStore``).

Every function takes the open :class:`~sqlalchemy.Connection` of the command's transaction and
never commits: the caller commits all of it or rolls all of it back. Task rows are written one
statement at a time with a version check, so a concurrent writer makes :class:`Contended` fly
and the caller retries the whole command.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, tuple_, update
from sqlmodel import SQLModel, col

from rollout.decisions import current_decisions
from rollout.model import Status, TaskKey, TaskState
from storage.ports import (
    Change,
    ChangeOutcome,
    ChangeResult,
    CommandRecord,
    DecisionRequest,
    GateDecision,
    MoveRequest,
    TaskChange,
    TaskEvent,
    WaveMove,
)
from storage.tables import (
    CommandRow,
    GateDecisionRow,
    MunicipalityRow,
    TaskStateRow,
    WaveMoveRow,
)

__all__ = [
    "Contended",
    "DecidedMeanwhile",
    "StateMoved",
    "StateRow",
    "check_standing",
    "decision_from_row",
    "insert_command",
    "insert_decision",
    "insert_event",
    "lock_wave",
    "put_state",
    "read_states",
    "write_decisions",
    "write_moves",
    "write_tasks",
]

_CHUNK = 300  # keys per query: well under SQLite's limit on bound parameters


class Contended(Exception):
    """Another writer changed a row between our read and our write: retry the command."""


StateRow = tuple[int, str, str, int]  # id, status, reason, version


def _chunks(keys: Sequence[TaskKey]) -> Iterator[Sequence[TaskKey]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def read_states(conn: Connection, keys: Sequence[TaskKey]) -> dict[TaskKey, StateRow]:
    """The stored rows of these tasks (tasks with no row are absent)."""
    found: dict[TaskKey, StateRow] = {}
    columns = (col(TaskStateRow.ref), col(TaskStateRow.municipality), col(TaskStateRow.connection))
    for chunk in _chunks(keys):
        query = select(
            *columns,
            col(TaskStateRow.id),
            col(TaskStateRow.status),
            col(TaskStateRow.reason),
            col(TaskStateRow.version),
        ).where(tuple_(*columns).in_([(k.ref, k.municipality, k.connection) for k in chunk]))
        for ref, municipality, connection, row_id, status, reason, version in conn.execute(query):
            found[TaskKey(ref, municipality, connection)] = (cast(int, row_id), status, reason, version)
    return found


# Built once: building a statement per row cost more than running it (seeding 3,000 rows).
_STATE = SQLModel.metadata.tables["task_state"]
_EVENT = SQLModel.metadata.tables["task_event"]
_INSERT_STATE = insert(_STATE)
_UPDATE_STATE = update(_STATE).where(
    _STATE.c.id == bindparam("b_id"), _STATE.c.version == bindparam("b_version")
)
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)


def put_state(conn: Connection, key: TaskKey, row: StateRow | None, new: TaskState, change: Change) -> None:
    """Store ``new`` for the task; Contended if its row changed since it was read."""
    values = {
        "status": new.status.value,
        "reason": new.reason,
        "updated_at": change.at,
        "updated_by": change.actor,
    }
    if row is None:  # a concurrent insert of the same key fails on the unique constraint
        conn.execute(
            _INSERT_STATE,
            {
                **values,
                "ref": key.ref,
                "municipality": key.municipality,
                "connection": key.connection,
                "version": 1,
            },
        )
        return
    row_id, _status, _reason, version = row
    claimed = conn.execute(
        _UPDATE_STATE, {**values, "version": version + 1, "b_id": row_id, "b_version": version}
    )
    if claimed.rowcount != 1:
        raise Contended(key.as_value())


def insert_event(
    conn: Connection,
    key: TaskKey,
    old: TaskState,
    new: TaskState,
    command: CommandRecord,
    compensates: int | None = None,
) -> TaskEvent:
    change = command.change
    event_id: int = conn.execute(
        _INSERT_EVENT,
        {
            "ref": key.ref,
            "municipality": key.municipality,
            "connection": key.connection,
            "old_status": old.status.value,
            "old_reason": old.reason,
            "new_status": new.status.value,
            "new_reason": new.reason,
            "actor": change.actor,
            "source": change.source,
            "at": change.at,
            "compensates": compensates,
            "command_id": command.id,
        },
    ).scalar_one()
    return TaskEvent(event_id, key, old, new, change.actor, change.source, change.at, compensates, command.id)


class StateMoved(Exception):
    """A task is no longer in the state the command read: someone else changed it meanwhile."""

    def __init__(self, key: TaskKey) -> None:
        super().__init__(key.as_value())
        self.key = key


def write_tasks(conn: Connection, command: CommandRecord, tasks: Sequence[TaskChange]) -> list[ChangeResult]:
    """Set each task's state and append its event; a task already so is left UNCHANGED."""
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("a command changes each task once")
    rows = read_states(conn, keys)
    results: dict[TaskKey, ChangeResult] = {}
    # Rows are written in key order, the same for every writer: two commands over the same
    # tasks then wait for each other instead of deadlocking (PostgreSQL).
    for task in sorted(tasks, key=lambda task: task.key):
        row = rows.get(task.key)
        before = TaskState(Status(row[1]), row[2]) if row else task.default
        if task.expected is not None and before != task.expected:
            raise StateMoved(task.key)
        if before == task.new:
            results[task.key] = ChangeResult(ChangeOutcome.UNCHANGED, before)
            continue
        put_state(conn, task.key, row, task.new, command.change)
        event = insert_event(conn, task.key, before, task.new, command)
        results[task.key] = ChangeResult(ChangeOutcome.CHANGED, before, event)
    return [results[key] for key in keys]


def lock_wave(conn: Connection, code: int) -> str:
    """The municipality's wave, its row locked until the transaction ends (PostgreSQL)."""
    wave = conn.execute(
        select(col(MunicipalityRow.wave)).where(col(MunicipalityRow.code) == code).with_for_update()
    ).scalar_one_or_none()
    if wave is None:
        raise KeyError(code)
    return wave


def insert_move(
    conn: Connection, code: int, from_wave: str, to_wave: str, reason: str, command: CommandRecord
) -> WaveMove:
    change = command.change
    conn.execute(update(MunicipalityRow).where(col(MunicipalityRow.code) == code).values(wave=to_wave))
    move_id = conn.execute(
        insert(WaveMoveRow)
        .values(
            municipality_code=code,
            from_wave=from_wave,
            to_wave=to_wave,
            reason=reason,
            actor=change.actor,
            source=change.source,
            at=change.at,
            command_id=command.id,
        )
        .returning(col(WaveMoveRow.id))
    ).scalar_one()
    assert move_id is not None
    return WaveMove(
        code, from_wave, to_wave, reason, change.actor, change.source, change.at, command.id, move_id
    )


def write_moves(
    conn: Connection, command: CommandRecord, moves: Sequence[MoveRequest]
) -> list[WaveMove] | int:
    """Move each municipality; the code of the first one not in its expected wave, if any."""
    done: list[WaveMove] = []
    for move in moves:
        wave = lock_wave(conn, move.municipality)
        if wave != move.expected_wave:
            return move.municipality
        if wave != move.to_wave:
            done.append(insert_move(conn, move.municipality, wave, move.to_wave, move.reason, command))
    return done


def decision_from_row(row: RowMapping) -> GateDecision:
    """A ``gate_decision`` row as the record the ports hand out."""
    missing = tuple(v for v in (row["missing"] or "").split(",") if v)
    return GateDecision(
        row["gate"],
        row["wave"],
        row["municipality_code"],
        row["decision"],
        row["note"],
        row["actor"],
        row["source"],
        row["at"],
        row["command_id"],
        row["id"],
        row["supersedes"],
        missing,
    )


def insert_decision(conn: Connection, decision: DecisionRequest, command: CommandRecord) -> GateDecision:
    change = command.change
    decision_id = conn.execute(
        insert(GateDecisionRow)
        .values(
            gate=decision.gate,
            wave=decision.wave,
            municipality_code=decision.municipality,
            decision=decision.decision,
            note=decision.note,
            actor=change.actor,
            source=change.source,
            at=change.at,
            command_id=command.id,
            supersedes=decision.supersedes,
            missing=",".join(decision.missing),
        )
        .returning(col(GateDecisionRow.id))
    ).scalar_one()
    assert decision_id is not None
    return GateDecision(
        decision.gate,
        decision.wave,
        decision.municipality,
        decision.decision,
        decision.note,
        change.actor,
        change.source,
        change.at,
        command.id,
        decision_id,
        decision.supersedes,
        decision.missing,
    )


class DecidedMeanwhile(Exception):
    """Another decision than the one the command saw stands at the gate by now; ``latest`` is
    the newest decision there (who got in between)."""

    def __init__(self, latest: GateDecision) -> None:
        super().__init__(f"{latest.gate}:{latest.municipality}")
        self.latest = latest


def check_standing(found: Sequence[GateDecision], decision: DecisionRequest) -> None:
    """DecidedMeanwhile unless the decision standing among ``found`` (every decision at that
    gate, wave and municipality) is the one ``decision`` supersedes."""
    where = (decision.gate, decision.wave, decision.municipality)
    standing = current_decisions(found).get(where)
    if (standing.id if standing else None) != decision.supersedes:
        raise DecidedMeanwhile(max(found, key=lambda d: d.id))


def write_decisions(
    conn: Connection, command: CommandRecord, decisions: Sequence[DecisionRequest]
) -> list[GateDecision] | int:
    """Record each decision; the code of the first municipality no longer in that wave, if any.
    DecidedMeanwhile where another decision than the one the command saw stands."""
    recorded = []
    for decision in decisions:
        # The lock makes deciders of one municipality (and undos of it) take turns.
        if lock_wave(conn, decision.municipality) != decision.wave:
            return decision.municipality
        rows = conn.execute(
            select(GateDecisionRow).where(
                col(GateDecisionRow.gate) == decision.gate,
                col(GateDecisionRow.wave) == decision.wave,
                col(GateDecisionRow.municipality_code) == decision.municipality,
            )
        ).mappings()
        check_standing([decision_from_row(r) for r in rows], decision)
        recorded.append(insert_decision(conn, decision, command))
    return recorded


def insert_command(conn: Connection, command: CommandRecord, undoes: str | None = None) -> None:
    change = command.change
    conn.execute(
        insert(CommandRow).values(
            command_id=command.id,
            verb=command.verb,
            actor=change.actor,
            source=change.source,
            at=change.at,
            undoes=undoes,
        )
    )
