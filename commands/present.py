"""Turning domain views into reply lines: task lines with buttons, dates, owners, counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from commands.context import Actor, CommandContext
from commands.messages import t
from commands.permissions import can_change
from commands.reply import Action, Section, TaskLine
from rollout.deadlines import Deadline
from rollout.model import SYSTEM_WIDE, Status, TaskKey
from rollout.plan import WAVE_SCOPES, Confidence
from rollout.status import Rollout, TaskView

__all__ = [
    "LIST_LIMIT",
    "confidence_mark",
    "deadline_note",
    "deadline_origin",
    "key_label",
    "load_rollout",
    "local_minute",
    "one_of",
    "owner_name",
    "state_text",
    "task_line",
    "task_section",
]

_COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local_minute(at: datetime) -> str:
    """A recorded moment as people read it: Copenhagen time, to the minute."""
    return at.astimezone(_COPENHAGEN).strftime("%Y-%m-%d %H:%M")


LIST_LIMIT = 8


def load_rollout(ctx: CommandContext) -> Rollout:
    """The rollout as recorded now, from the store's kept snapshot (shared by the commands of
    this process and brought up to date from the database; never change it)."""
    return ctx.store.snapshot(ctx.graph)


def owner_name(ctx: CommandContext, role: str) -> str:
    found = ctx.graph.plan.roles.get(role)
    return found.name_da if found else role


def key_label(rollout: Rollout, key: TaskKey) -> str:
    """``A/TS213 Aarhus`` (or ``A/TS100 alle`` for a task done once for everyone, ``R/LUK P2``
    for a wave's runbook task, ``R/SLET Vejen (P2)`` for a roll-back task)."""
    if rollout.graph.task(key.ref).scope in WAVE_SCOPES:
        if key.municipality == SYSTEM_WIDE:
            return f"{key.ref} {t('label.wave', wave=key.connection)}"
        municipality = rollout.municipalities.get(key.municipality)
        name = municipality.name if municipality else str(key.municipality)
        return f"{key.ref} {name} ({key.connection})"
    if key.municipality == SYSTEM_WIDE:
        where = t("label.all_municipalities")
    else:
        municipality = rollout.municipalities.get(key.municipality)
        where = municipality.name if municipality else str(key.municipality)
    connection = f" ({key.connection})" if key.connection and key.connection != "KSD" else ""
    return f"{key.ref} {where}{connection}"


def deadline_origin(deadline: Deadline) -> str:
    """Where a deadline comes from: its milestone, or the task that needs it sooner and the
    plan's own date; with the plan's confidence when the date is not stated."""
    if deadline.needed_by is not None and deadline.needed_by_day is not None:
        origin = t("deadline.needed_by", ref=deadline.needed_by, day=deadline.needed_by_day.isoformat())
        if deadline.moved and deadline.printed is not None:
            origin += t("deadline.printed", day=deadline.printed.isoformat(), milestone=deadline.milestone)
    else:
        origin = deadline.milestone
    if deadline.confidence != Confidence.STATED:
        origin += ", " + t(f"confidence.{deadline.confidence}")
    return origin


def deadline_note(view: TaskView, today: date) -> str:
    if view.deadline is None:
        return t("deadline.none")
    day = view.deadline.day.isoformat()
    origin = deadline_origin(view.deadline)
    fallback = t("deadline.fallback", diagram=view.deadline.diagram) if view.deadline.fallback else ""
    left = view.working_days_left
    if view.finished or left is None:
        return t("deadline.plain", day=day, milestone=origin) + fallback
    if view.past_due and view.waits_on:
        # Not late: it cannot start yet; the open task it waits on is the late one.
        return t("deadline.waiting", day=day, milestone=origin, count=len(view.waits_on)) + fallback
    if left < 0:
        late = (today - view.deadline.day).days
        return t("deadline.late", day=day, count=late, milestone=origin) + fallback
    return t("deadline.left", day=day, count=left, milestone=origin) + fallback


def confidence_mark(deadline: Deadline | None) -> str:
    """A compact sign for a date the plan infers: ``≈`` likely, ``?`` a guess (see the legend)."""
    if deadline is None or deadline.confidence == Confidence.STATED:
        return ""
    return "≈" if deadline.confidence == Confidence.LIKELY else "?"


def state_text(view: TaskView) -> str:
    """The state, and where it comes from when it follows another task."""
    label = t(f"status.{view.state.status}")
    if view.via is None:
        return label
    if view.via.kind == "alternative":
        return t("state.not_needed", ref=view.via.source.ref)
    return t("state.joint", state=label, ref=view.via.source.ref)


def open_alternatives(rollout: Rollout, view: TaskView) -> list[TaskKey]:
    """The alternatives still open as a choice: one marked not applicable is not taken."""
    return [k for k in view.alternatives if rollout.state(k).status != Status.NOT_APPLICABLE]


def one_of(rollout: Rollout, view: TaskView) -> str:
    """The code of a task, or ``one of [A/TS213, A/TS109-B]`` for open alternatives."""
    others = open_alternatives(rollout, view)
    if not others:
        return view.key.ref
    return t("label.one_of", refs=", ".join([view.key.ref, *(k.ref for k in others)]))


def state_label(view: TaskView) -> str:
    if view.via is not None:
        return state_text(view)
    label = t(f"status.{view.state.status}")
    if view.state.status in (Status.TODO, Status.IN_PROGRESS) and not view.waits_on:
        label = t("status.ready") if view.state.status == Status.TODO else label
    return label


def task_line(
    ctx: CommandContext, rollout: Rollout, view: TaskView, actor: Actor, *, detail: str = ""
) -> TaskLine:
    """One task instance as a reply line, with the buttons this actor may press."""
    where = key_label(rollout, view.key).split(" ", 1)[1]
    if not detail and view.state.reason:
        detail = view.state.reason
    if not detail and view.waits_on:
        shown = ", ".join(k.ref for k in view.waits_on[:3])
        more = f" +{len(view.waits_on) - 3}" if len(view.waits_on) > 3 else ""
        detail = t("detail.waits_on", refs=shown + more)
    others = [] if view.finished else open_alternatives(rollout, view)
    if others:
        alternative = t("detail.alternative", refs=", ".join(k.ref for k in others))
        detail = f"{detail}; {alternative}" if detail else alternative
    mark = confidence_mark(view.deadline)
    actions: tuple[Action, ...] = ()
    if can_change(actor, view.task, view.key, rollout.municipalities):
        actions = _actions(view)
    return TaskLine(
        key=view.key.as_value(),
        code=view.key.ref,
        title=view.task.title_da or t("show.title_lost"),
        municipality=where,
        owner=owner_name(ctx, view.task.role),
        deadline=view.deadline.day if view.deadline else None,
        deadline_note=f"{mark} {deadline_note(view, ctx.today)}" if mark else deadline_note(view, ctx.today),
        state=state_label(view),
        detail=detail,
        urgent=view.overdue,
        actions=actions,
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
        # Ends with the marker, so the reason the adapter appends is only ever a reason.
        buttons.append(Action(t("button.block"), f"block {value} --", style="danger", needs_reason=True))
    return tuple(buttons)


def task_section(
    ctx: CommandContext,
    rollout: Rollout,
    views: Sequence[TaskView],
    actor: Actor,
    *,
    title: str = "",
    page: int = 1,
    command: str = "",
    limit: int = LIST_LIMIT,
) -> Section:
    """A list of tasks cut to ``limit`` per page, with a "show more" action for the rest."""
    start = (page - 1) * limit
    shown = views[start : start + limit]
    hidden = max(0, len(views) - start - len(shown))
    if not shown and page > 1 and command:
        last = max(1, -(-len(views) // limit))
        base = " ".join(w for w in command.split() if not w.lower().startswith("page"))
        return Section(
            title=title, lines=(t("page.beyond", page=page, last=last, command=f"{base} page:{last}"),)
        )
    more = (
        Action(t("button.more", count=hidden), f"{command} page:{page + 1}") if hidden and command else None
    )
    return Section(
        title=title, tasks=tuple(task_line(ctx, rollout, v, actor) for v in shown), hidden=hidden, more=more
    )
