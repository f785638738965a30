"""The SQL implementation of :class:`storage.ports.RolloutStore` (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, and_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from rollout.graph import PlanGraph
from rollout.model import SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from rollout.status import Rollout
from storage.ports import (
    Change,
    ChangeOutcome,
    CommandRecord,
    Conflict,
    DecisionRequest,
    GateDecision,
    MoveRequest,
    RecordedCommand,
    RecordOutcome,
    RecordResult,
    RosterChange,
    TaskChange,
    TaskEvent,
    UndoOutcome,
    UndoResult,
    WaveMove,
)
from storage.recording import (
    Contended,
    DecidedMeanwhile,
    StateMoved,
    decision_from_row,
    insert_command,
    write_decisions,
    write_moves,
    write_tasks,
)
from storage.snapshots import RolloutSnapshots, serialise_writers
from storage.tables import (
    CommandRow,
    GateDecisionRow,
    MunicipalityRow,
    RosterChangeRow,
    TaskEventRow,
    TaskStateRow,
    WaveMoveRow,
)
from storage.undoing import compensate, find_conflict, last_command, lock_places

__all__ = ["SqlRolloutStore"]

_MAX_ATTEMPTS = 20
_T = TypeVar("_T")
_TRANSIENT = {"40001", "40P01"}  # PostgreSQL: serialization failure, deadlock detected


def _municipality(row: MunicipalityRow) -> Municipality:
    return Municipality(
        row.code,
        row.name,
        row.slug,
        row.wave,
        row.region,
        row.bookkeeping_supplier,
        row.debtor_supplier,
        tuple(c for c in row.connections.split(",") if c) or ("KSD",),
    )


def _event(row: TaskEventRow) -> TaskEvent:
    assert row.id is not None
    return TaskEvent(
        row.id,
        TaskKey(row.ref, row.municipality, row.connection),
        TaskState(Status(row.old_status), row.old_reason),
        TaskState(Status(row.new_status), row.new_reason),
        row.actor,
        row.source,
        row.at,
        row.compensates,
        row.command_id,
    )


_REPLAY_CHUNK = 2_000  # rows fetched at a time by ``states_on``


class SqlRolloutStore:
    """Rollout storage in one SQL database; each call is one short transaction, and all the
    writes of one command are one call (:meth:`record`, :meth:`undo`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.snapshots = RolloutSnapshots(engine, self)

    def snapshot(self, graph: PlanGraph) -> Rollout:
        """The rollout as recorded now, kept between calls (see :mod:`storage.snapshots`)."""
        return self.snapshots.current(graph)

    # -- municipalities ------------------------------------------------------------------

    def municipalities(self) -> dict[int, Municipality]:
        with Session(self.engine) as session:
            rows = session.exec(select(MunicipalityRow)).all()
            return {row.code: _municipality(row) for row in rows}

    def save_municipalities(self, municipalities: Iterable[Municipality], *, change: Change) -> int:
        changed = 0
        with Session(self.engine) as session:
            serialise_writers(session.connection())
            for m in municipalities:
                row = session.get(MunicipalityRow, m.code)
                moved_from: str | None = None
                if row is None:
                    row = MunicipalityRow(code=m.code, name=m.name, slug=m.slug, wave=m.wave)
                    is_new = True
                else:
                    is_new = False
                    moved_from = row.wave if row.wave != m.wave else None
                values = {
                    "name": m.name,
                    "slug": m.slug,
                    "region": m.region,
                    "wave": m.wave,
                    "bookkeeping_supplier": m.bookkeeping_supplier,
                    "debtor_supplier": m.debtor_supplier,
                    "connections": ",".join(m.connections),
                }
                if not is_new and all(getattr(row, k) == v for k, v in values.items()):
                    continue
                edits = [
                    (name, getattr(row, name), value)
                    for name, value in values.items()
                    if name != "wave" and not is_new and getattr(row, name) != value
                ]
                for name, value in values.items():
                    setattr(row, name, value)
                session.add(row)
                session.flush()
                session.add_all(
                    RosterChangeRow(
                        municipality_code=m.code,
                        field=name,
                        old=old,
                        new=new,
                        actor=change.actor,
                        source=change.source,
                        at=change.at,
                    )
                    for name, old, new in edits
                )
                if is_new or moved_from is not None:
                    session.add(
                        WaveMoveRow(
                            municipality_code=m.code,
                            from_wave=moved_from,
                            to_wave=m.wave,
                            reason="roster import",
                            actor=change.actor,
                            source=change.source,
                            at=change.at,
                        )
                    )
                changed += 1
            session.commit()
        return changed

    def roster_changes(self, municipality: int) -> list[RosterChange]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(RosterChangeRow)
                .where(RosterChangeRow.municipality_code == municipality)
                .order_by(col(RosterChangeRow.id))
            ).all()
            return [
                RosterChange(r.municipality_code, r.field, r.old, r.new, r.actor, r.source, r.at)
                for r in rows
            ]

    def wave_moves(self, municipality: int | None = None) -> list[WaveMove]:
        with Session(self.engine) as session:
            query = select(WaveMoveRow).order_by(col(WaveMoveRow.id))
            if municipality is not None:
                query = query.where(WaveMoveRow.municipality_code == municipality)
            return [
                WaveMove(
                    r.municipality_code,
                    r.from_wave,
                    r.to_wave,
                    r.reason,
                    r.actor,
                    r.source,
                    r.at,
                    r.command_id,
                    r.id or 0,
                )
                for r in session.exec(query).all()
            ]

    # -- task states -----------------------------------------------------------------------

    def task_states(self, municipalities: Iterable[int] | None = None) -> dict[TaskKey, TaskState]:
        # Plain columns, not ORM objects: every command reads thousands of these rows.
        query = sa_select(
            col(TaskStateRow.ref),
            col(TaskStateRow.municipality),
            col(TaskStateRow.connection),
            col(TaskStateRow.status),
            col(TaskStateRow.reason),
        )
        if municipalities is not None:
            codes = [*municipalities, SYSTEM_WIDE]
            query = query.where(col(TaskStateRow.municipality).in_(codes))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        states: dict[tuple[str, str], TaskState] = {}
        out: dict[TaskKey, TaskState] = {}
        for ref, municipality, connection_name, status, reason in rows:
            state = states.get((status, reason))
            if state is None:
                state = states[(status, reason)] = TaskState(Status(status), reason)
            out[TaskKey(ref, municipality, connection_name)] = state
        return out

    # -- one command, one transaction ----------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock at once (BEGIN IMMEDIATE), so
        the rows it reads cannot change under it and a waiting writer queues on busy_timeout."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                serialise_writers(conn)
                yield conn
            except BaseException:
                conn.rollback()
                raise

    def _retrying(self, attempt: Callable[[Connection], _T]) -> _T:
        """Run ``attempt`` in a fresh transaction until no concurrent writer got in between."""
        for _ in range(_MAX_ATTEMPTS - 1):
            try:
                with self._transaction() as conn:
                    return attempt(conn)
            except (Contended, IntegrityError):  # e.g. both inserted the same new task row
                continue
            except OperationalError as err:  # a deadlock or serialization failure: retry
                if getattr(err.orig, "sqlstate", None) not in _TRANSIENT:
                    raise
        with self._transaction() as conn:
            return attempt(conn)

    def record(
        self,
        command: CommandRecord,
        *,
        tasks: Sequence[TaskChange] = (),
        moves: Sequence[MoveRequest] = (),
        decisions: Sequence[DecisionRequest] = (),
    ) -> RecordResult:
        def attempt(conn: Connection) -> RecordResult:
            # Decisions first: they are taken in the wave the municipality is in before a move.
            try:
                decided = write_decisions(conn, command, decisions)
            except DecidedMeanwhile as meanwhile:
                conn.rollback()
                latest = meanwhile.latest
                return RecordResult(
                    RecordOutcome.CONFLICT,
                    conflict=Conflict(
                        latest.actor,
                        latest.source,
                        latest.at,
                        municipality=latest.municipality,
                        gate=latest.gate,
                    ),
                )
            moved = decided if isinstance(decided, int) else write_moves(conn, command, moves)
            if isinstance(moved, int):  # that municipality is in another wave by now
                conn.rollback()
                return RecordResult(RecordOutcome.CONFLICT, conflict=self._move_conflict(moved))
            assert not isinstance(decided, int)
            try:
                results = write_tasks(conn, command, tasks)
            except StateMoved as moved_on:
                conn.rollback()
                return RecordResult(RecordOutcome.CONFLICT, conflict=self._task_conflict(moved_on.key))
            if not moved and not decided and all(r.outcome == ChangeOutcome.UNCHANGED for r in results):
                conn.rollback()
                return RecordResult(RecordOutcome.NOTHING, tuple(results))
            insert_command(conn, command)
            conn.commit()
            return RecordResult(RecordOutcome.RECORDED, tuple(results), tuple(moved), tuple(decided))

        return self._retrying(attempt)

    def _task_conflict(self, key: TaskKey) -> Conflict:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa_select(col(TaskEventRow.actor), col(TaskEventRow.source), col(TaskEventRow.at))
                .where(
                    col(TaskEventRow.ref) == key.ref,
                    col(TaskEventRow.municipality) == key.municipality,
                    col(TaskEventRow.connection) == key.connection,
                )
                .order_by(col(TaskEventRow.id).desc())
                .limit(1)
            ).first()
        if row is None:  # pragma: no cover - a state row is only ever written with its event
            raise RuntimeError(f"{key.as_value()} changed without an event")
        return Conflict(row[0], row[1], row[2], key=key)

    def _move_conflict(self, code: int) -> Conflict:
        last = self.wave_moves(code)[-1]
        return Conflict(last.actor, last.source, last.at, municipality=code)

    def command_recorded(self, command_id: str) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    sa_select(col(CommandRow.seq)).where(col(CommandRow.command_id) == command_id)
                ).first()
                is not None
            )

    def last_command(self, actor: str) -> RecordedCommand | None:
        with self.engine.connect() as conn:
            return last_command(conn, actor)

    def undo(self, target: RecordedCommand, command: CommandRecord) -> UndoResult:
        def attempt(conn: Connection) -> UndoResult:
            if (
                conn.execute(
                    sa_select(col(CommandRow.seq)).where(col(CommandRow.undoes) == target.id)
                ).first()
                is not None
            ):
                return UndoResult(UndoOutcome.ALREADY_UNDONE)
            lock_places(conn, target)
            conflict = find_conflict(conn, target)
            if conflict is not None:
                conn.rollback()
                return UndoResult(UndoOutcome.CONFLICT, conflict=conflict)
            done = compensate(conn, target, command)
            conn.commit()
            return UndoResult(UndoOutcome.UNDONE, undo=done)

        # A concurrent undo of the same command fails on the unique ``undoes``; its retry
        # then sees the command undone.
        return self._retrying(attempt)

    def events(
        self, *, municipality: int | None = None, wave: str | None = None, limit: int = 20
    ) -> list[TaskEvent]:
        with Session(self.engine) as session:
            query = select(TaskEventRow).order_by(col(TaskEventRow.id).desc()).limit(limit)
            if municipality is not None:
                shared = and_(
                    col(TaskEventRow.municipality) == SYSTEM_WIDE,
                    col(TaskEventRow.connection).in_(["", wave or ""]),
                )
                query = query.where(or_(col(TaskEventRow.municipality) == municipality, shared))
            return [_event(r) for r in session.exec(query).all()]

    def states_on(
        self, end: datetime, municipalities: Collection[int] | None = None
    ) -> dict[TaskKey, TaskState]:
        # Only the columns a replay needs, streamed in chunks: at 10x the roster the whole
        # history as TaskEvent objects (what ``events`` gives) made a gate's answer allocate
        # 160 MB for a moment, which the worker process then kept as free heap.
        columns = (
            col(TaskEventRow.ref),
            col(TaskEventRow.municipality),
            col(TaskEventRow.connection),
            col(TaskEventRow.new_status),
            col(TaskEventRow.new_reason),
            col(TaskEventRow.at),
        )
        query = sa_select(*columns).order_by(col(TaskEventRow.id))
        if municipalities is not None:
            query = query.where(col(TaskEventRow.municipality).in_([*municipalities, SYSTEM_WIDE]))
        kinds: dict[tuple[str, str], TaskState] = {}
        states: dict[TaskKey, TaskState] = {}
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=_REPLAY_CHUNK).execute(query)
            for ref, municipality, connection, status, reason, at in rows:
                if at < end:
                    state = kinds.get((status, reason))
                    if state is None:
                        state = kinds[(status, reason)] = TaskState(Status(status), reason)
                    states[TaskKey(ref, municipality, connection)] = state
        return states

    # -- gate decisions ---------------------------------------------------------------------

    def gate_decisions(self, *, wave: str | None = None, gate: str | None = None) -> list[GateDecision]:
        query = sa_select(GateDecisionRow).order_by(col(GateDecisionRow.id))
        if wave is not None:
            query = query.where(col(GateDecisionRow.wave) == wave)
        if gate is not None:
            query = query.where(col(GateDecisionRow.gate) == gate)
        with self.engine.connect() as conn:
            return [decision_from_row(r) for r in conn.execute(query).mappings()]
