"""Which notifications are due: deadline reminders, overdue escalations, gate countdowns, morning
digests and report milestones, per wave channel, as of one moment.

Pure: a :class:`~rollout.status.Rollout` snapshot, the targets (channels linked to waves, with
their settings) and an aware moment in; :class:`DueItem` records out, each with a deterministic
key ``kind|wave|platform:channel|subject|day``. Nothing is due on a day that is not a Danish
working day, before the target's posting time, while the target is paused, or for a task that is
already finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property, partial
from zoneinfo import ZoneInfo

from rollout.decisions import Escalation
from rollout.gates import GateDate, Readiness, ReportDue, gate_date, gate_ids, readiness, reports_due
from rollout.model import FINISHED, Municipality, TaskKey
from rollout.status import Rollout, TaskView

__all__ = [
    "COUNTDOWN_DAYS",
    "DEADLINE_OFFSETS",
    "ESCALATE_EVERY",
    "KINDS",
    "PERSONAL",
    "REPORT_OFFSETS",
    "DueItem",
    "Target",
    "due_at",
    "due_on",
    "examined",
    "parse_kinds",
]

KINDS = ("deadline", "overdue", "countdown", "digest", "report")
PERSONAL = "personal"  # a person's own daily message (their next tasks)
DEADLINE_OFFSETS = (5, 1, 0)  # working days before a deadline
REPORT_OFFSETS = (5, 1, 0)  # working days before a report milestone
COUNTDOWN_DAYS = 10  # working days before a gate the countdown starts
ESCALATE_EVERY = 5  # working days between overdue escalations (weekly), from the day after


def parse_kinds(text: str) -> frozenset[str]:
    """``"deadline,countdown"`` -> the kinds; ValueError naming an unknown one."""
    kinds = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(kinds - set(KINDS) - {PERSONAL})
    if unknown:
        raise ValueError(f"unknown kind(s): {', '.join(unknown)}; use {', '.join(KINDS)}")
    return frozenset(kinds)


@dataclass(frozen=True)
class Target:
    """Where notifications go and how that place wants them.

    A wave channel, a wave manager's direct messages (``kinds={"overdue"}``), or a person who
    asked for a personal daily message (``kinds={"personal"}``, ``person`` set, ``wave`` empty).
    ``paused_until``: nothing planned before that moment is posted (a resume sets it to the
    resume moment, so nothing held back comes late). ``since``: nothing planned before the
    target existed is posted either.
    """

    platform: str
    channel_id: str
    wave: str
    post_time: time = time(8, 0)
    kinds: frozenset[str] = frozenset(KINDS)
    paused_until: datetime | None = None
    since: datetime | None = None
    person: str = ""

    @property
    def address(self) -> str:
        return f"{self.platform}:{self.channel_id}"

    def wants(self, kind: str, at: datetime) -> bool:
        if kind not in self.kinds:
            return False
        if self.paused_until is not None and at < self.paused_until:
            return False
        return self.since is None or at >= self.since


@dataclass(frozen=True)
class DueItem:
    """One notification that is due: what, where, about what, for which day."""

    kind: str
    target: Target
    subject: str  # deadlines | overdue | a gate id | a report milestone id | morning | a person
    day: date
    at: datetime  # when it is planned to go out (the target's posting time that day)
    tasks: tuple[TaskView, ...] = ()  # deadline, overdue: the tasks, most urgent first
    gate: GateDate | None = None
    report: ReportDue | None = None
    days_left: int | None = None  # countdown, report: working days left
    offsets: dict[TaskKey, int] = field(default_factory=dict, compare=False)  # task -> days left
    escalation: Escalation | None = None  # escalation: the no-go that waits on people
    # countdown: computes the readiness of each municipality, only when the message is built
    assess: Callable[[], tuple[Readiness, ...]] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def readiness(self) -> tuple[Readiness, ...]:
        """Countdown: each municipality of the wave, ready or not, and what it lacks."""
        return self.assess() if self.assess is not None else ()

    @property
    def key(self) -> str:
        return "|".join(
            (self.kind, self.target.wave, self.target.address, self.subject, self.day.isoformat())
        )


@dataclass
class _WaveIndex:
    """A wave's municipalities and open task instances, built once per snapshot."""

    municipalities: list[Municipality]
    open_keys: list[TaskKey]
    examined: int


def _wave_index(rollout: Rollout, wave: str) -> _WaveIndex:
    members = sorted((m for m in rollout.municipalities.values() if m.wave == wave), key=lambda m: m.name)
    # A municipality stopped at KP-4 ("Stop aktivitet") gets no reminders for its tasks.
    keys = rollout.task_keys([m for m in members if m.code not in rollout.stopped], include_system=False)
    for key in rollout.graph.system_instances():  # due for this wave when its deadline is this wave's
        own = rollout.graph.deadline(key.ref, wave)
        shared = rollout.deadline(key)
        if own is not None and shared is not None and own.day == shared.day:
            keys.append(key)
    keys.extend(rollout.wave_keys([wave]))  # the wave's own runbook (R/LUK, R/KONV, …)
    open_keys = [k for k in keys if rollout.state(k).status not in FINISHED]
    return _WaveIndex(members, open_keys, len(keys))


