"""The Udrulningsrapport v1, v2, v3 of a wave, built from the same view models as chat answers.

v1 ("parat") is readiness before the Gate, v2 ("godkendte og afrapportering") the approved
municipalities after KP-3 and reporting, v3 ("evaluering") adds what happened after go-live
(KP-4, stopped go-lives, runbook steps after KP-4). Every version has: per municipality
readiness, decisions at each gate with who and when, moves to the next wave and why, open blocks
with reasons, late tasks, the per-wave control answers, the runbook and open escalations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from commands.context import CommandContext
from commands.gating import verdict_text
from commands.messages import speaking, t
from commands.present import load_rollout, local_minute
from commands.report_doc import Document, Image, Paragraph, ReportSection, Table
from commands.report_tasks import after_go_live, blocks_and_late, controls, escalations, runbook
from rollout.decisions import NO_GO, WITHDRAWN, current_decisions
from rollout.gates import GateDate, gate_date, readiness, reports_due
from rollout.model import Municipality
from rollout.status import Rollout
from storage.ports import GateDecision, WaveMove

__all__ = ["VERSIONS", "Facts", "build_report", "gather"]

# The gate each version reports on (domain notes §4.2): v1 before the Gate, v2 at KP-3, v3 KP-4.
VERSIONS = {"v1": ("REPORT-V1", "GATE"), "v2": ("REPORT-V2", "KP-3"), "v3": ("REPORT-V3", "KP-4")}


@dataclass(frozen=True)
class Facts:
    """What a report of one wave is made of, read once."""

    ctx: CommandContext
    rollout: Rollout
    wave: str
    version: str
    gate: GateDate | None
    members: tuple[Municipality, ...]  # in the wave now, and those moved out of it
    decisions: tuple[GateDecision, ...]  # every decision in the wave, in record order
    moves: tuple[WaveMove, ...]  # out of and into the wave (not the first import)

    @property
    def current(self) -> list[Municipality]:
        return [m for m in self.members if m.wave == self.wave]

    def standing(self, gate: str) -> dict[int, GateDecision]:
        return {d.municipality: d for d in current_decisions(self.decisions).values() if d.gate == gate}


def gather(ctx: CommandContext, version: str, wave: str) -> Facts:
    """Read the rollout, the wave's decisions and moves (one snapshot for the whole report)."""
    rollout = load_rollout(ctx)
    moves = tuple(
        m
        for m in ctx.store.wave_moves()
        if m.from_wave is not None and wave in (m.from_wave, m.to_wave) and m.from_wave != m.to_wave
    )
    left = {m.municipality for m in moves if m.from_wave == wave}
    members = tuple(
        sorted(
            (m for m in rollout.municipalities.values() if m.wave == wave or m.code in left),
            key=lambda m: m.name,
        )
    )
    decisions = tuple(sorted(ctx.store.gate_decisions(wave=wave), key=lambda d: d.id))
    return Facts(
        ctx, rollout, wave, version, gate_date(rollout, VERSIONS[version][1], wave), members, decisions, moves
    )


def build_report(facts: Facts, *, language: str = "da", chart_png: bytes | None = None) -> Document:
    """The report as a neutral document, in ``language``; ``chart_png`` (e.g. the readiness
    heatmap of commands' chart module) is embedded in the overview when given."""
    with speaking(language):
        sections = [
            _overview(facts, chart_png),
            _municipalities(facts),
            _decisions(facts),
            _moves(facts),
            *blocks_and_late(facts.ctx, facts.rollout, facts.current),
            controls(facts.rollout, facts.current),
            runbook(facts.ctx, facts.rollout, facts.wave),
            escalations(facts.ctx, facts.rollout, facts.decisions, facts.wave),
        ]
        if facts.version == "v3":
            sections.append(after_go_live(facts.ctx, facts.rollout, facts, facts.wave))
        return Document(
            title(facts.ctx, facts.version, facts.wave),
            t(
                "report.subtitle",
                day=facts.ctx.today.isoformat(),
                wave=facts.wave,
                plan=facts.ctx.graph.plan.title_da,
            ),
            tuple(sections),
        )


def title(ctx: CommandContext, version: str, wave: str) -> str:
    """``Udrulningsrapport v2 (Godkendte og afrapportering) — P2`` in the current language."""
    milestone = VERSIONS[version][0]
    for diagram_id in ctx.graph.plan.tracked:
        found = ctx.graph.plan.diagrams[diagram_id].milestones.get(milestone)
        if found is not None:
            name = found.name_da if t("report.language") == "da" else found.name_en
            return f"{name} — {wave}"
    return t("report.title_fallback", version=version, wave=wave)


