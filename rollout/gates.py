"""Gates: their dates per wave, countdowns, readiness per municipality, risk and roll-back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rollout.calendar import Countdown
from rollout.model import FINISHED, Municipality, TaskKey
from rollout.plan import Confidence
from rollout.status import Rollout, TaskView

__all__ = [
    "ControlAnswer",
    "GateDate",
    "Readiness",
    "ReportDue",
    "critical_chain",
    "gate_date",
    "next_gate",
    "next_wave",
    "readiness",
    "reports_due",
    "required_keys",
    "wave_controls",
]


@dataclass(frozen=True)
class GateDate:
    """A gate's date for a wave; ``by_diagram`` keeps every diagram's date, conflicts included."""

    gate: str
    wave: str
    day: date  # the earliest date any tracked diagram gives: the one to prepare for
    by_diagram: dict[str, date]

    @property
    def conflict(self) -> bool:
        return len(set(self.by_diagram.values())) > 1


@dataclass(frozen=True)
class Readiness:
    municipality: Municipality
    gate: GateDate
    missing: tuple[TaskView, ...]  # required instances not finished, most urgent first
    chain: tuple[TaskKey, ...]  # the longest remaining chain of tasks before the gate
    chain_days: int  # its length in working days
    countdown: Countdown

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def at_risk(self) -> bool:
        """The remaining chain does not fit in the working days left."""
        return bool(self.missing) and self.chain_days > max(self.countdown.working_days, 0)


@dataclass(frozen=True)
class ControlAnswer:
    control_id: str
    question: str
    done: int
    total: int
    open: tuple[TaskKey, ...]
    confidence: Confidence = Confidence.STATED  # that these tasks answer the question


def gate_date(rollout: Rollout, gate: str, wave: str) -> GateDate | None:
    """The gate's date for the wave, or None when no tracked diagram dates it."""
    dates = rollout.graph.gate_dates(gate, wave)
    if not dates:
        return None
    return GateDate(gate, wave, min(dates.values()), dates)


def gate_ids(rollout: Rollout) -> list[str]:
    """Every gate id of the tracked diagrams, in plan order."""
    out: list[str] = []
    for diagram_id in rollout.graph.plan.tracked:
        for gate in rollout.graph.plan.diagrams[diagram_id].gates:
            if gate not in out:
                out.append(gate)
    return out


def next_gate(rollout: Rollout, wave: str, today: date) -> GateDate | None:
    """The first gate of the wave on or after ``today``."""
    upcoming = [
        g for gid in gate_ids(rollout) if (g := gate_date(rollout, gid, wave)) is not None and g.day >= today
    ]
    return min(upcoming, key=lambda g: (g.day, g.gate)) if upcoming else None


def _required(rollout: Rollout, municipality: Municipality, gate: GateDate) -> list[TaskKey]:
    keys = rollout.task_keys([municipality])
    required = []
    for key in keys:
        task = rollout.graph.task(key.ref)
        if task.optional:
            continue
        deadline = rollout.deadline(key)
        limit = gate.by_diagram.get(task.diagram, gate.day)
        if deadline is not None and deadline.day <= limit:
            required.append(key)
    return required


def readiness(rollout: Rollout, municipality: Municipality, gate: GateDate, today: date) -> Readiness:
    """Is the municipality ready for the gate: what is missing, and does the rest fit in time?
    (Kept by the snapshot until a change reaches the municipality: a countdown asks it of
    every municipality of a wave.)"""
    question = ("readiness", gate.gate, gate.wave, gate.day, tuple(sorted(gate.by_diagram.items())), today)
    return rollout.kept(municipality, question, lambda: _readiness(rollout, municipality, gate, today))


def _readiness(rollout: Rollout, municipality: Municipality, gate: GateDate, today: date) -> Readiness:
    required = _required(rollout, municipality, gate)
    missing = _one_per_group(
        sorted((v for v in rollout.views(required, today) if not v.finished), key=TaskView.urgency)
    )
    chain, days = critical_chain(rollout, [v.key for v in missing])
    return Readiness(
        municipality,
        gate,
        tuple(missing),
        tuple(chain),
        days,
        rollout.graph.calendar.countdown(today, gate.day),
    )


def _one_per_group(missing: list[TaskView]) -> list[TaskView]:
    """Alternatives missing together are one gap: keep the most urgent of each group (its
    view names the others in ``alternatives``)."""
    seen: set[frozenset[TaskKey]] = set()
    kept = []
    for view in missing:
        group = frozenset((view.key, *view.alternatives))
        if group not in seen:
            seen.add(group)
            kept.append(view)
    return kept


