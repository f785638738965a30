"""The rollout plan as data: waves, roles, phases, diagrams with tasks, edges, gates and milestones.

The plan is read from YAML (``plans/sf1590.yaml``) by :mod:`rollout.plan_loader`; this module only
holds the immutable model and the look-ups the rest of the domain needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from rollout.calendar import ClosedDay

__all__ = [
    "WAVE_SCOPES",
    "Confidence",
    "Diagram",
    "Edge",
    "Gate",
    "Milestone",
    "Phase",
    "Plan",
    "Question",
    "Role",
    "Scope",
    "TaskDef",
    "TaskKind",
    "Wave",
    "WaveControl",
]


class Confidence(StrEnum):
    """How sure the plan is of a fact: printed in the source, inferred, or a guess."""

    STATED = "stated"
    LIKELY = "likely"
    GUESS = "guess"


class Scope(StrEnum):
    """How many instances of a task a rollout has."""

    SYSTEM = "system"  # once for the line-of-business system, shared by every municipality
    MUNICIPALITY = "municipality"  # once per municipality
    CONNECTION = "connection"  # once per connection of a line-of-business system
    WAVE = "wave"  # once per wave (the go-live runbook); TaskKey.for_wave
    ROLLBACK = "rollback"  # once per (wave, municipality) a KP-3 no-go moved out of that wave


WAVE_SCOPES = frozenset({Scope.WAVE, Scope.ROLLBACK})  # the key's connection slot is a wave id


class TaskKind(StrEnum):
    TASK = "task"
    CRITERION = "criterion"  # a start criterion / prerequisite ("Forudsætning", "Startkriterier")


@dataclass(frozen=True)
class Wave:
    id: str
    name_da: str
    name_en: str
    next: str | None
    order: int


@dataclass(frozen=True)
class Role:
    id: str
    name_da: str
    name_en: str


@dataclass(frozen=True)
class Phase:
    id: str
    name_da: str
    name_en: str
    order: int


@dataclass(frozen=True)
class Gate:
    """A dated decision point of one diagram (KP-3 go/no-go, KP-4, the readiness Gate)."""

    id: str
    kind: str  # readiness | go_no_go | control
    name_da: str
    name_en: str
    dates: Mapping[str, date]  # wave id -> date
    confidence: Confidence
    source_lines: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Milestone:
    """A dated deadline or a report, on one diagram.

    Either ``dates`` per wave, or ``at_gate`` (due on that gate's date), or ``after`` a gate by
    ``offset_days`` calendar days (Udrulningsrapport v3, "14 dg efter").
    """

    id: str
    kind: str  # deadline | report
    name_da: str
    name_en: str
    dates: Mapping[str, date] = field(default_factory=dict)
    at_gate: str | None = None
    after: str | None = None
    offset_days: int = 0
    confidence: Confidence = Confidence.STATED
    source_lines: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class WaveControl:
    """A per-wave control question ("Kontrol per bølge") answered from the state of some tasks."""

    id: str
    question_da: str
    question_en: str
    gate: str
    checks: tuple[str, ...]
    confidence: Confidence = Confidence.STATED  # that these tasks answer the question


@dataclass(frozen=True)
class TaskDef:
    diagram: str
    code: str
    title_da: str
    title_en: str
    kind: TaskKind
    role: str
    role_confidence: Confidence
    scope: Scope
    phase: str
    block: str | None = None
    optional: bool = False
    klik: bool = False
    per_wave_control: bool = False
    deadline: str | None = None  # id of a milestone or gate of the diagram; default: the phase's gate
    days_before: int = 0  # working days before that milestone
    opens_after: str | None = None  # a gate the task may not start before (runbook: "after KP-3")
    duration_days: int | None = None
    not_applicable: str | None = None  # "Ikke med diagrammet": reason the task starts as n/a
    printed_code: str | None = None
    joint_with: str | None = None
    alternative_to: str | None = None
    source_lines: tuple[int, ...] = ()
    notes: str = ""

    @property
    def ref(self) -> str:
        """The namespaced code, for example ``B/TS213``."""
        return f"{self.diagram}/{self.code}"


@dataclass(frozen=True)
class Edge:
    """``before`` must be finished before ``after`` may start (refs are namespaced)."""

    before: str
    after: str
    provenance: str  # stated | layout | domain
    confidence: Confidence
    why: str


@dataclass(frozen=True)
class Question:
    """An open question the source prints ("Opmærksomhedspunkter"), and where it applies: a
    gate id or task code of its diagram (None: the whole diagram)."""

    text_da: str
    at: str | None = None


@dataclass(frozen=True)
class Diagram:
    id: str
    key: str
    integration: str
    title_da: str
    tracked: bool
    phase_gates: Mapping[str, str]
    gates: Mapping[str, Gate]
    milestones: Mapping[str, Milestone]
    controls: tuple[WaveControl, ...]
    tasks: Mapping[str, TaskDef]
    source_lines: tuple[int, ...] = ()
    conflicts: tuple[str, ...] = ()
    remarks_da: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Plan:
    id: str
    title_da: str
    title_en: str
    timezone: str
    default_task_duration_days: int
    customary_closed_days: tuple[ClosedDay, ...]  # closed every year besides public holidays
    waves: Mapping[str, Wave]
    roles: Mapping[str, Role]
    phases: Mapping[str, Phase]
    diagrams: Mapping[str, Diagram]
    edges: tuple[Edge, ...]
    tracked: tuple[str, ...]

    def task(self, ref: str) -> TaskDef:
        """The task with namespaced code ``ref`` (``A/TS213``); KeyError if there is none."""
        diagram, _, code = ref.partition("/")
        return self.diagrams[diagram].tasks[code]

    def tracked_tasks(self) -> Iterator[TaskDef]:
        """Every task of the diagrams this rollout tracks, in plan order."""
        for diagram_id in self.tracked:
            yield from self.diagrams[diagram_id].tasks.values()

    def tasks_with_code(self, code: str) -> list[TaskDef]:
        """Tracked tasks whose bare code is ``code`` (case-insensitive)."""
        wanted = code.upper()
        return [t for t in self.tracked_tasks() if t.code.upper() == wanted]

    def wave_order(self) -> list[Wave]:
        return sorted(self.waves.values(), key=lambda w: w.order)