def _overview(facts: Facts, chart_png: bytes | None) -> ReportSection:
    ctx, rollout, gate = facts.ctx, facts.rollout, facts.gate
    counts = rollout.counts(facts.current, ctx.today)
    lines = [
        t(
            "report.members",
            count=len(facts.current),
            wave=facts.wave,
            moved=len(facts.members) - len(facts.current),
        )
    ]
    due = [r for r in reports_due(rollout, facts.wave) if r.milestone == VERSIONS[facts.version][0]]
    if due:
        lines.append(t("report.due", day=min(due[0].by_diagram.values()).isoformat()))
    if gate is not None:
        standing = facts.standing(gate.gate)
        lines.append(
            t(
                "report.gate",
                gate=gate.gate,
                day=gate.day.isoformat(),
                go=sum(d.decision != NO_GO for d in standing.values()),
                no_go=sum(d.decision == NO_GO for d in standing.values()),
                undecided=sum(m.code not in standing for m in facts.members),
            )
        )
    lines.append(
        t("report.counts", done=counts.done, total=counts.total, late=counts.late, blocked=counts.blocked)
    )
    blocks: list[Paragraph | Image] = [Paragraph(line) for line in lines]
    if chart_png is not None:
        blocks.append(Image(chart_png, t("report.chart_caption", wave=facts.wave)))
    return ReportSection(t("report.overview_title"), tuple(blocks), t("report.overview_sheet"))


def _readiness_cell(facts: Facts, m: Municipality, today: date) -> tuple[str, str]:
    if m.wave != facts.wave:
        return t("report.moved_to", wave=m.wave), ""
    if facts.gate is None:
        return "–", ""
    found = readiness(facts.rollout, m, facts.gate, today)
    if found.ready:
        return t("report.ready"), ""
    state = t("report.at_risk", days=found.chain_days) if found.at_risk else t("report.not_ready")
    shown = ", ".join(v.key.ref for v in found.missing[:5])
    return state, shown + (f" +{len(found.missing) - 5}" if len(found.missing) > 5 else "")


def _municipalities(facts: Facts) -> ReportSection:
    today, gate_id = facts.ctx.today, VERSIONS[facts.version][1]
    standing = facts.standing(gate_id)
    rows = []
    for m in facts.members:
        counts = facts.rollout.counts([m], today)
        state, missing = _readiness_cell(facts, m, today)
        decided = standing.get(m.code)
        rows.append(
            (
                m.name,
                str(m.code),
                m.wave,
                f"{counts.done}/{counts.total}",
                str(counts.late),
                str(counts.blocked),
                state,
                missing,
                f"{verdict_text(decided)} ({decided.actor}, {local_minute(decided.at)})" if decided else "–",
            )
        )
    columns = (
        *(t(f"report.col.{c}") for c in ("municipality", "code", "wave_now", "done", "late", "blocked")),
        t("report.col.readiness", gate=gate_id),
        t("report.col.missing"),
        t("report.col.decision_at", gate=gate_id),
    )
    return ReportSection(
        t("report.municipalities_title", gate=gate_id),
        (Table(columns, tuple(rows), t("report.none")),),
        t("report.municipalities_sheet"),
    )


def _decisions(facts: Facts) -> ReportSection:
    standing = {d.id for d in current_decisions(facts.decisions).values()}
    withdrawn = {d.supersedes for d in facts.decisions if d.decision == WITHDRAWN}
    names = {m.code: m.name for m in facts.rollout.municipalities.values()}
    rows = []
    for d in facts.decisions:
        mark = (
            "report.mark_undo"
            if d.decision == WITHDRAWN
            else "report.mark_current"
            if d.id in standing
            else "report.mark_withdrawn"
            if d.id in withdrawn
            else "report.mark_superseded"
        )
        rows.append(
            (
                d.gate,
                names.get(d.municipality, str(d.municipality)),
                verdict_text(d),
                d.actor,
                local_minute(d.at),
                d.source,
                d.note or "–",
                t(mark),
            )
        )
    columns = tuple(
        t(f"report.col.{c}")
        for c in ("gate", "municipality", "decision", "who", "when", "source", "note", "standing")
    )
    return ReportSection(
        t("report.decisions_title"),
        (Table(columns, tuple(rows), t("report.no_decisions")),),
        t("report.decisions_sheet"),
    )


def _moves(facts: Facts) -> ReportSection:
    names = {m.code: m.name for m in facts.rollout.municipalities.values()}
    rows = tuple(
        (
            names.get(m.municipality, str(m.municipality)),
            m.from_wave or "–",
            m.to_wave,
            m.reason,
            m.actor,
            local_minute(m.at),
        )
        for m in facts.moves
    )
    columns = tuple(t(f"report.col.{c}") for c in ("municipality", "from", "to", "why", "who", "when"))
    return ReportSection(
        t("report.moves_title", wave=facts.wave),
        (Table(columns, rows, t("report.no_moves")),),
        t("report.moves_sheet"),
    )
