"""What the command core needs from storage, as a Protocol, and the records it hands back."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from rollout.graph import PlanGraph
from rollout.model import Municipality, TaskKey, TaskState
from rollout.status import Rollout

__all__ = [
    "Change",
    "ChangeOutcome",
    "ChangeResult",
    "CommandRecord",
    "Conflict",
    "DecisionRequest",
    "GateDecision",
    "MoveRequest",
    "RecordOutcome",
    "RecordResult",
    "RecordedCommand",
    "RolloutStore",
    "RosterChange",
    "TaskChange",
    "TaskEvent",
    "UndoOutcome",
    "UndoResult",
    "WaveMove",
]


@dataclass(frozen=True)
class Change:
    """Who changes something, when and from where (the audit fields of every write)."""

    actor: str
    source: str
    at: datetime


@dataclass(frozen=True)
class TaskEvent:
    id: int
    key: TaskKey
    old: TaskState
    new: TaskState
    actor: str
    source: str
    at: datetime
    compensates: int | None
    command_id: str | None = None  # None for changes recorded before commands had ids


class ChangeOutcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # the task already had that state: nothing recorded


@dataclass(frozen=True)
class ChangeResult:
    outcome: ChangeOutcome
    before: TaskState
    event: TaskEvent | None = None


@dataclass(frozen=True)
class WaveMove:
    municipality: int
    from_wave: str | None
    to_wave: str
    reason: str
    actor: str
    source: str
    at: datetime
    command_id: str | None = None
    id: int = 0  # the order in which moves were recorded


@dataclass(frozen=True)
class RosterChange:
    """A municipality's roster data changed (``field`` old -> new), by whom, when, from where."""

    municipality: int
    field: str
    old: str | None
    new: str | None
    actor: str
    source: str
    at: datetime


@dataclass(frozen=True)
class GateDecision:
    gate: str
    wave: str
    municipality: int
    decision: str  # go | no_go | withdrawn (an undo of the one before)
    note: str
    actor: str
    source: str
    at: datetime
    command_id: str | None = None
    id: int = 0  # the order in which decisions were recorded
    supersedes: int | None = None  # the decision it replaced (withdrawn: the one it withdraws)
    missing: tuple[str, ...] = ()  # unfinished tasks (TaskKey.as_value) a confirmed go had


@dataclass(frozen=True)
class CommandRecord:
    """The command a write belongs to: every change it records carries ``id``."""

    id: str  # made once per dispatch (uuid4 hex)
    verb: str
    change: Change


@dataclass(frozen=True)
class TaskChange:
    """Set a task's state; ``default`` is its state while nothing is recorded for it.

    With ``expected``, the task must still be in that state (as the command read it), else the
    whole command is a CONFLICT and nothing is written.
    """

    key: TaskKey
    new: TaskState
    default: TaskState
    expected: TaskState | None = None


@dataclass(frozen=True)
class MoveRequest:
    """Move a municipality that the command saw in ``expected_wave`` (else a conflict)."""

    municipality: int
    to_wave: str
    reason: str
    expected_wave: str


@dataclass(frozen=True)
class DecisionRequest:
    """A decision at a gate; ``supersedes`` is the id of the decision the command saw standing
    there (None: none). If another one stands by the time it is written, the command is a
    CONFLICT and nothing is written."""

    gate: str
    wave: str
    municipality: int
    decision: str  # go | no_go
    note: str
    supersedes: int | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """A change that stands in the way: what it touched (a task, a municipality's wave, or a
    gate decision for a municipality), who made it, when and from where."""

    actor: str
    source: str
    at: datetime
    key: TaskKey | None = None  # a task
    municipality: int | None = None  # its wave (or, with ``gate``, its decision there)
    gate: str | None = None


class RecordOutcome(StrEnum):
    RECORDED = "recorded"  # everything asked for that was not already so, in one transaction
    NOTHING = "nothing"  # every task already had its state: nothing recorded
    CONFLICT = "conflict"  # a municipality was no longer in the wave the command saw, or
    # another decision than the one it saw stands at a gate


