"""Turning domain views into reply lines: task lines with buttons, dates, owners, counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from commands.context import Actor, CommandContext
from commands.messages import t
from commands.permissions import can_change
from commands.reply import Action, Section, TaskLine
from rollout.model import SYSTEM_WIDE, Status, TaskKey
from rollout.status import Rollout, TaskView

__all__ = [
    "LIST_LIMIT",
    "deadline_note",
    "key_label",
    "load_rollout",
    "owner_name",
    "task_line",
    "task_section",
]

LIST_LIMIT = 8


def load_rollout(ctx: CommandContext, municipalities: Sequence[int] | None = None) -> Rollout:
    """A snapshot of the rollout, with task states for ``municipalities`` (all when None)."""
    return Rollout(ctx.graph, ctx.store.municipalities(), ctx.store.task_states(municipalities))


def owner_name(ctx: CommandContext, role: str) -> str:
    found = ctx.graph.plan.roles.get(role)
    return found.name_da if found else role


def key_label(rollout: Rollout, key: TaskKey) -> str:
    """``A/TS213 Aarhus`` (or ``A/TS100 alle`` for a task done once for everyone)."""
    if key.municipality == SYSTEM_WIDE:
        where = t("label.all_municipalities")
    else:
        municipality = rollout.municipalities.get(key.municipality)
        where = municipality.name if municipality else str(key.municipality)
    connection = f" ({key.connection})" if key.connection and key.connection != "KSD" else ""
    return f"{key.ref} {where}{connection}"


def deadline_note(view: TaskView, today: date) -> str:
    if view.deadline is None:
        return t("deadline.none")
    day = view.deadline.day.isoformat()
    fallback = t("deadline.fallback", diagram=view.deadline.diagram) if view.deadline.fallback else ""
    left = view.working_days_left
    if view.finished or left is None:
        return t("deadline.plain", day=day, milestone=view.deadline.milestone) + fallback
    if left < 0:
        late = (today - view.deadline.day).days
        return t("deadline.late", day=day, days=late, milestone=view.deadline.milestone) + fallback
    return t("deadline.left", day=day, days=left, milestone=view.deadline.milestone) + fallback


def state_label(view: TaskView) -> str:
    label = t(f"status.{view.state.status}")
    if view.state.status in (Status.TODO, Status.IN_PROGRESS) and not view.waits_on:
        label = t("status.ready") if view.state.status == Status.TODO else label
    return label


def task_line(ctx: CommandContext, rollout: Rollout, view: TaskView, actor: Actor,
              *, detail: str = "") -> TaskLine:
    """One task instance as a reply line, with the buttons this actor may press."""
    where = key_label(rollout, view.key).split(" ", 1)[1]
    if not detail and view.state.reason:
        detail = view.state.reason
    if not detail and view.waits_on:
        shown = ", ".join(k.ref for k in view.waits_on[:3])
        more = f" +{len(view.waits_on) - 3}" if len(view.waits_on) > 3 else ""
        detail = t("detail.waits_on", refs=shown + more)
    actions: tuple[Action, ...] = ()
    if can_change(actor, view.task, view.key, rollout.municipalities):
        actions = _actions(view)
    return TaskLine(
        key=view.key.as_value(), code=view.key.ref, title=view.task.title_da or t("show.title_lost"),
        municipality=where, owner=owner_name(ctx, view.task.role),
        deadline=view.deadline.day if view.deadline else None,
        deadline_note=deadline_note(view, ctx.today), state=state_label(view), detail=detail,
        urgent=view.overdue, actions=actions,
    )


def _actions(view: TaskView) -> tuple[Action, ...]:
    value = view.key.as_value()
    status = view.state.status
    if status in (Status.DONE, Status.NOT_APPLICABLE):
        return (Action(t("button.undo"), "undo"),)
    buttons = [Action(t("button.done"), f"done {value}", style="primary")]
    if status == Status.TODO:
        buttons.append(Action(t("button.start"), f"start {value}"))
    if status != Status.BLOCKED:
        buttons.append(Action(t("button.block"), f"block {value}", style="danger",
                              needs_reason=True))
    return tuple(buttons)


def task_section(ctx: CommandContext, rollout: Rollout, views: Sequence[TaskView], actor: Actor,
                 *, title: str = "", page: int = 1, command: str = "",
                 limit: int = LIST_LIMIT) -> Section:
    """A list of tasks cut to ``limit`` per page, with a "show more" action for the rest."""
    start = (page - 1) * limit
    shown = views[start:start + limit]
    hidden = max(0, len(views) - start - len(shown))
    more = (Action(t("button.more", count=hidden), f"{command} page:{page + 1}")
            if hidden and command else None)
    return Section(title=title, tasks=tuple(task_line(ctx, rollout, v, actor) for v in shown),
                   hidden=hidden, more=more)
