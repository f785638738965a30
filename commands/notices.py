"""The messages the scheduler posts, as neutral replies built with the command core's helpers.

Task lines carry the same buttons as `next` (Done, Start, Block…). Owners who are mapped to a
chat account are named ``@handle`` and listed in ``Reply.extra[MENTIONS]`` as
``handle=address;…``; a platform's notifier may turn them into real mentions. Nothing here
knows any platform's syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from commands.context import Actor, CommandContext, Invocation
from commands.present import task_line
from commands.reply import Reply, Section, TaskLine, Tone
from rollout.gates import next_gate, wave_controls
from rollout.reminders import DueItem
from rollout.status import Rollout, TaskView

__all__ = ["MENTIONS", "SCHEDULER_ACTOR", "Mention", "MentionHook", "mark_late", "notice"]

MENTIONS = "mentions"
SCHEDULER_ACTOR = Actor("scheduler", "SF1590 reminders", is_admin=True)  # shows every button
TASK_LIMIT = 12  # task lines per section (each is two blocks in Slack)
_WHEN = {0: "Due today", 1: "Due in 1 working day"}


@dataclass(frozen=True)
class Mention:
    """A person who owns a task and can be mentioned: ``address`` is the platform's id."""

    handle: str
    address: str


MentionHook = Callable[[TaskView], Sequence[Mention]]


def _no_mentions(_view: TaskView) -> Sequence[Mention]:
    return ()


class _Lines:
    """Task lines with owners' mentions, collecting who was mentioned."""

    def __init__(self, ctx: CommandContext, rollout: Rollout, mention: MentionHook) -> None:
        self.ctx, self.rollout, self.mention = ctx, rollout, mention
        self.mentioned: dict[str, str] = {}

    def line(self, view: TaskView) -> TaskLine:
        line = task_line(self.ctx, self.rollout, view, SCHEDULER_ACTOR)
        people = self.mention(view)
        if not people:
            return line
        for person in people:
            self.mentioned[person.handle] = person.address
        names = ", ".join(f"@{p.handle}" for p in people)
        return replace(line, owner=f"{line.owner} ({names})")

    def section(self, title: str, views: Sequence[TaskView]) -> Section:
        shown = views[:TASK_LIMIT]
        return Section(title=title, tasks=tuple(self.line(v) for v in shown),
                       hidden=len(views) - len(shown))

    def extra(self) -> dict[str, str]:
        if not self.mentioned:
            return {}
        return {MENTIONS: ";".join(f"{h}={a}" for h, a in sorted(self.mentioned.items()))}


def notice(ctx: CommandContext, rollout: Rollout, item: DueItem,
           *, mention: MentionHook = _no_mentions, person: Actor | None = None) -> Reply:
    """The message for one due item (``ctx.today`` is the item's day)."""
    lines = _Lines(ctx, rollout, mention)
    wave = item.target.wave
    if item.kind == "deadline":
        sections = tuple(lines.section(_WHEN.get(left, f"Due in {left} working days"),
                                       [v for v in item.tasks if item.offsets.get(v.key) == left])
                         for left in sorted(set(item.offsets.values())))
        return Reply(f"{wave}: {len(item.tasks)} task(s) due soon ({item.day.isoformat()})",
                     sections, tone=Tone.WARNING, public=True, extra=lines.extra(),
                     footer=f"Press Done when a task is finished; `next {wave}` shows what can start.")
    if item.kind == "overdue":
        return Reply(f"{wave}: {len(item.tasks)} task(s) are late", (lines.section("", item.tasks),),
                     tone=Tone.ERROR, public=True, extra=lines.extra(),
                     footer=f"`blocked {wave}` shows what holds them up. Reminded again in a week.")
    if item.kind == "countdown":
        return _countdown(ctx, rollout, item)
    if item.kind == "report":
        assert item.report is not None
        due = min(item.report.by_diagram.values())
        when = "today" if item.days_left == 0 else f"in {item.days_left} working day(s)"
        return Reply(f"{wave}: {item.report.name} is due {when} ({due.isoformat()})",
                     (Section(lines=tuple(f"{d}: {day.isoformat()}"
                                          for d, day in sorted(item.report.by_diagram.items())),),),
                     public=True)
    if item.kind == "digest":
        return _digest(ctx, rollout, item, lines)
    if item.kind == "personal" and person is not None:
        from commands.core import dispatch  # the personal message is `next me`, as typed

        return dispatch(ctx, Invocation("next me", person, "scheduler"))
    return Reply(f"Nothing to say about {item.key}.")


