"""What the plan says besides tasks and dates: remarks, open questions, the [KLIK] filter and
the generic (untracked) AG template page."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from commands.context import CommandContext
from commands.messages import t
from commands.parse import UserError, untracked_tasks
from commands.present import confidence_mark, owner_name
from commands.reply import Reply, Section
from rollout.plan import Plan, TaskDef
from rollout.status import TaskView

__all__ = [
    "KLIK_WORDS",
    "date_legend",
    "question_lines",
    "refuse_untracked",
    "remark_lines",
    "split_klik",
    "task_remark_lines",
    "template_reply",
]

KLIK_WORDS = frozenset({"klik", "[klik]", "click"})


def split_klik(args: Sequence[str]) -> tuple[list[str], bool]:
    """Take the filter word ``klik`` out of the arguments: ``next P2 klik``."""
    rest = [a for a in args if a.lower() not in KLIK_WORDS]
    return rest, len(rest) != len(args)


def remark_lines(plan: Plan, diagram_ids: Iterable[str]) -> list[str]:
    """The diagrams' general remarks ("Generelle bemærkninger"), each once, with the diagrams
    that print it: ``A, B: Spørgsmål til KSD … ksd@kombit.dk``."""
    found: dict[str, list[str]] = {}
    for diagram_id in diagram_ids:
        for remark in plan.diagrams[diagram_id].remarks_da:
            found.setdefault(" ".join(remark.split()), []).append(diagram_id)
    return [f"{', '.join(ids)}: {text}" for text, ids in found.items()]


def question_lines(plan: Plan, diagram_ids: Iterable[str], *, at: str | None = None) -> list[str]:
    """The open questions ("Opmærksomhedspunkter") of the diagrams; with ``at``, only those
    about that gate or task code."""
    lines = []
    for diagram_id in diagram_ids:
        for question in plan.diagrams[diagram_id].questions:
            if at is not None and question.at != at:
                continue
            where = t("notes.question_at", at=question.at) if question.at and at is None else ""
            lines.append(f"{diagram_id}: {question.text_da}{where}")
    return lines


def _counterparts(plan: Plan, task: TaskDef) -> list[str]:
    """Tracked tasks whose notes name this template task (``Counterpart of AG TB204``)."""
    pattern = re.compile(rf"\b{re.escape(task.diagram)} {re.escape(task.code)}\b")
    return [t_.ref for t_ in plan.tracked_tasks() if pattern.search(t_.notes)]


def _template_lines(ctx: CommandContext, task: TaskDef) -> list[str]:
    plan = ctx.graph.plan
    diagram = plan.diagrams[task.diagram]
    lines = [
        t("template.untracked", title=diagram.title_da, diagrams=", ".join(plan.tracked)),
        t("show.title_en", title=task.title_en),
        t(
            "show.meta",
            integration=diagram.integration,
            owner=owner_name(ctx, task.role),
            confidence=task.role_confidence,
            scope=t(f"scope.{task.scope}"),
            phase=plan.phases[task.phase].name_da,
        ),
    ]
    counterparts = _counterparts(plan, task)
    lines.append(
        t("template.maps_to", refs=", ".join(counterparts)) if counterparts else t("template.maps_to_none")
    )
    before = [f"{e.before} ({e.provenance}, {e.confidence})" for e in plan.edges if e.after == task.ref]
    if before:
        lines.append(t("show.plan_waits_on", parts="; ".join(before)))
    if task.notes:
        lines.append(t("show.notes", notes=task.notes))
    return lines


def template_reply(ctx: CommandContext, tasks: Sequence[TaskDef]) -> Reply:
    """``show AG/TB204``: a task of the generic template page, which this rollout does not
    track, with what it maps to on the tracked diagrams where the plan says so."""
    sections = [
        Section(title=f"{task.ref} {task.title_da}", lines=tuple(_template_lines(ctx, task)))
        for task in tasks
    ]
    if len(sections) == 1:
        return Reply(sections[0].title, (Section(lines=sections[0].lines),))
    return Reply(t("show.headline_many", code=tasks[0].code, count=len(tasks)), tuple(sections))


def refuse_untracked(ctx: CommandContext, args: Sequence[str]) -> None:
    """`next AG/TB204`: a task of an untracked page is never listed; say why."""
    for word in args:
        if "/" in word and (template := untracked_tasks(word, ctx.graph.plan)):
            raise UserError(
                t("error.untracked", ref=template[0].ref, diagrams=", ".join(ctx.graph.plan.tracked)),
                hint=t("hint.untracked", ref=template[0].ref),
            )


def date_legend(views: Sequence[TaskView]) -> str:
    """The key to the ≈ / ? marks, when a listed date carries one."""
    return t("legend.confidence") if any(confidence_mark(v.deadline) for v in views) else ""


def task_remark_lines(ctx: CommandContext, task: TaskDef) -> list[str]:
    """The task's notes, the alternatives and joint box it belongs to, the open questions about
    it and its page's general remarks."""
    lines = []
    if task.notes:
        lines.append(t("show.notes", notes=task.notes))
    questions = question_lines(ctx.graph.plan, [task.diagram], at=task.code)
    if questions:
        lines.append(t("show.questions", questions=" · ".join(questions)))
    remarks = ctx.graph.plan.diagrams[task.diagram].remarks_da
    if remarks:
        lines.append(
            t("show.remarks", diagram=task.diagram, remarks=" · ".join(" ".join(r.split()) for r in remarks))
        )
    return lines
