"""What `gate` shows about decisions: the outcome of a past gate as it stood on the day, the
decisions taken there, open escalations and roll-backs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.context import CommandContext
from commands.gating import decision_lines, escalation_section, rollback_lines, verdict_text
from commands.messages import t
from commands.present import local_minute, one_of
from commands.reply import Action, Section
from rollout.gates import Readiness
from rollout.model import Municipality
from rollout.status import Rollout
from storage.ports import GateDecision

__all__ = [
    "DECISION_LIMIT",
    "OUTCOME_LIMIT",
    "decision_sections",
    "missing_refs",
    "outcome_sections",
    "rollout_on",
]

OUTCOME_LIMIT = 15  # municipality lines a page
DECISION_LIMIT = 10  # decision lines a page, newest first


def missing_refs(rollout: Rollout, r: Readiness) -> str:
    more = f" +{len(r.missing) - 3}" if len(r.missing) > 3 else ""
    return ", ".join(one_of(rollout, v) for v in r.missing[:3]) + more


def outcome_sections(
    rollout: Rollout,
    results: list[Readiness],
    standing: dict[int, GateDecision],
    conflict: list[str],
    *,
    page: int = 1,
    command: str = "",
) -> list[Section]:
    """After the gate: per municipality its standing decision, or that none was taken, and
    who was not ready on the day (``results``), ``OUTCOME_LIMIT`` a page (``command`` with
    ``page:N`` shows page N). No "at risk": the day is past."""
    undecided = [r for r in results if r.municipality.code not in standing]
    lines = [
        t(
            "gate.outcome",
            decided=len(results) - len(undecided),
            total=len(results),
            go=sum(d.decision == "go" for d in standing.values()),
            no_go=sum(d.decision == "no_go" for d in standing.values()),
            undecided=len(undecided),
        ),
        *conflict,
    ]
    detail = []
    for r in results:
        d = standing.get(r.municipality.code)
        if d is None:
            detail.append(
                t(
                    "gate.undecided_line",
                    name=r.municipality.name,
                    count=len(r.missing),
                    missing=missing_refs(rollout, r),
                )
                if r.missing
                else t("gate.undecided_ready", name=r.municipality.name)
            )
            continue
        now_in = rollout.municipalities[r.municipality.code].wave
        moved = t("gate.moved_to", wave=now_in) if now_in != d.wave else ""
        detail.append(
            t(
                "gate.decided_line",
                name=r.municipality.name,
                decision=verdict_text(d),
                actor=d.actor,
                at=local_minute(d.at),
                moved=moved,
                missing=t("gate.decided_missing", count=len(r.missing)) if r.missing else "",
            )
        )
    start = (page - 1) * OUTCOME_LIMIT
    shown = detail[start : start + OUTCOME_LIMIT]
    hidden = max(0, len(detail) - start - len(shown))
    more = (
        Action(t("button.more", count=hidden), f"{command} page:{page + 1}") if hidden and command else None
    )
    return [
        Section(lines=tuple(lines)),
        Section(title=t("gate.outcome_title"), lines=tuple(shown), hidden=hidden, more=more),
    ]


def decision_sections(
    ctx: CommandContext,
    rollout: Rollout,
    wave: str,
    gate_id: str,
    decisions: list[GateDecision],
    *,
    page: int = 1,
    command: str = "",
) -> list[Section]:
    """The decisions taken at the gate, newest ``DECISION_LIMIT`` a page (``command`` with
    ``page:N`` shows older ones), then escalations and roll-backs owed."""
    sections = []
    if decisions:
        lines = decision_lines(rollout, decisions)
        end = max(0, len(lines) - (page - 1) * DECISION_LIMIT)
        shown = lines[max(0, end - DECISION_LIMIT) : end]
        hidden = max(0, end - len(shown))
        more = (
            Action(t("button.more", count=hidden), f"{command} page:{page + 1}")
            if hidden and command
            else None
        )
        if shown:
            sections.append(
                Section(title=t("gate.decisions_title"), lines=tuple(shown), hidden=hidden, more=more)
            )
    escalations = escalation_section(ctx, rollout, wave, gate_id)
    if escalations is not None:
        sections.append(escalations)
    rollbacks = rollback_lines(ctx, rollout, wave)
    if rollbacks:
        sections.append(Section(title=t("rollback.title"), lines=tuple(rollbacks)))
    return sections


def rollout_on(
    ctx: CommandContext, rollout: Rollout, day: date, wave: str, members: Iterable[Municipality]
) -> Rollout:
    """The rollout as it stood at the end of ``day`` for a gate of ``wave``: task states
    replayed from the recorded events, and ``members`` in that wave (where they were then).
    Only what the members' answers read is replayed: their tasks and those of no municipality."""
    members = list(members)
    end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(ctx.graph.plan.timezone))
    # Only the members' own tasks and those of no municipality: a gate's readiness of a member
    # reads no other (see ``Rollout.kept``), and replaying every municipality's history cost
    # a gate of a pilot wave at 10x the roster as much as one of the whole rollout.
    states = ctx.store.states_on(end, [m.code for m in members])
    municipalities = dict(rollout.municipalities)
    municipalities.update((m.code, replace(m, wave=wave)) for m in members)
    return Rollout(ctx.graph, municipalities, states)