@dataclass(frozen=True)
class RecordResult:
    outcome: RecordOutcome
    tasks: tuple[ChangeResult, ...] = ()  # one per TaskChange, in the order given
    moves: tuple[WaveMove, ...] = ()
    decisions: tuple[GateDecision, ...] = ()
    conflict: Conflict | None = None

    @property
    def changed(self) -> bool:
        return self.outcome == RecordOutcome.RECORDED


@dataclass(frozen=True)
class RecordedCommand:
    """A command as stored: what it changed, for ``undo``."""

    id: str
    verb: str
    actor: str
    source: str
    at: datetime
    events: tuple[TaskEvent, ...]
    moves: tuple[WaveMove, ...]
    decisions: tuple[GateDecision, ...]


class UndoOutcome(StrEnum):
    UNDONE = "undone"
    CONFLICT = "conflict"  # someone changed one of its tasks, waves or gates since
    ALREADY_UNDONE = "already_undone"


@dataclass(frozen=True)
class UndoResult:
    outcome: UndoOutcome
    undo: RecordedCommand | None = None  # the compensations recorded
    conflict: Conflict | None = None


class RolloutStore(Protocol):
    """Persistence of the rollout: municipalities and their waves, task states and history."""

    def snapshot(self, graph: PlanGraph) -> Rollout:
        """The rollout as recorded now: every change committed before the call is in it. The
        same object may answer again while nothing changed; never change it."""
        ...

    def municipalities(self) -> dict[int, Municipality]: ...

    def task_states(self, municipalities: Iterable[int] | None = None) -> dict[TaskKey, TaskState]:
        """Recorded states; with ``municipalities``, only theirs plus the system-wide ones."""
        ...

    def record(
        self,
        command: CommandRecord,
        *,
        tasks: Sequence[TaskChange] = (),
        moves: Sequence[MoveRequest] = (),
        decisions: Sequence[DecisionRequest] = (),
    ) -> RecordResult:
        """Write one command's changes in ONE transaction: all of them, or none.

        A task already in its new state is left alone (UNCHANGED); a municipality no longer in
        a move's ``expected_wave`` or a decision's ``wave`` makes the whole command a CONFLICT
        (nothing written).
        Concurrent writers are detected (task versions, row locks) and the whole batch retried.
        """
        ...

    def command_recorded(self, command_id: str) -> bool:
        """True when the command with this id committed a change."""
        ...

    def last_command(self, actor: str) -> RecordedCommand | None:
        """The actor's newest command that changed something, is not an undo, is not undone."""
        ...

    def undo(self, target: RecordedCommand, command: CommandRecord) -> UndoResult:
        """Reverse ``target`` whole in one transaction, as the compensating ``command``.

        Refused (CONFLICT, nothing written) where a change that is neither undone nor an undo
        touched one of its tasks, municipalities' waves or gates since.
        """
        ...

    def events(
        self, *, municipality: int | None = None, wave: str | None = None, limit: int = 20
    ) -> list[TaskEvent]:
        """Newest first. With ``municipality``: its own events and those of tasks done once for
        everyone, and (with ``wave``) the runbook steps of that wave; not other waves' steps."""
        ...

    def save_municipalities(self, municipalities: Iterable[Municipality], *, change: Change) -> int:
        """Insert or update; a new wave is recorded as a move. Returns how many rows changed."""
        ...

    def states_on(
        self, end: datetime, municipalities: Collection[int] | None = None
    ) -> dict[TaskKey, TaskState]:
        """Each task's state as its last event before ``end`` left it (a task with no event
        before then is absent): the history replayed to a moment. With ``municipalities``, only
        their tasks and those of no municipality (done once for everyone, or once per wave)."""
        ...

    def wave_moves(self, municipality: int | None = None) -> list[WaveMove]: ...

    def roster_changes(self, municipality: int) -> list[RosterChange]: ...

    def gate_decisions(self, *, wave: str | None = None, gate: str | None = None) -> list[GateDecision]: ...