def _countdown(ctx: CommandContext, rollout: Rollout, item: DueItem) -> Reply:
    assert item.gate is not None
    gate, wave = item.gate, item.target.wave
    when = "today" if item.days_left == 0 else f"{item.days_left} working day(s) left"
    ready = [r.municipality.name for r in item.readiness if r.ready]
    lacking = [r for r in item.readiness if not r.ready]
    lines = []
    for r in lacking:
        refs = ", ".join(v.key.ref for v in r.missing[:4])
        more = f" +{len(r.missing) - 4}" if len(r.missing) > 4 else ""
        risk = " AT RISK" if r.at_risk else ""
        lines.append(f"{r.municipality.name}: lacks {refs}{more} "
                     f"(remaining chain {r.chain_days} working days){risk}")
    at_risk = [r.municipality.name for r in lacking if r.at_risk]
    sections = [Section(f"Ready ({len(ready)})", (", ".join(ready) or "none",)),
                Section(f"Not ready ({len(lacking)})", tuple(lines) or ("none",))]
    if at_risk:
        sections.append(Section(f"At risk ({len(at_risk)}): the remaining work does not fit",
                                (", ".join(at_risk),)))
    controls = wave_controls(rollout, [r.municipality for r in item.readiness], gate=gate.gate)
    if controls:
        sections.append(Section("Per-wave checks", tuple(
            f"{c.question} {c.done}/{c.total}" for c in controls)))
    label = rollout.graph.milestone_label(next(iter(gate.by_diagram)), gate.gate)
    return Reply(f"{label} for {wave} on {gate.day.isoformat()}: {when}", tuple(sections),
                 tone=Tone.WARNING if lacking else Tone.SUCCESS, public=True,
                 footer=f"`gate {gate.gate} {wave}` for the full picture.")


def _digest(ctx: CommandContext, rollout: Rollout, item: DueItem, lines: _Lines) -> Reply:
    wave = item.target.wave
    members = [m for m in rollout.municipalities.values() if m.wave == wave]
    keys = rollout.task_keys(members, include_system=False)
    views = rollout.views(keys, item.day)
    open_ = [v for v in views if not v.finished]
    late = sum(1 for v in open_ if v.overdue)
    soon = sum(1 for v in open_ if v.due_soon)
    blocked = sum(1 for v in open_ if v.state.status == "blocked")
    gate = next_gate(rollout, wave, item.day)
    gate_text = (f"Next gate {gate.gate} on {gate.day.isoformat()} "
                 f"({rollout.graph.calendar.working_days_between(item.day, gate.day)} working days)"
                 if gate else "No gate ahead")
    summary = Section(lines=(gate_text, f"{len(open_)} open task(s) in {len(members)} municipalities: "
                                        f"{late} late, {soon} due within 5 working days, "
                                        f"{blocked} blocked"))
    ready = rollout.next_tasks(keys, item.day)[:5]
    sections = (summary, lines.section("Can start now (most urgent first)", ready)) if ready else (
        summary,)
    return Reply(f"Good morning, {wave}: {item.day.strftime('%A')} {item.day.isoformat()}", sections,
                 public=True, extra=lines.extra(), footer=f"`next {wave}` for the full list.")


def mark_late(reply: Reply, planned: datetime) -> Reply:
    """The same message, saying it comes late and when it was planned."""
    note = (f"Sent late: planned for {planned.strftime('%Y-%m-%d %H:%M')}, when the reminder "
            f"service was not running.")
    footer = f"{note} {reply.footer}".strip()
    return replace(reply, headline=f"(late) {reply.headline}", footer=footer)
