"""Gate decisions as the source draws them: which one is current, and what a no-go leads to.

Pure: decisions in (anything with the fields of :class:`Decided`, e.g. the store's records),
answers out. Only a KP-3 "Nej" moves a municipality to the next wave (domain notes §4.2); after
KP-4 the outcomes are "Okay" / "Stop aktivitet"; a no-go at the readiness Gate and a KP-3 no-go
in the last wave (K91 has no next wave) are escalations for people to decide on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from rollout.model import Municipality
from rollout.plan import Plan

__all__ = [
    "GO",
    "NO_GO",
    "WITHDRAWN",
    "Decided",
    "Escalation",
    "NoGo",
    "Rollback",
    "current_decisions",
    "gate_kind",
    "no_go_leads_to",
    "open_escalations",
    "rollback_activities",
    "rolled_back",
    "stopped",
]

GO = "go"
NO_GO = "no_go"
WITHDRAWN = "withdrawn"  # an undo of the decision it supersedes
ROLLBACK_ACTIVITY = "Slet kommune i bølge"  # the source's roll-back activity (likely)


class Decided(Protocol):
    """The fields of a recorded gate decision this module reads."""

    @property
    def gate(self) -> str: ...
    @property
    def wave(self) -> str: ...
    @property
    def municipality(self) -> int: ...
    @property
    def decision(self) -> str: ...
    @property
    def id(self) -> int: ...
    @property
    def supersedes(self) -> int | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def at(self) -> datetime: ...


D = TypeVar("D", bound=Decided)
Where = tuple[str, str, int]  # gate, wave, municipality


def current_decisions(decisions: Iterable[D]) -> dict[Where, D]:
    """The decision that stands per (gate, wave, municipality), from every decision in record
    order: a new one supersedes the one before; a withdrawn one makes the one the withdrawn
    decision had superseded current again (or none)."""
    by_id: dict[int, D] = {}
    current: dict[Where, D] = {}
    for d in sorted(decisions, key=lambda d: d.id):
        by_id[d.id] = d
        where = (d.gate, d.wave, d.municipality)
        if d.decision != WITHDRAWN:
            current[where] = d
            continue
        withdrawn = by_id.get(d.supersedes) if d.supersedes is not None else None
        before = by_id.get(withdrawn.supersedes) if withdrawn and withdrawn.supersedes else None
        if before is not None:
            current[where] = before
        else:
            current.pop(where, None)
    return current


class NoGo(StrEnum):
    """What a no-go at a gate leads to."""

    MOVE = "move"  # KP-3 "Nej": not approved, moved to the next wave (stated)
    STOP = "stop"  # KP-4 not okay: "Stop aktivitet" for the municipality (guess)
    ESCALATE = "escalate"  # the readiness Gate: to the wave's managers (likely roll-back)
    STEERING = "steering"  # KP-3 in the last wave: no next wave, the steering group decides


def gate_kind(plan: Plan, gate: str) -> str:
    """readiness | go_no_go | control, from the first tracked diagram that has the gate."""
    for diagram_id in plan.tracked:
        found = plan.diagrams[diagram_id].gates.get(gate)
        if found is not None:
            return found.kind
    raise KeyError(gate)


def no_go_leads_to(plan: Plan, gate: str, wave: str) -> NoGo:
    kind = gate_kind(plan, gate)
    if kind == "control":
        return NoGo.STOP
    if kind == "go_no_go":
        return NoGo.MOVE if plan.waves[wave].next else NoGo.STEERING
    return NoGo.ESCALATE


@dataclass(frozen=True)
class Escalation:
    """A no-go that moved nothing and waits on people: open until a later decision there."""

    decision: Decided
    leads_to: NoGo


def open_escalations(
    plan: Plan, decisions: Iterable[D], *, wave: str | None = None, gate: str | None = None
) -> list[Escalation]:
    """Current no-go decisions that stop or escalate (not the moves), in record order."""
    out = []
    for d in sorted(current_decisions(decisions).values(), key=lambda d: d.id):
        if d.decision != NO_GO or wave not in (None, d.wave) or gate not in (None, d.gate):
            continue
        leads_to = no_go_leads_to(plan, d.gate, d.wave)
        if leads_to != NoGo.MOVE:
            out.append(Escalation(d, leads_to))
    return out


def stopped(plan: Plan, decisions: Iterable[D]) -> dict[int, D]:
    """Municipalities under "Stop aktivitet": their current KP-4 (control) decision is no-go.
    After a KP-3 go what a municipality has open is its go-live, so all of that is stopped."""
    return {
        d.municipality: d
        for d in current_decisions(decisions).values()
        if d.decision == NO_GO and no_go_leads_to(plan, d.gate, d.wave) == NoGo.STOP
    }


@dataclass(frozen=True)
class Rollback:
    """The roll-back activity ("Slet kommune i bølge") a KP-3 no-go leaves in the wave left."""

    activity: str
    wave_left: str
    municipality: Municipality
    decision: Decided


def rollback_activities(
    plan: Plan, decisions: Iterable[D], municipalities: Mapping[int, Municipality], *, wave: str | None = None
) -> list[Rollback]:
    """One roll-back per current KP-3 no-go that moved its municipality out of the wave.

    The hook for the go-live runbook: where the plan has a wave-scoped "Slet kommune i bølge"
    task, this says for which wave and municipality it is due.
    """
    out = []
    for d in sorted(current_decisions(decisions).values(), key=lambda d: d.id):
        if d.decision != NO_GO or wave not in (None, d.wave):
            continue
        if no_go_leads_to(plan, d.gate, d.wave) != NoGo.MOVE:
            continue
        municipality = municipalities.get(d.municipality)
        if municipality is not None and municipality.wave != d.wave:
            out.append(Rollback(ROLLBACK_ACTIVITY, d.wave, municipality, d))
    return out


def rolled_back(
    plan: Plan, decisions: Iterable[D], municipalities: Mapping[int, Municipality]
) -> dict[str, frozenset[int]]:
    """Per wave, the municipalities that owe its roll-back tasks (``Rollout.moved_out``): a
    standing KP-3 no-go moved them out. An undone no-go (they are back) owes nothing."""
    found: dict[str, set[int]] = {}
    for r in rollback_activities(plan, decisions, municipalities):
        found.setdefault(r.wave_left, set()).add(r.municipality.code)
    return {wave: frozenset(codes) for wave, codes in found.items()}
