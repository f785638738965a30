"""The rollout as recorded now, kept in the process and brought up to date from the database.

Every command and every sweep needs a :class:`~rollout.status.Rollout` of what is recorded now.
Building one from scratch expands the plan over the whole roster and derives every instance's
view again; here one snapshot per plan graph is kept and, before each use, compared with the
database in one short query (the newest id of each table that changes a snapshot):

* nothing new: the same snapshot (and everything it has derived) answers again;
* new task events only: the states of the tasks they touched are read, and
  :meth:`Rollout.advanced` keeps every derived view those tasks cannot affect;
* a new gate decision: the decisions are read again (they change no view);
* a wave move or any other roster change: a snapshot from scratch.

The marks live in the database, so a change committed by another process (another web
replica, the scheduler) is seen by the next command here. For "the events after the last one
seen" to be every event not seen yet, writers commit in the order of their ids: SQLite writers
take the write lock first (``BEGIN IMMEDIATE``); on PostgreSQL every write of the rollout takes
:func:`serialise_writers` first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, func, select, text
from sqlmodel import col

from rollout.decisions import rolled_back, stopped
from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.status import Rollout
from storage.ports import GateDecision
from storage.recording import read_states
from storage.tables import GateDecisionRow, RosterChangeRow, TaskEventRow, WaveMoveRow

__all__ = ["Marks", "RolloutSnapshots", "fresh_rollout", "newest_marks", "serialise_writers"]

# Any constant shared by every writer of one database: PostgreSQL's advisory locks are per
# database, so writers of different schemas (tests) merely queue behind each other.
_WRITERS_LOCK = 1590_0001


def serialise_writers(conn: Connection) -> None:
    """Make this write transaction wait for every other one (PostgreSQL; SQLite writers are
    serial already), so ids are committed in order and the snapshots' "after the last id
    seen" misses nothing. Call it first in the transaction: the lock ends with it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITERS_LOCK})


@dataclass(frozen=True)
class Marks:
    """The newest id of each table whose rows change a snapshot (0: none yet)."""

    event: int
    move: int
    roster: int
    decision: int


# Built once: every command runs it, and building the statement cost more than running it.
_NEWEST = select(
    *(
        select(func.coalesce(func.max(col(table.id)), 0)).scalar_subquery()
        for table in (TaskEventRow, WaveMoveRow, RosterChangeRow, GateDecisionRow)
    )
)


def newest_marks(conn: Connection) -> Marks:
    """The newest ids now: equal marks, nothing a snapshot (or a page built from one) shows
    has changed."""
    event, move, roster, decision = conn.execute(_NEWEST).one()
    return Marks(int(event), int(move), int(roster), int(decision))


@dataclass(frozen=True)
class _Kept:
    marks: Marks
    rollout: Rollout
    states: Mapping[TaskKey, TaskState]  # never changed: a refresh changes a copy


class _Reader(Protocol):
    """What a snapshot is read from: the store's own queries (one definition of each)."""

    def municipalities(self) -> dict[int, Municipality]: ...

    def task_states(self) -> dict[TaskKey, TaskState]: ...

    def gate_decisions(self) -> list[GateDecision]: ...


def fresh_rollout(reader: _Reader, graph: PlanGraph) -> Rollout:
    """A snapshot from scratch: the roster, every recorded state, and what the decisions that
    stand imply (roll-backs owed, stopped go-lives)."""
    municipalities = reader.municipalities()
    decisions = reader.gate_decisions()
    # keyed by the graph's own keys: the rows' equal copies (and their ref strings) would be
    # kept for as long as the snapshot, next to the keys every view already holds
    states = {graph.key(k.ref, k.municipality, k.connection): s for k, s in reader.task_states().items()}
    return Rollout(
        graph,
        municipalities,
        states,
        rolled_back(graph.plan, decisions, municipalities),
        frozenset(stopped(graph.plan, decisions)),
    )


