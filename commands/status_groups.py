"""`status WAVE` at a glance: the wave's tasks across its municipalities, and its
municipalities, most late first, a page at a time."""

from __future__ import annotations

from commands.context import CommandContext
from commands.groups import MUNICIPALITY_LIMIT, names_text, page_of
from commands.messages import t
from commands.reply import Action, Section
from rollout.status import Rollout

__all__ = ["wave_sections"]


def _more(hidden: int, command: str, page: int) -> Action | None:
    return Action(t("button.more", count=hidden), f"{command} page:{page + 1}") if hidden else None


def wave_sections(
    ctx: CommandContext,
    rollout: Rollout,
    wave: str,
    page: int,
    command: str,
) -> list[Section]:
    """Page ``page`` of the wave's tasks (done of all, late, where) and its municipalities."""
    members = sorted((m for m in rollout.municipalities.values() if m.wave == wave), key=lambda m: m.name)
    # per task over the members' own instances, kept per municipality by the snapshot
    tasks = [
        (tally.counts, ref, tally.first, tally.late)
        for ref, tally in rollout.tallies_in(members, ctx.today).items()
    ]
    tasks.sort(key=lambda r: (-r[0].late, r[0].done / max(r[0].total, 1), r[1]))
    shown_tasks, hidden_tasks = page_of(tasks, page, MUNICIPALITY_LIMIT)
    task_lines = tuple(
        t(
            "status.task_line",
            ref=ref,
            title=first.task.title_da,
            done=c.done,
            total=c.total,
            late=c.late,
            names=" — " + names_text(rollout, late) if late else "",
        )
        for c, ref, first, late in shown_tasks
    )
    rows = [(rollout.counts([m], ctx.today), m.name) for m in members]
    rows.sort(key=lambda r: (-r[0].late, -r[0].blocked, r[1]))
    shown_rows, hidden_rows = page_of(rows, page, MUNICIPALITY_LIMIT)
    member_lines = tuple(
        t("status.member_line", name=name, done=c.done, total=c.total, late=c.late, blocked=c.blocked)
        for c, name in shown_rows
    )
    sections = []
    if task_lines:
        sections.append(
            Section(
                title=t("status.by_task_title", wave=wave),
                lines=task_lines,
                hidden=hidden_tasks,
                more=_more(hidden_tasks, command, page),
            )
        )
    if member_lines:
        sections.append(
            Section(
                title=t("status.members_title"),
                lines=member_lines,
                hidden=hidden_rows,
                more=_more(hidden_rows, command, page),
            )
        )
    return sections