def due_on(
    rollout: Rollout,
    targets: Sequence[Target],
    day: date,
    *,
    index: dict[str, _WaveIndex] | None = None,
    escalations: Sequence[Escalation] = (),
) -> list[DueItem]:
    """Everything planned for ``day`` (ignoring the time of day); none on a non-working day.

    ``escalations`` (open no-gos that stop or escalate) go where overdue escalations go, on
    the first working day from the day they were decided, not before they were decided.
    """
    if not rollout.graph.calendar.is_working_day(day):
        return []
    index = {} if index is None else index
    zone = ZoneInfo(rollout.graph.plan.timezone)
    out: list[DueItem] = []
    for target in targets:
        at = datetime.combine(day, target.post_time, zone)
        if target.person:
            if target.wants(PERSONAL, at):
                out.append(DueItem(PERSONAL, target, target.person, day, at))
            continue
        if target.wave not in index:
            index[target.wave] = _wave_index(rollout, target.wave)
        out.extend(_wave_items(rollout, target, index[target.wave], day, at))
        out.extend(_escalation_items(rollout, target, escalations, day, at))
    return out


def _escalation_items(
    rollout: Rollout, target: Target, escalations: Sequence[Escalation], day: date, at: datetime
) -> Iterable[DueItem]:
    calendar = rollout.graph.calendar
    for found in escalations:
        decision = found.decision
        decided = decision.at.astimezone(at.tzinfo)
        first = (
            decided.date()
            if calendar.is_working_day(decided.date())
            else (calendar.add_working_days(decided.date(), 1))
        )
        if decision.wave != target.wave or first != day:
            continue
        when = max(at, decided)  # not before it was decided: it is not late either
        if target.wants("overdue", when):
            yield DueItem(
                "escalation",
                target,
                f"{decision.gate}:{decision.municipality}:{decision.id}",
                day,
                when,
                escalation=found,
            )


def _wave_items(
    rollout: Rollout, target: Target, wave: _WaveIndex, day: date, at: datetime
) -> Iterable[DueItem]:
    if target.wants("deadline", at) or target.wants("overdue", at):
        yield from _task_items(rollout, target, wave, day, at)
    if target.wants("countdown", at):
        yield from _countdowns(rollout, target, wave, day, at)
    if target.wants("report", at):
        for report in reports_due(rollout, target.wave):
            left = rollout.graph.calendar.working_days_between(day, min(report.by_diagram.values()))
            if left in REPORT_OFFSETS:
                yield DueItem("report", target, report.milestone, day, at, report=report, days_left=left)
    if target.wants("digest", at):
        yield DueItem("digest", target, "morning", day, at)


def _task_items(
    rollout: Rollout, target: Target, wave: _WaveIndex, day: date, at: datetime
) -> Iterable[DueItem]:
    calendar = rollout.graph.calendar
    soon: dict[TaskKey, int] = {}
    late: dict[TaskKey, int] = {}
    for key in wave.open_keys:
        deadline = rollout.deadline(key)
        if deadline is None:
            continue
        left = calendar.working_days_between(day, deadline.day)
        if left in DEADLINE_OFFSETS:
            soon[key] = left
        elif left < 0 and (-left - 1) % ESCALATE_EVERY == 0 and not rollout.waits_on(key):
            late[key] = left  # a task that still waits is not late; what it waits on is
    for kind, subject, chosen in (("deadline", "deadlines", soon), ("overdue", "overdue", late)):
        if chosen and target.wants(kind, at):
            views = sorted(rollout.views(chosen, day), key=TaskView.urgency)
            yield DueItem(kind, target, subject, day, at, tasks=tuple(views), offsets=chosen)


def _countdowns(
    rollout: Rollout, target: Target, wave: _WaveIndex, day: date, at: datetime
) -> Iterable[DueItem]:
    for gate_id in gate_ids(rollout):
        gate = gate_date(rollout, gate_id, target.wave)
        if gate is None:
            continue
        left = rollout.graph.calendar.working_days_between(day, gate.day)
        if 0 <= left <= COUNTDOWN_DAYS:
            yield DueItem(
                "countdown",
                target,
                gate.gate,
                day,
                at,
                gate=gate,
                days_left=left,
                assess=partial(_assess, rollout, tuple(wave.municipalities), gate, day),
            )


def _assess(
    rollout: Rollout, municipalities: tuple[Municipality, ...], gate: GateDate, day: date
) -> tuple[Readiness, ...]:
    return tuple(readiness(rollout, m, gate, day) for m in municipalities)


def due_at(
    rollout: Rollout,
    targets: Sequence[Target],
    now: datetime,
    *,
    lookback_days: int = 3,
    escalations: Sequence[Escalation] = (),
) -> list[DueItem]:
    """What is due by ``now``: today's items whose time has come, and those of the last
    ``lookback_days`` calendar days (missed while no sweep ran), in planned order.

    Computed from the snapshot as it is now: a task finished since is not reminded of.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(rollout.graph.plan.timezone)
    today = now.astimezone(zone).date()
    # A target made after ``now`` (a rehearsal of a past day) counts as always there.
    targets = [replace(t, since=None) if t.since is not None and t.since > now else t for t in targets]
    index: dict[str, _WaveIndex] = {}
    out: list[DueItem] = []
    for back in range(lookback_days, -1, -1):
        day = today - timedelta(days=back)
        out.extend(
            item
            for item in due_on(rollout, targets, day, index=index, escalations=escalations)
            if item.at <= now
        )
    return sorted(out, key=lambda i: (i.at, i.target.address, _KIND_ORDER[i.kind], i.subject))


def examined(rollout: Rollout, waves: Iterable[str]) -> int:
    """How many task instances a sweep over ``waves`` looks at (for the benchmark)."""
    return sum(_wave_index(rollout, w).examined for w in waves)


_KIND_ORDER = {
    "escalation": 0,
    "overdue": 0,
    "deadline": 1,
    "countdown": 2,
    "report": 3,
    "digest": 4,
    PERSONAL: 5,
}
