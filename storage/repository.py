"""The SQL implementation of :class:`storage.ports.RolloutStore` (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, and_, exists, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from rollout.model import SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from storage.ports import (
    Change,
    ChangeOutcome,
    ChangeResult,
    GateDecision,
    RosterChange,
    TaskEvent,
    WaveMove,
)
from storage.tables import (
    GateDecisionRow,
    MunicipalityRow,
    RosterChangeRow,
    TaskEventRow,
    TaskStateRow,
    WaveMoveRow,
)

__all__ = ["SqlRolloutStore"]

_MAX_ATTEMPTS = 20


def _municipality(row: MunicipalityRow) -> Municipality:
    return Municipality(row.code, row.name, row.slug, row.wave, row.region,
                        row.bookkeeping_supplier, row.debtor_supplier,
                        tuple(c for c in row.connections.split(",") if c) or ("KSD",))


def _event(row: TaskEventRow) -> TaskEvent:
    assert row.id is not None
    return TaskEvent(row.id, TaskKey(row.ref, row.municipality, row.connection),
                     TaskState(Status(row.old_status), row.old_reason),
                     TaskState(Status(row.new_status), row.new_reason),
                     row.actor, row.source, row.at, row.compensates)


class SqlRolloutStore:
    """Rollout storage in one SQL database; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- municipalities ------------------------------------------------------------------

    def municipalities(self) -> dict[int, Municipality]:
        with Session(self.engine) as session:
            rows = session.exec(select(MunicipalityRow)).all()
            return {row.code: _municipality(row) for row in rows}

    def save_municipalities(self, municipalities: Iterable[Municipality], *,
                            change: Change) -> int:
        changed = 0
        with Session(self.engine) as session:
            for m in municipalities:
                row = session.get(MunicipalityRow, m.code)
                moved_from: str | None = None
                if row is None:
                    row = MunicipalityRow(code=m.code, name=m.name, slug=m.slug, wave=m.wave)
                    is_new = True
                else:
                    is_new = False
                    moved_from = row.wave if row.wave != m.wave else None
                values = {"name": m.name, "slug": m.slug, "region": m.region, "wave": m.wave,
                          "bookkeeping_supplier": m.bookkeeping_supplier,
                          "debtor_supplier": m.debtor_supplier,
                          "connections": ",".join(m.connections)}
                if not is_new and all(getattr(row, k) == v for k, v in values.items()):
                    continue
                edits = [(name, getattr(row, name), value) for name, value in values.items()
                         if name != "wave" and not is_new and getattr(row, name) != value]
                for name, value in values.items():
                    setattr(row, name, value)
                session.add(row)
                session.flush()
                session.add_all(RosterChangeRow(municipality_code=m.code, field=name, old=old,
                                                new=new, actor=change.actor, source=change.source,
                                                at=change.at) for name, old, new in edits)
                if is_new or moved_from is not None:
                    session.add(WaveMoveRow(municipality_code=m.code, from_wave=moved_from,
                                            to_wave=m.wave, reason="roster import",
                                            actor=change.actor, source=change.source,
                                            at=change.at))
                changed += 1
            session.commit()
        return changed

    def move_municipality(self, code: int, to_wave: str, *, reason: str,
                          change: Change) -> WaveMove:
        with Session(self.engine) as session:
            row = session.get(MunicipalityRow, code, with_for_update=True)
            if row is None:
                raise KeyError(code)
            move = WaveMoveRow(municipality_code=code, from_wave=row.wave, to_wave=to_wave,
                               reason=reason, actor=change.actor, source=change.source,
                               at=change.at)
            row.wave = to_wave
            session.add(row)
            session.add(move)
            session.commit()
            return WaveMove(code, move.from_wave, to_wave, reason, change.actor,
                            change.source, change.at)

    def roster_changes(self, municipality: int) -> list[RosterChange]:
        with Session(self.engine) as session:
            rows = session.exec(select(RosterChangeRow)
                                .where(RosterChangeRow.municipality_code == municipality)
                                .order_by(col(RosterChangeRow.id))).all()
            return [RosterChange(r.municipality_code, r.field, r.old, r.new, r.actor, r.source,
                                 r.at) for r in rows]

    def wave_moves(self, municipality: int | None = None) -> list[WaveMove]:
        with Session(self.engine) as session:
            query = select(WaveMoveRow).order_by(col(WaveMoveRow.id))
            if municipality is not None:
                query = query.where(WaveMoveRow.municipality_code == municipality)
            return [WaveMove(r.municipality_code, r.from_wave, r.to_wave, r.reason, r.actor,
                             r.source, r.at) for r in session.exec(query).all()]

    # -- task states -----------------------------------------------------------------------

    def task_states(self, municipalities: Iterable[int] | None = None) -> dict[TaskKey, TaskState]:
        # Plain columns, not ORM objects: every command reads thousands of these rows.
        query = sa_select(col(TaskStateRow.ref), col(TaskStateRow.municipality),
                          col(TaskStateRow.connection), col(TaskStateRow.status),
                          col(TaskStateRow.reason))
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

    def change_task(self, key: TaskKey, new: TaskState, *, default: TaskState, change: Change,
                    expected: TaskState | None = None,
                    compensates: int | None = None) -> ChangeResult:
        for _ in range(_MAX_ATTEMPTS):
            result = self._try_change(key, new, default, change, expected, compensates)
            if result is not None:
                return result
        raise RuntimeError(f"could not change {key.as_value()}: too much contention")

    def _try_change(self, key: TaskKey, new: TaskState, default: TaskState, change: Change,
                    expected: TaskState | None, compensates: int | None) -> ChangeResult | None:
        """One optimistic attempt; None means another writer won the race: try again."""
        where = and_(col(TaskStateRow.ref) == key.ref,
                     col(TaskStateRow.municipality) == key.municipality,
                     col(TaskStateRow.connection) == key.connection)
        with Session(self.engine) as session:
            row = session.exec(select(TaskStateRow).where(where)).first()
            before = TaskState(Status(row.status), row.reason) if row else default
            if expected is not None and before != expected:
                return ChangeResult(ChangeOutcome.CONFLICT, before)
            if before == new:
                return ChangeResult(ChangeOutcome.UNCHANGED, before)
            try:
                if row is None:
                    session.add(TaskStateRow(ref=key.ref, municipality=key.municipality,
                                             connection=key.connection, status=new.status,
                                             reason=new.reason, version=1,
                                             updated_at=change.at, updated_by=change.actor))
                    session.flush()
                else:
                    claimed = session.exec(
                        update(TaskStateRow)
                        .where(where, col(TaskStateRow.version) == row.version)
                        .values(status=new.status, reason=new.reason, version=row.version + 1,
                                updated_at=change.at, updated_by=change.actor))
                    if claimed.rowcount != 1:
                        session.rollback()
                        return None
                event = TaskEventRow(ref=key.ref, municipality=key.municipality,
                                     connection=key.connection, old_status=before.status,
                                     old_reason=before.reason, new_status=new.status,
                                     new_reason=new.reason, actor=change.actor,
                                     source=change.source, at=change.at,
                                     compensates=compensates)
                session.add(event)
                session.commit()
            except IntegrityError:
                session.rollback()
                if compensates is not None and self._is_compensated(compensates):
                    return ChangeResult(ChangeOutcome.CONFLICT, before)
                return None
            session.refresh(event)
            return ChangeResult(ChangeOutcome.CHANGED, before, _event(event))

    def _is_compensated(self, event_id: int) -> bool:
        with Session(self.engine) as session:
            found = session.exec(select(TaskEventRow.id).where(
                TaskEventRow.compensates == event_id)).first()
            return found is not None

    def last_undoable(self, actor: str) -> TaskEvent | None:
        undo = aliased(TaskEventRow)
        with Session(self.engine) as session:
            query = (select(TaskEventRow)
                     .where(TaskEventRow.actor == actor,
                            col(TaskEventRow.compensates).is_(None),
                            ~exists().where(col(undo.compensates) == col(TaskEventRow.id)))
                     .order_by(col(TaskEventRow.id).desc()).limit(1))
            row = session.exec(query).first()
            return _event(row) if row else None

    def events(self, *, municipality: int | None = None, limit: int = 20) -> list[TaskEvent]:
        with Session(self.engine) as session:
            query = select(TaskEventRow).order_by(col(TaskEventRow.id).desc()).limit(limit)
            if municipality is not None:
                query = query.where(or_(col(TaskEventRow.municipality) == municipality,
                                        col(TaskEventRow.municipality) == SYSTEM_WIDE))
            return [_event(r) for r in session.exec(query).all()]

    # -- gate decisions ---------------------------------------------------------------------

    def record_gate_decision(self, decision: GateDecision) -> None:
        with Session(self.engine) as session:
            session.add(GateDecisionRow(gate=decision.gate, wave=decision.wave,
                                        municipality_code=decision.municipality,
                                        decision=decision.decision, note=decision.note,
                                        actor=decision.actor, source=decision.source,
                                        at=decision.at))
            session.commit()

    def gate_decisions(self, *, wave: str | None = None,
                       gate: str | None = None) -> list[GateDecision]:
        with Session(self.engine) as session:
            query = select(GateDecisionRow).order_by(col(GateDecisionRow.id))
            if wave is not None:
                query = query.where(GateDecisionRow.wave == wave)
            if gate is not None:
                query = query.where(GateDecisionRow.gate == gate)
            return [GateDecision(r.gate, r.wave, r.municipality_code, r.decision, r.note,
                                 r.actor, r.source, r.at) for r in session.exec(query).all()]

