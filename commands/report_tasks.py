"""The report's task sections: open blocks, late tasks, control answers, the runbook, open
escalations, and (v3) what happened after go-live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from commands.context import CommandContext
from commands.gating import verdict_text
from commands.messages import t
from commands.present import key_label, local_minute, owner_name, state_text
from commands.report_doc import Paragraph, ReportSection, Table
from rollout.decisions import GO, NO_GO, Decided, open_escalations, stopped
from rollout.gates import wave_controls
from rollout.model import Municipality, Status
from rollout.plan import Confidence
from rollout.status import Rollout, TaskView

if TYPE_CHECKING:
    from commands.report_build import Facts
    from storage.ports import GateDecision

__all__ = ["after_go_live", "blocks_and_late", "controls", "escalations", "runbook"]


def _where(rollout: Rollout, view: TaskView) -> str:
    return key_label(rollout, view.key).split(" ", 1)[1]


def _title(view: TaskView) -> str:
    return view.task.title_da or t("show.title_lost")


def blocks_and_late(
    ctx: CommandContext, rollout: Rollout, members: Sequence[Municipality]
) -> list[ReportSection]:
    """Open blocks with their reasons, and late tasks (past due, nothing they wait on open),
    of the members' own tasks and the wave's runbook."""
    waves = sorted({m.wave for m in members})
    keys = rollout.task_keys(members, include_system=True) + rollout.wave_keys(waves)
    views = sorted(rollout.views(keys, ctx.today), key=TaskView.urgency)
    blocked = tuple(
        (v.key.ref, _title(v), _where(rollout, v), v.state.reason or "–", owner_name(ctx, v.task.role))
        for v in views
        if v.state.status == Status.BLOCKED
    )
    late = _late_groups(ctx, rollout, [v for v in views if v.overdue])
    return [
        ReportSection(
            t("report.blocks_title"),
            (
                Table(
                    tuple(t(f"report.col.{c}") for c in ("task", "title", "municipality", "reason", "owner")),
                    blocked,
                    t("report.no_blocks"),
                ),
            ),
            t("report.blocks_sheet"),
        ),
        ReportSection(
            t("report.late_title"),
            (
                Table(
                    tuple(
                        t(f"report.col.{c}")
                        for c in (
                            "task",
                            "title",
                            "deadline",
                            "days_late",
                            "count",
                            "municipalities",
                            "owner",
                        )
                    ),
                    late,
                    t("report.no_late"),
                ),
            ),
            t("report.late_sheet"),
        ),
    ]


def _late_groups(
    ctx: CommandContext, rollout: Rollout, late: Sequence[TaskView]
) -> tuple[tuple[str, ...], ...]:
    """One row per late task and deadline, with every municipality it is late for: K91 has
    late tasks by the thousand, and a reader looks for the task (the export lists each one)."""
    groups: dict[tuple[str, str], list[TaskView]] = {}
    for view in late:
        day = view.deadline.day.isoformat() if view.deadline else "–"
        groups.setdefault((view.key.ref, day), []).append(view)
    rows = []
    for (ref, day), views in groups.items():
        first = views[0]
        days = str((ctx.today - first.deadline.day).days) if first.deadline else "–"
        rows.append(
            (
                ref,
                _title(first),
                day,
                days,
                str(len(views)),
                ", ".join(_where(rollout, v) for v in views),
                owner_name(ctx, first.task.role),
            )
        )
    return tuple(rows)


def controls(rollout: Rollout, members: Sequence[Municipality]) -> ReportSection:
    """The plan's per-wave control questions (KSDs kontrol per bølge), answered."""
    language = t("report.language")
    rows = []
    for c in wave_controls(rollout, list(members), language=language):
        open_refs = sorted({k.ref for k in c.open})
        answer = t("report.yes") if not c.open else t("report.no")
        if c.confidence != Confidence.STATED:
            answer += f" ({t(f'confidence.{c.confidence}')})"
        rows.append(
            (
                c.control_id,
                c.question,
                f"{c.done}/{c.total}",
                answer,
                ", ".join(open_refs[:6]) + (f" +{len(open_refs) - 6}" if len(open_refs) > 6 else ""),
            )
        )
    columns = tuple(t(f"report.col.{c}") for c in ("control", "question", "done", "answer", "open"))
    return ReportSection(
        t("report.controls_title"),
        (Table(columns, tuple(rows), t("report.no_controls")),),
        t("report.controls_sheet"),
    )


