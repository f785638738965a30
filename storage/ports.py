"""What the command core needs from storage, as a Protocol, and the records it hands back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from rollout.model import Municipality, TaskKey, TaskState

__all__ = [
    "Change",
    "ChangeOutcome",
    "ChangeResult",
    "GateDecision",
    "RolloutStore",
    "RosterChange",
    "TaskEvent",
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


class ChangeOutcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # the task already had that state: nothing recorded
    CONFLICT = "conflict"  # the task is no longer in the expected state


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
    decision: str  # go | no_go
    note: str
    actor: str
    source: str
    at: datetime


class RolloutStore(Protocol):
    """Persistence of the rollout: municipalities and their waves, task states and history."""

    def municipalities(self) -> dict[int, Municipality]: ...

    def task_states(self, municipalities: Iterable[int] | None = None) -> dict[TaskKey, TaskState]:
        """Recorded states; with ``municipalities``, only theirs plus the system-wide ones."""
        ...

    def change_task(self, key: TaskKey, new: TaskState, *, default: TaskState, change: Change,
                    expected: TaskState | None = None,
                    compensates: int | None = None) -> ChangeResult:
        """Set a task's state atomically and append the event.

        ``default`` is the state of a task with no record. With ``expected``, the change only
        happens if the current state equals it (else CONFLICT).
        """
        ...

    def last_undoable(self, actor: str) -> TaskEvent | None:
        """The actor's newest change that is not an undo and has not been undone."""
        ...

    def events(self, *, municipality: int | None = None, limit: int = 20) -> list[TaskEvent]:
        """Newest first."""
        ...

    def save_municipalities(self, municipalities: Iterable[Municipality], *,
                            change: Change) -> int:
        """Insert or update; a new wave is recorded as a move. Returns how many rows changed."""
        ...

    def move_municipality(self, code: int, to_wave: str, *, reason: str, change: Change) -> WaveMove:
        ...

    def wave_moves(self, municipality: int | None = None) -> list[WaveMove]: ...

    def roster_changes(self, municipality: int) -> list[RosterChange]: ...

    def record_gate_decision(self, decision: GateDecision) -> None: ...

    def gate_decisions(self, *, wave: str | None = None, gate: str | None = None
                       ) -> list[GateDecision]: ...
