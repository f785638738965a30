"""The rollout's moving parts: municipalities, task instances and their recorded state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FINISHED",
    "SYSTEM_WIDE",
    "Municipality",
    "Status",
    "TaskKey",
    "TaskState",
]

SYSTEM_WIDE = 0  # the municipality code of a task done once for the whole system


class Status(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    NOT_APPLICABLE = "not_applicable"


FINISHED = frozenset({Status.DONE, Status.NOT_APPLICABLE})


@dataclass(frozen=True, order=True, slots=True)
class TaskKey:
    """One task instance: a plan task (``A/TS213``) for a municipality and connection.

    Slotted: a 10x snapshot holds hundreds of thousands of references to keys, and a key
    without an instance dict is about half the size (see also ``PlanGraph.key``)."""

    ref: str
    municipality: int = SYSTEM_WIDE
    connection: str = ""

    @property
    def diagram(self) -> str:
        return self.ref.partition("/")[0]

    @property
    def code(self) -> str:
        return self.ref.partition("/")[2]

    @classmethod
    def for_wave(cls, ref: str, wave: str, municipality: int = SYSTEM_WIDE) -> TaskKey:
        """A task done once per wave (the runbook): the wave id sits in the ``connection`` slot,
        so storage keeps it without a schema change: ``R/LUK@0:P2``. With ``municipality``, a
        roll-back task of that municipality in the wave it left (``R/SLET@630:P2``)."""
        return cls(ref, municipality, wave)

    def as_value(self) -> str:
        """A compact text form for buttons and URLs: ``A/TS213@751`` or ``A/TS213@751:KSD``."""
        tail = f":{self.connection}" if self.connection else ""
        return f"{self.ref}@{self.municipality}{tail}"

    @classmethod
    def from_value(cls, value: str) -> TaskKey:
        """Parse :meth:`as_value`; ValueError on anything else."""
        ref, sep, rest = value.partition("@")
        if not sep or "/" not in ref:
            raise ValueError(f"not a task key: {value!r}")
        municipality, _, connection = rest.partition(":")
        return cls(ref, int(municipality), connection)


@dataclass(frozen=True, slots=True)
class TaskState:
    status: Status
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Municipality:
    code: int
    name: str
    slug: str
    wave: str
    region: str = ""
    bookkeeping_supplier: str | None = None
    debtor_supplier: str | None = None
    connections: tuple[str, ...] = ("KSD",)


MunicipalityIndex = Mapping[int, Municipality]