def _runbook_rows(
    ctx: CommandContext, rollout: Rollout, views: Sequence[TaskView]
) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            v.key.ref,
            _title(v),
            _where(rollout, v),
            state_text(v),
            v.deadline.day.isoformat() if v.deadline else "–",
            v.task.opens_after or "–",
            v.state.reason or "–",
        )
        for v in views
    )


def runbook(ctx: CommandContext, rollout: Rollout, wave: str) -> ReportSection:
    """The go-live runbook of the wave (done once for it): progress and every step."""
    counts = rollout.wave_counts(wave, ctx.today)
    views = rollout.views(rollout.wave_keys([wave]), ctx.today)
    columns = tuple(
        t(f"report.col.{c}")
        for c in ("task", "title", "municipality", "state", "deadline", "opens_after", "reason")
    )
    return ReportSection(
        t("report.runbook_title", wave=wave),
        (
            Paragraph(
                t(
                    "report.runbook_progress",
                    done=counts.done,
                    total=counts.total,
                    late=counts.late,
                    blocked=counts.blocked,
                )
            ),
            Table(columns, _runbook_rows(ctx, rollout, views), t("report.none")),
        ),
        t("report.runbook_sheet"),
    )


def _decision_row(rollout: Rollout, d: Decided, what: str) -> tuple[str, ...]:
    found = rollout.municipalities.get(d.municipality)
    return (
        d.gate,
        found.name if found else str(d.municipality),
        what,
        d.actor,
        local_minute(d.at),
        d.note or "–",
    )


def escalations(
    ctx: CommandContext, rollout: Rollout, decisions: Sequence[GateDecision], wave: str
) -> ReportSection:
    """No-gos that moved nothing and wait on people (a stop, a Gate no-go, no next wave)."""
    rows = []
    for e in open_escalations(ctx.graph.plan, decisions, wave=wave):
        rows.append(_decision_row(rollout, e.decision, t(f"report.leads_to.{e.leads_to}")))
    columns = tuple(t(f"report.col.{c}") for c in ("gate", "municipality", "leads_to", "who", "when", "note"))
    return ReportSection(
        t("report.escalations_title"),
        (Table(columns, tuple(rows), t("report.no_escalations")),),
        t("report.escalations_sheet"),
    )


def after_go_live(ctx: CommandContext, rollout: Rollout, facts: Facts, wave: str) -> ReportSection:
    """v3: the KP-4 outcome, the stopped go-lives, and the runbook steps after KP-4."""
    standing = facts.standing("KP-4")
    current = facts.current
    summary = t(
        "report.kp4_outcome",
        okay=sum(d.decision == GO for d in standing.values()),
        stop=sum(d.decision == NO_GO for d in standing.values()),
        undecided=sum(m.code not in standing for m in current),
        total=len(current),
    )
    halted = stopped(ctx.graph.plan, facts.decisions)
    stop_rows = tuple(
        _decision_row(rollout, d, verdict_text(d)) for d in sorted(halted.values(), key=lambda d: d.id)
    )
    after = [v for v in rollout.views(rollout.wave_keys([wave]), ctx.today) if v.task.opens_after == "KP-4"]
    decision_cols = tuple(
        t(f"report.col.{c}") for c in ("gate", "municipality", "decision", "who", "when", "note")
    )
    runbook_cols = tuple(
        t(f"report.col.{c}")
        for c in ("task", "title", "municipality", "state", "deadline", "opens_after", "reason")
    )
    return ReportSection(
        t("report.after_title"),
        (
            Paragraph(summary),
            Paragraph(t("report.stopped_title")),
            Table(decision_cols, stop_rows, t("report.no_stopped")),
            Paragraph(t("report.after_runbook_title")),
            Table(runbook_cols, _runbook_rows(ctx, rollout, after), t("report.none")),
        ),
        t("report.after_sheet"),
    )
