"""The messages the scheduler posts, as neutral replies built with the command core's helpers.

Task lines carry the same buttons as `next` (Done, Start, Block…). Owners who are mapped to a
chat account are named ``@handle`` and listed in ``Reply.extra[MENTIONS]`` as
``handle=address;…``; a platform's notifier may turn them into real mentions. Nothing here
knows any platform's syntax.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from commands.context import Actor, CommandContext, Invocation
from commands.gating import escalation_line
from commands.messages import t
from commands.present import task_line
from commands.reply import Action, Reply, Section, TaskLine, Tone
from commands.report_build import VERSIONS
from rollout.gates import next_gate, wave_controls
from rollout.reminders import DueItem
from rollout.status import Rollout, TaskView

__all__ = ["MENTIONS", "SCHEDULER_ACTOR", "Mention", "MentionHook", "mark_late", "notice"]

log = logging.getLogger(__name__)

MENTIONS = "mentions"
SCHEDULER_ACTOR = Actor("scheduler", "SF1590 reminders", is_admin=True)  # shows every button
TASK_LIMIT = 12  # task lines per section (each is two blocks in Slack)


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

    def section(self, title: str, views: Sequence[TaskView], more: str = "") -> Section:
        """The first tasks; ``more`` is the command that lists the rest (a "Show more")."""
        shown = views[:TASK_LIMIT]
        hidden = len(views) - len(shown)
        return Section(
            title=title,
            tasks=tuple(self.line(v) for v in shown),
            hidden=hidden,
            more=Action(t("button.more", count=hidden), more) if hidden and more else None,
        )

    def extra(self) -> dict[str, str]:
        if not self.mentioned:
            return {}
        return {MENTIONS: ";".join(f"{h}={a}" for h, a in sorted(self.mentioned.items()))}


def _due_when(left: int) -> str:
    if left == 0:
        return t("notice.due_today")
    return t("notice.due_in_one") if left == 1 else t("notice.due_in", days=left)


def notice(
    ctx: CommandContext,
    rollout: Rollout,
    item: DueItem,
    *,
    mention: MentionHook = _no_mentions,
    person: Actor | None = None,
) -> Reply:
    """The message for one due item (``ctx.today`` is the item's day)."""
    lines = _Lines(ctx, rollout, mention)
    wave = item.target.wave
    if item.kind == "deadline":
        sections = tuple(
            lines.section(
                _due_when(left), [v for v in item.tasks if item.offsets.get(v.key) == left], f"next {wave}"
            )
            for left in sorted(set(item.offsets.values()))
        )
        return Reply(
            t("notice.deadline", wave=wave, count=len(item.tasks), day=item.day.isoformat()),
            sections,
            tone=Tone.WARNING,
            public=True,
            extra=lines.extra(),
            footer=t("notice.deadline_footer", wave=wave),
        )
    if item.kind == "overdue":
        return Reply(
            t("notice.overdue", wave=wave, count=len(item.tasks)),
            (lines.section("", item.tasks, f"blocked {wave}"),),
            tone=Tone.ERROR,
            public=True,
            extra=lines.extra(),
            footer=t("notice.overdue_footer", wave=wave),
        )
    if item.kind == "countdown":
        return _countdown(ctx, rollout, item)
    if item.kind == "report":
        assert item.report is not None
        if item.days_left == 0:
            return _report_file(ctx, item)
        due = min(item.report.by_diagram.values())
        when = t("notice.today") if item.days_left == 0 else t("notice.in_days", count=item.days_left)
        return Reply(
            t("notice.report", wave=wave, name=item.report.name, when=when, day=due.isoformat()),
            (
                Section(
                    lines=tuple(
                        f"{d}: {day.isoformat()}" for d, day in sorted(item.report.by_diagram.items())
                    ),
                ),
            ),
            public=True,
        )
    if item.kind == "digest":
        return _digest(ctx, rollout, item, lines)
    if item.kind == "escalation":
        return _escalation(rollout, item)
    if item.kind == "personal" and person is not None:
        from commands.core import dispatch  # the personal message is `next me`, as typed

        return dispatch(ctx, Invocation("next me", person, "scheduler"))
    return Reply(t("notice.nothing", item=item.key))


def _report_file(ctx: CommandContext, item: DueItem) -> Reply:
    """The milestone day: the report itself, as a Word file, and a text saying what is in it."""
    from commands.report import ReportAsk, report_reply  # the report needs the whole core

    assert item.report is not None
    version = next((v for v, (milestone, _) in VERSIONS.items() if milestone == item.report.milestone), None)
    wave, name = item.target.wave, item.report.name
    if version is None:  # a report milestone the builder does not know: say it is due
        return Reply(
            t("notice.report", wave=wave, name=name, when=t("notice.today"), day=item.day.isoformat()),
            public=True,
        )
    try:
        made = report_reply(ctx, ReportAsk(version, wave))
    except Exception:  # a report that cannot be made must not hold back the channel's messages
        log.exception("the %s report of %s could not be made", version, wave)
        return Reply(
            t("notice.report_failed", wave=wave, name=name, version=version), tone=Tone.WARNING, public=True
        )
    extension = made.files[0].filename.rsplit(".", 1)[-1].upper()
    return replace(
        made, headline=t("notice.report_file", wave=wave, name=name, format=extension), public=True
    )


def _escalation(rollout: Rollout, item: DueItem) -> Reply:
    """A no-go that moved nothing: to the wave's channel and managers, the day it is taken."""
    assert item.escalation is not None
    d = item.escalation.decision
    name, line = escalation_line(rollout, item.escalation)
    return Reply(
        t("notice.escalation", gate=d.gate, wave=d.wave, name=name),
        (Section(lines=(line,)),),
        tone=Tone.ERROR,
        public=True,
        footer=t("notice.escalation_footer", gate=d.gate, wave=d.wave),
    )


def _countdown(ctx: CommandContext, rollout: Rollout, item: DueItem) -> Reply:
    assert item.gate is not None
    gate, wave = item.gate, item.target.wave
    when = t("notice.today") if item.days_left == 0 else t("notice.days_left", count=item.days_left)
    ready = [r.municipality.name for r in item.readiness if r.ready]
    lacking = [r for r in item.readiness if not r.ready]
    lines = []
    for r in lacking:
        refs = ", ".join(v.key.ref for v in r.missing[:4])
        more = f" +{len(r.missing) - 4}" if len(r.missing) > 4 else ""
        risk = t("status.at_risk") if r.at_risk else ""
        lines.append(
            t("notice.lacks", name=r.municipality.name, refs=refs + more, chain=r.chain_days, risk=risk)
        )
    at_risk = [r.municipality.name for r in lacking if r.at_risk]
    none = t("notice.none")
    sections = [
        Section(t("notice.ready", count=len(ready)), (", ".join(ready) or none,)),
        Section(t("notice.not_ready", count=len(lacking)), tuple(lines) or (none,)),
    ]
    if at_risk:
        sections.append(Section(t("notice.at_risk", count=len(at_risk)), (", ".join(at_risk),)))
    controls = wave_controls(rollout, [r.municipality for r in item.readiness], gate=gate.gate)
    if controls:
        sections.append(
            Section(
                t("gate.controls_title"),
                tuple(f"{c.control_id} {c.question} {c.done}/{c.total}" for c in controls),
            )
        )
    label = rollout.graph.milestone_label(next(iter(gate.by_diagram)), gate.gate)
    return Reply(
        t("notice.countdown", gate=label, wave=wave, day=gate.day.isoformat(), when=when),
        tuple(sections),
        tone=Tone.WARNING if lacking else Tone.SUCCESS,
        public=True,
        footer=t("notice.countdown_footer", gate=gate.gate, wave=wave),
    )


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
    gate_text = (
        t(
            "notice.next_gate",
            gate=gate.gate,
            day=gate.day.isoformat(),
            days=rollout.graph.calendar.working_days_between(item.day, gate.day),
        )
        if gate
        else t("notice.no_gate")
    )
    summary = Section(
        lines=(
            gate_text,
            t(
                "notice.digest_counts",
                count=len(open_),
                municipalities=len(members),
                late=late,
                soon=soon,
                blocked=blocked,
            ),
        )
    )
    ready = rollout.next_tasks(keys + rollout.wave_keys([wave]), item.day)[:5]
    sections = (summary, lines.section(t("notice.can_start"), ready)) if ready else (summary,)
    return Reply(
        t("notice.digest", wave=wave, weekday=t(f"weekday.{item.day.weekday()}"), day=item.day.isoformat()),
        sections,
        public=True,
        extra=lines.extra(),
        footer=t("notice.digest_footer", wave=wave),
    )


def mark_late(reply: Reply, planned: datetime, *, why: str = "notice.late_note") -> Reply:
    """The same message, saying it comes late and when it was planned (``why``: the text key
    that says why it is late)."""
    note = t(why, planned=planned.strftime("%Y-%m-%d %H:%M"))
    footer = f"{note} {reply.footer}".strip()
    return replace(reply, headline=t("notice.late_prefix") + reply.headline, footer=footer)