class RolloutSnapshots:
    """One kept snapshot per plan graph for one database, shared by every command and sweep
    of this process (thread-safe: a snapshot is never changed once handed out)."""

    def __init__(self, engine: Engine, reader: _Reader) -> None:
        self._engine = engine
        self._reader = reader
        self._kept: dict[int, tuple[PlanGraph, _Kept]] = {}
        self._lock = threading.Lock()

    def current(self, graph: PlanGraph) -> Rollout:
        """The rollout as recorded now: every change committed before this call is in it."""
        with self._engine.connect() as conn:
            marks = newest_marks(conn)
        kept = self._kept_for(graph)
        if kept is not None and kept.marks == marks:
            return kept.rollout
        with self._lock:  # one refresh at a time; the others then find it done
            kept = self._kept_for(graph)
            if kept is None or kept.marks != marks:
                kept = self._refresh(graph, kept, marks)
                self._kept[id(graph)] = (graph, kept)
            return kept.rollout

    def forget(self) -> None:
        """Drop every kept snapshot (e.g. after a restore replaced the database)."""
        with self._lock:
            self._kept.clear()

    def _kept_for(self, graph: PlanGraph) -> _Kept | None:
        found = self._kept.get(id(graph))
        return found[1] if found is not None and found[0] is graph else None

    def _refresh(self, graph: PlanGraph, kept: _Kept | None, marks: Marks) -> _Kept:
        if (
            kept is None
            or (kept.marks.move, kept.marks.roster) != (marks.move, marks.roster)
            # ids only grow: smaller marks mean another database (a restore)
            or kept.marks.event > marks.event
            or kept.marks.decision > marks.decision
        ):
            return self._from_scratch(graph, marks)
        states: Mapping[TaskKey, TaskState] = kept.states
        changed: list[TaskKey] = []
        if marks.event != kept.marks.event:
            changed, fresh = self._changed_states(graph, kept.marks.event, marks.event)
            renewed = dict(states)
            for key in changed:
                if key in fresh:
                    renewed[key] = fresh[key]
                else:
                    renewed.pop(key, None)
            states = renewed
        moved_out, halted = None, None
        if marks.decision != kept.marks.decision:
            moved_out, halted = self._decided(graph, kept.rollout.municipalities)
        rollout = kept.rollout.advanced(states, changed, moved_out=moved_out, stopped=halted)
        return _Kept(marks, rollout, states)

    def _from_scratch(self, graph: PlanGraph, marks: Marks) -> _Kept:
        rollout = fresh_rollout(self._reader, graph)
        # the snapshot's own dict, not a copy: nothing changes it (a refresh copies it first),
        # and at 10x a copy is 2.6 MB per process
        return _Kept(marks, rollout, rollout.states)

    def _decided(
        self, graph: PlanGraph, municipalities: Mapping[int, Municipality]
    ) -> tuple[dict[str, frozenset[int]], frozenset[int]]:
        """Roll-backs owed and stopped go-lives, from the decisions that stand."""
        decisions = self._reader.gate_decisions()
        return rolled_back(graph.plan, decisions, municipalities), frozenset(stopped(graph.plan, decisions))

    def _changed_states(
        self, graph: PlanGraph, after: int, upto: int
    ) -> tuple[list[TaskKey], dict[TaskKey, TaskState]]:
        """The tasks with an event in ``(after, upto]`` and their states as stored now (a
        state written since is read too: the next refresh reads it again, no harm)."""
        query = (
            select(col(TaskEventRow.ref), col(TaskEventRow.municipality), col(TaskEventRow.connection))
            .where(col(TaskEventRow.id) > after, col(TaskEventRow.id) <= upto)
            .distinct()
        )
        with self._engine.connect() as conn:
            keys: Sequence[TaskKey] = [graph.key(r, m, c) for r, m, c in conn.execute(query)]
            rows = read_states(conn, keys)
        fresh = {key: TaskState(Status(status), reason) for key, (_id, status, reason, _v) in rows.items()}
        return list(keys), fresh
