"""Undo of a whole command in SQL: find it, find what stands in its way, compensate it.

Nothing is deleted: a task goes back by a compensating event, a wave move by a move back
(reason ``undo``), a gate decision by a ``withdrawn`` decision. The rule for what stands in the
way is :func:`latest_standing`, shared with the in-memory store.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, RowMapping, exists, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from rollout.model import Status, TaskKey, TaskState
from storage.ports import (
    CommandRecord,
    Conflict,
    DecisionRequest,
    RecordedCommand,
    TaskEvent,
    WaveMove,
)
from storage.recording import (
    Contended,
    decision_from_row,
    insert_command,
    insert_decision,
    insert_event,
    insert_move,
    lock_wave,
    put_state,
    read_states,
)
from storage.tables import CommandRow, GateDecisionRow, TaskEventRow, WaveMoveRow

__all__ = [
    "UNDO_REASON",
    "WITHDRAWN",
    "compensate",
    "find_conflict",
    "last_command",
    "latest_standing",
    "load_command",
    "lock_places",
]

UNDO_REASON = "undo"
WITHDRAWN = "withdrawn"

Later = tuple[Conflict, str | None]  # a later change and the command that made it


def latest_standing(later: Iterable[Later], void: set[str]) -> Conflict | None:
    """The newest later change that still stands: one not made by a command that was undone
    or that is itself an undo (those cancel out). Changes of no command always stand."""
    standing = [c for c, command_id in later if command_id is None or command_id not in void]
    return max(standing, key=lambda c: c.at) if standing else None


def _event(row: RowMapping) -> TaskEvent:
    return TaskEvent(
        row["id"],
        TaskKey(row["ref"], row["municipality"], row["connection"]),
        TaskState(Status(row["old_status"]), row["old_reason"]),
        TaskState(Status(row["new_status"]), row["new_reason"]),
        row["actor"],
        row["source"],
        row["at"],
        row["compensates"],
        row["command_id"],
    )


def load_command(conn: Connection, command_id: str) -> RecordedCommand | None:
    row = conn.execute(select(CommandRow).where(col(CommandRow.command_id) == command_id)).mappings().first()
    if row is None:
        return None
    events = tuple(
        _event(r)
        for r in conn.execute(
            select(TaskEventRow)
            .where(col(TaskEventRow.command_id) == command_id)
            .order_by(col(TaskEventRow.id))
        ).mappings()
    )
    moves = tuple(
        WaveMove(
            r["municipality_code"],
            r["from_wave"],
            r["to_wave"],
            r["reason"],
            r["actor"],
            r["source"],
            r["at"],
            r["command_id"],
            r["id"],
        )
        for r in conn.execute(
            select(WaveMoveRow).where(col(WaveMoveRow.command_id) == command_id).order_by(col(WaveMoveRow.id))
        ).mappings()
    )
    decisions = tuple(
        decision_from_row(r)
        for r in conn.execute(
            select(GateDecisionRow)
            .where(col(GateDecisionRow.command_id) == command_id)
            .order_by(col(GateDecisionRow.id))
        ).mappings()
    )
    return RecordedCommand(
        row["command_id"], row["verb"], row["actor"], row["source"], row["at"], events, moves, decisions
    )


def last_command(conn: Connection, actor: str) -> RecordedCommand | None:
    undo = aliased(CommandRow)
    command_id = conn.execute(
        select(col(CommandRow.command_id))
        .where(
            col(CommandRow.actor) == actor,
            col(CommandRow.undoes).is_(None),
            ~exists().where(col(undo.undoes) == col(CommandRow.command_id)),
        )
        .order_by(col(CommandRow.seq).desc())
        .limit(1)
    ).scalar_one_or_none()
    return load_command(conn, command_id) if command_id else None


def _later(conn: Connection, target: RecordedCommand) -> list[Later]:
    later: list[Later] = []
    by_key = {e.key: e.id for e in target.events}
    if by_key:
        for row in conn.execute(
            select(TaskEventRow).where(
                col(TaskEventRow.id) > min(by_key.values()),
                col(TaskEventRow.municipality).in_({k.municipality for k in by_key}),
            )
        ).mappings():
            key = TaskKey(row["ref"], row["municipality"], row["connection"])
            if key in by_key and row["id"] > by_key[key]:
                later.append((Conflict(row["actor"], row["source"], row["at"], key=key), row["command_id"]))
    by_code = {m.municipality: m.id for m in target.moves}
    if by_code:
        for row in conn.execute(
            select(WaveMoveRow).where(
                col(WaveMoveRow.id) > min(by_code.values()), col(WaveMoveRow.municipality_code).in_(by_code)
            )
        ).mappings():
            if row["id"] > by_code[row["municipality_code"]]:
                later.append(
                    (
                        Conflict(
                            row["actor"], row["source"], row["at"], municipality=row["municipality_code"]
                        ),
                        row["command_id"],
                    )
                )
    by_gate = {(d.gate, d.wave, d.municipality): d.id for d in target.decisions}
    if by_gate:
        for row in conn.execute(
            select(GateDecisionRow).where(col(GateDecisionRow.id) > min(by_gate.values()))
        ).mappings():
            where = (row["gate"], row["wave"], row["municipality_code"])
            if where in by_gate and row["id"] > by_gate[where]:
                later.append(
                    (
                        Conflict(
                            row["actor"], row["source"], row["at"], municipality=where[2], gate=where[0]
                        ),
                        row["command_id"],
                    )
                )
    return later


def _void(conn: Connection, command_ids: set[str]) -> set[str]:
    """Of these commands, those that are undos or were undone."""
    if not command_ids:
        return set()
    rows = conn.execute(
        select(col(CommandRow.command_id), col(CommandRow.undoes)).where(
            col(CommandRow.command_id).in_(command_ids) | col(CommandRow.undoes).in_(command_ids)
        )
    )
    void: set[str] = set()
    for command_id, undoes in rows:
        if undoes is not None:
            void.update({command_id, undoes})
    return void & command_ids


def find_conflict(conn: Connection, target: RecordedCommand) -> Conflict | None:
    later = _later(conn, target)
    return latest_standing(later, _void(conn, {c for _, c in later if c is not None}))


def lock_places(conn: Connection, target: RecordedCommand) -> None:
    """Lock the municipalities whose wave or gate decisions the undo touches (PostgreSQL), so
    no move or decision gets in between the check for conflicts and the compensation."""
    for code in sorted({m.municipality for m in target.moves} | {d.municipality for d in target.decisions}):
        lock_wave(conn, code)


def compensate(conn: Connection, target: RecordedCommand, command: CommandRecord) -> RecordedCommand:
    """Write the compensations of ``target``. Contended if a task or wave is no longer as the
    command left it (a writer got in after :func:`find_conflict`): retry, and find it then."""
    events: list[TaskEvent] = []
    rows = read_states(conn, [e.key for e in target.events])
    for e in sorted(target.events, key=lambda e: e.key):  # key order, as every writer
        row = rows.get(e.key)
        if row is None or TaskState(Status(row[1]), row[2]) != e.new:
            raise Contended(e.key.as_value())
        put_state(conn, e.key, row, e.old, command.change)
        events.append(insert_event(conn, e.key, e.new, e.old, command, compensates=e.id))
    decisions = [
        insert_decision(
            conn, DecisionRequest(d.gate, d.wave, d.municipality, WITHDRAWN, UNDO_REASON, d.id), command
        )
        for d in reversed(target.decisions)
    ]
    moves: list[WaveMove] = []
    for m in reversed(target.moves):
        if lock_wave(conn, m.municipality) != m.to_wave or m.from_wave is None:
            raise Contended(f"wave:{m.municipality}")
        moves.append(insert_move(conn, m.municipality, m.to_wave, m.from_wave, UNDO_REASON, command))
    insert_command(conn, command, undoes=target.id)
    change = command.change
    return RecordedCommand(
        command.id,
        command.verb,
        change.actor,
        change.source,
        change.at,
        tuple(events),
        tuple(moves),
        tuple(decisions),
    )