def critical_chain(rollout: Rollout, open_keys: list[TaskKey]) -> tuple[list[TaskKey], int]:
    """The longest chain of unfinished instances, weighted by task duration in working days.

    Ties go to the predecessor whose text form sorts last, and to the last end instance, so the
    chain does not depend on the order the keys come in.
    """
    if not open_keys:
        return [], 0
    wanted = set(open_keys)
    inside = {key: [p for p in rollout.predecessors(key) if p in wanted] for key in wanted}
    best: dict[TaskKey, tuple[int, TaskKey | None]] = {}
    text: dict[TaskKey, str] = {}
    for node in _upstream_first(inside):
        top: tuple[int, TaskKey | None] = (0, None)
        top_text = ""
        for pred in inside[node]:
            length = best[pred][0]
            pred_text = text.get(pred) or text.setdefault(pred, str(pred))
            if top[1] is None or (length, pred_text) > (top[0], top_text):
                top, top_text = (length, pred), pred_text
        best[node] = (top[0] + rollout.graph.duration(node.ref), top[1])
    end = max(best, key=lambda k: (best[k][0], k))
    chain = [end]
    while (prev := best[chain[-1]][1]) is not None:
        chain.append(prev)
    return list(reversed(chain)), best[end][0]


def _upstream_first(inside: dict[TaskKey, list[TaskKey]]) -> list[TaskKey]:
    """The keys with every key before those that wait on it (the plan graph has no cycle)."""
    order: list[TaskKey] = []
    placed: set[TaskKey] = set()
    for start in inside:
        if start in placed:
            continue
        stack: list[tuple[TaskKey, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            preds = inside[node]
            if index < len(preds):
                stack.append((node, index + 1))
                if preds[index] not in placed:
                    stack.append((preds[index], 0))
                continue
            if node not in placed:
                placed.add(node)
                order.append(node)
    return order


def wave_controls(
    rollout: Rollout, municipalities: list[Municipality], *, gate: str | None = None, language: str = "da"
) -> list[ControlAnswer]:
    """Answers to the plan's per-wave control questions over the given municipalities, for
    every diagram that has them, from the tasks each question checks (those done once for
    everyone, then each municipality's own, in the order given).

    What each municipality's own instances answer is kept by the snapshot
    (:meth:`Rollout.checked`, every question at once whatever the gate), so a wave's answer
    adds up one entry per municipality and recounts only those a change reached."""
    controls = rollout.graph.controls()
    chosen = [(i, c) for i, c in enumerate(controls) if gate is None or c[1].gate == gate]
    if not chosen:
        return []
    checks = tuple(refs for _, _, refs in controls)
    system = rollout.task_keys([])  # the tasks done once for everyone: few, read afresh
    per_municipality = [rollout.checked(m, checks) for m in municipalities]
    answers = []
    for index, (full_id, control, refs) in chosen:
        keys = [k for k in system if k.ref in refs]
        total = len(keys)
        open_keys = [k for k in keys if rollout.state(k).status not in FINISHED]
        for own in per_municipality:
            count, unfinished = own[index]
            total += count
            open_keys += unfinished
        question = control.question_da if language == "da" else control.question_en
        answers.append(
            ControlAnswer(
                full_id, question, total - len(open_keys), total, tuple(open_keys), control.confidence
            )
        )
    return answers


@dataclass(frozen=True)
class ReportDue:
    """A rollout report (Udrulningsrapport) and when it is due, per diagram."""

    milestone: str
    name: str
    by_diagram: dict[str, date]


def reports_due(rollout: Rollout, wave: str) -> list[ReportDue]:
    """The report milestones of the tracked diagrams for a wave, in date order."""
    found: dict[str, ReportDue] = {}
    for diagram_id in rollout.graph.plan.tracked:
        for milestone in rollout.graph.plan.diagrams[diagram_id].milestones.values():
            if milestone.kind != "report":
                continue
            day = rollout.graph.milestone_date(diagram_id, milestone.id, wave)
            if day is None:
                continue
            entry = found.setdefault(milestone.id, ReportDue(milestone.id, milestone.name_da, {}))
            entry.by_diagram[diagram_id] = day
    return sorted(found.values(), key=lambda r: (min(r.by_diagram.values()), r.milestone))


def next_wave(rollout: Rollout, wave: str) -> str | None:
    """The wave a municipality moves to when it is not approved in ``wave``."""
    return rollout.graph.plan.waves[wave].next


def required_keys(rollout: Rollout, municipality: Municipality, gate: GateDate) -> list[TaskKey]:
    """The municipality's instances the gate needs finished (what :func:`readiness` checks)."""
    return _required(rollout, municipality, gate)
