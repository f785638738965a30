"""One sweep: ask the domain what is due now, claim each item in the outbox, then send.

The sweep holds no domain logic: ``rollout.reminders`` says what is due, ``commands.notices``
builds each message, the outbox (``storage.outbox``) makes it happen once, and a
:class:`~bot.notify.Notifier` posts it.

Delivery, per row: claim (a conditional UPDATE with a lease) → if an earlier attempt may have
reached the platform, look for it there first (``find_posted``) → post → mark sent only after the
platform accepted it. A failed post stays pending with backoff (or the platform's Retry-After);
each channel's messages go out in their planned order, so a failing row holds back only the rows
after it in its own channel.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import COPENHAGEN, SystemClock
from bot.heap import collector_paused
from bot.notify import DeliveryError, Notifier
from bot.roster_check import EMPTY_ROSTER
from bot.runtime import Runtime
from bot.scheduler.payload import reply_from_json, reply_to_json
from bot.scheduler.unreachable import tell_managers
from commands.admin import actor_for
from commands.context import CommandContext
from commands.messages import speaking
from commands.notices import Mention, mark_late, notice
from commands.reply import Reply
from rollout.decisions import open_escalations
from rollout.reminders import DueItem, due_at
from rollout.status import Rollout, TaskView
from storage.outbox import DROPPED, Claimed, Leadership, NewNotice, SqlOutbox
from storage.people import Person
from storage.reminders import SqlReminderSettings
from storage.tables import OutboxRow

__all__ = ["SweepConfig", "SweepReport", "Sweeper", "worker_id"]

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class SweepConfig:
    lookback_days: int = 3  # calendar days a missed notification is still looked for
    late_after: timedelta = timedelta(minutes=15)  # later than this: the text says it is late
    max_age: timedelta = timedelta(hours=24)  # older than this: dropped with a log line
    lease: timedelta = timedelta(minutes=5)  # a claim this old belongs to a dead process
    min_interval: float = 1.0  # seconds between two posts to one channel (real time)
    backoff: timedelta = timedelta(seconds=30)  # after the first failure; doubles, up to an hour
    max_backoff: timedelta = timedelta(hours=1)
    language: str = "en"  # the frame of the messages (en | da); plan text is Danish either way


@dataclass
class SweepReport:
    led: bool = True
    due: int = 0
    inserted: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # already on the platform: marked sent
    failed: list[str] = field(default_factory=list)


class Sweeper:
    """Sweeps as of a moment handed in (what is due, late or stale); leases and retry times
    count on the wall clock, which every process shares (``wall``: the system clock)."""

    def __init__(
        self,
        runtime: Runtime,
        notifiers: Mapping[str, Notifier],
        *,
        config: SweepConfig | None = None,
        worker: str | None = None,
        leadership: Leadership | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        self.runtime = runtime
        self.notifiers = dict(notifiers)
        self.config = config or SweepConfig()
        self.worker = worker or worker_id()
        self.outbox = SqlOutbox(runtime.engine)
        self.settings = SqlReminderSettings(runtime.engine)
        self.leadership = leadership or Leadership(runtime.engine)
        self._sleep, self._monotonic = sleep, monotonic
        self._wall = wall or SystemClock().now  # for leases, retries and the time a row was sent
        self._last_post: dict[tuple[str, str], float] = {}
        self._empty_warned = False  # the empty-roster warning: once until the roster fills
        self.stopping = threading.Event()  # set on SIGTERM: finish the row in hand, claim no more

    def sweep(self, now: datetime) -> SweepReport:
        if not self.leadership.acquire():
            return SweepReport(led=False)
        report = SweepReport()
        self.plan(now, report)
        self.deliver(now, report)
        return report

    # -- planning: what is due goes into the outbox ---------------------------------------------

    def snapshot(self) -> Rollout:
        """The rollout as recorded now: the store's kept snapshot, brought up to date from the
        database (never a copy from start-up), so a tick re-reads only what changed since."""
        return self.runtime.store.snapshot(self.runtime.graph)

    def due(self, now: datetime) -> tuple[Rollout, list[DueItem]]:
        rollout = self.snapshot()
        targets = self.settings.targets(tuple(self.notifiers))
        escalations = open_escalations(self.runtime.graph.plan, self.runtime.store.gate_decisions())
        return rollout, due_at(
            rollout, targets, now, lookback_days=self.config.lookback_days, escalations=escalations
        )

    def plan(self, now: datetime, report: SweepReport) -> None:
        # Many small objects, no cycles: the collector's walks only cost time here, and the
        # snapshot is gone (freed by reference counting) before it runs again (bot/heap.py).
        with collector_paused():
            self._plan(now, report)

    def _plan(self, now: datetime, report: SweepReport) -> None:
        rollout, items = self.due(now)
        if not rollout.municipalities and not self._empty_warned:
            log.warning(EMPTY_ROSTER)
        self._empty_warned = not rollout.municipalities
        report.due = len(items)
        known = self.outbox.known([i.key for i in items])
        fresh = [i for i in items if i.key not in known]
        if not fresh:
            return
        people = {p: _People(self.settings.people(p)) for p in self.notifiers}
        with speaking(self.config.language):
            notices = [self._notice(rollout, item, now, people[item.target.platform]) for item in fresh]
        inserted = set(self.outbox.add(notices, now=now))
        for new in notices:
            if new.key not in inserted:
                continue
            if new.status == DROPPED:
                log.warning(
                    "dropped %s: planned for %s, too old to send at %s",
                    new.key,
                    new.due_at.isoformat(),
                    now.isoformat(),
                )
                report.dropped.append(new.key)
            else:
                report.inserted.append(new.key)

    def _notice(self, rollout: Rollout, item: DueItem, now: datetime, people: _People) -> NewNotice:
        age = now - item.at

        def row(payload: str, *, late: bool = False, status: str = "pending", error: str = "") -> NewNotice:
            return NewNotice(
                item.key,
                item.kind,
                item.target.platform,
                item.target.channel_id,
                item.target.wave,
                item.subject,
                item.day,
                item.at,
                payload,
                late,
                status,
                error,
            )

        if age > self.config.max_age:
            return row("", status=DROPPED, error="stale: planned long before the scheduler ran")
        ctx = CommandContext(self.runtime.store, self.runtime.graph, now, item.day)
        found = people.by_handle.get(item.target.person) if item.target.person else None
        person = actor_for(found) if found is not None else None
        reply = notice(ctx, rollout, item, mention=people.owners, person=person)
        late = age > self.config.late_after
        if late:
            reply = mark_late(reply, item.at)
        return row(reply_to_json(reply), late=late)

    # -- delivery: pending rows go out, each once, in order per channel -------------------------

    def deliver(self, now: datetime, report: SweepReport) -> None:
        """Send what is due by ``now`` (the rollout's moment: real, or rehearsed)."""
        for key in self.outbox.drop_stale(now - self.config.max_age):
            log.warning("dropped %s: still unsent %s after it was planned", key, self.config.max_age)
            report.dropped.append(key)
        held: set[tuple[str, str]] = set()
        for row in self.outbox.candidates(now):
            if self.stopping.is_set():
                break  # the rest stay pending, unclaimed, for the next scheduler
            channel = (row.platform, row.channel_id)
            if channel in held:
                continue
            wall = self._wall()  # leases and retries count real time, whatever ``now`` is
            if not _free(row, wall):
                held.add(channel)  # an earlier message of this channel waits: keep the order
                continue
            claimed = self.outbox.claim(row, self.worker, wall, self.config.lease)
            if claimed is None or not self._send(claimed, wall, report, row=row, now=now):
                held.add(channel)

    def _send(
        self, claimed: Claimed, wall: datetime, report: SweepReport, *, row: OutboxRow, now: datetime
    ) -> bool:
        """Send one claimed row (``wall``: real time for retries; ``now``: the rollout's)."""
        wave = row.wave
        notifier = self.notifiers.get(claimed.platform)
        if notifier is None:
            self.outbox.release(
                claimed,
                self.worker,
                error=f"no notifier for {claimed.platform}",
                retry_at=wall + self.config.max_backoff,
            )
            return False
        try:
            if claimed.uncertain:
                found = notifier.find_posted(claimed.channel_id, claimed.key)
                if found is not None:
                    self.outbox.mark_sent(claimed, self.worker, remote_id=found.remote_id, now=wall)
                    log.info("%s was already posted (%s): marked sent", claimed.key, found.remote_id)
                    report.found.append(claimed.key)
                    return True
            self._throttle((claimed.platform, claimed.channel_id))
            posted = notifier.post(claimed.channel_id, self._reply(row, now), key=claimed.key)
        except DeliveryError as err:
            retry = (
                timedelta(seconds=err.retry_after)
                if err.retry_after is not None
                else min(self.config.backoff * 2 ** (claimed.attempts - 1), self.config.max_backoff)
            )
            log.warning(
                "%s not delivered (attempt %d): %s; %s",
                claimed.key,
                claimed.attempts,
                err,
                "dropped" if err.permanent else f"retry in {retry}",
            )
            self.outbox.release(
                claimed, self.worker, error=str(err), retry_at=wall + retry, drop=err.permanent, kept=err.kept
            )
            report.failed.append(claimed.key)
            if err.kept:
                people = self.settings.people(claimed.platform)
                lang = self.config.language
                tell_managers(self.outbox, claimed, wave, err, people, now=now, language=lang)
            return False
        self.outbox.mark_sent(claimed, self.worker, remote_id=posted.remote_id, now=wall)
        report.sent.append(claimed.key)
        return True

    def _reply(self, row: OutboxRow, now: datetime) -> Reply:
        """The message as rendered when planned; one that was on time then but goes out late now
        (kept while a channel was unreachable) says it is late and when it was planned."""
        reply = reply_from_json(row.payload)
        planned = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=UTC)
        if not row.late and now - planned > self.config.late_after:
            with speaking(self.config.language):
                reply = mark_late(reply, planned.astimezone(COPENHAGEN), why="notice.late_kept_note")
        return reply

    def _throttle(self, channel: tuple[str, str]) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.config.min_interval - (self._monotonic() - last)
            if wait > 0:
                self._sleep(wait)
        self._last_post[channel] = self._monotonic()


def _free(row: OutboxRow, now: datetime) -> bool:
    held = row.lease_until is not None and row.lease_until >= now
    waiting = row.next_attempt_at is not None and row.next_attempt_at > now
    return not held and not waiting


class _People:
    """The people of one platform, indexed once per sweep: a personal message finds its person
    and a task line its owners without going through everyone (both grow with the roster)."""

    def __init__(self, people: Sequence[tuple[Person, str]]) -> None:
        self.by_handle = {p.handle: p for p, _ in people}
        self._by_role: dict[str, list[tuple[Person, str]]] = {}
        for person, address in people:
            for role in person.roles:
                self._by_role.setdefault(role, []).append((person, address))

    def owners(self, view: TaskView) -> list[Mention]:
        """Owners of a task: people acting for its role, for its municipality (or everywhere)."""
        return [
            Mention(p.handle, address)
            for p, address in self._by_role.get(view.task.role, ())
            if not p.municipalities or view.key.municipality in p.municipalities
        ]
