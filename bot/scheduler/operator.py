"""What the operator runs from the command line: the scheduler process, one sweep by hand, a
preview of the coming days' messages, and linking a wave to a channel without opening Slack."""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime

from bot.clock import COPENHAGEN, FixedClock, SystemClock
from bot.notify import Notifier
from bot.runtime import open_runtime
from bot.scheduler.service import SWEEP_SECONDS, preview, run_forever, tick
from bot.scheduler.sweep import Sweeper
from bot.settings import Settings
from storage.people import SqlPeopleStore
from storage.ports import Change

__all__ = ["link_channel", "parse_moment", "print_preview", "run_scheduler", "send_once"]


def parse_moment(text: str) -> datetime:
    """An ISO date-time; without an offset it is Copenhagen time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=COPENHAGEN)


def _notifiers() -> dict[str, Notifier] | None:
    from bot.slack.notifier import notifier_from_env  # Slack's SDK loads only when sending
    from bot.slack.settings import ConfigError

    try:
        return {"slack": notifier_from_env()}
    except ConfigError as err:
        print(f"sf1590: {err}", file=sys.stderr)
        return None


def run_scheduler(settings: Settings, *, seconds: int = SWEEP_SECONDS) -> int:
    logging.getLogger().setLevel(logging.INFO)
    notifiers = _notifiers()
    if notifiers is None:
        return 2
    clock = SystemClock()
    run_forever(Sweeper(open_runtime(settings, clock), notifiers), clock, seconds=seconds)
    return 0


def send_once(settings: Settings, *, now: datetime | None) -> int:
    notifiers = _notifiers()
    if notifiers is None:
        return 2
    clock = FixedClock(now) if now else SystemClock()
    report = tick(Sweeper(open_runtime(settings, clock), notifiers), clock)
    if report is None:
        return 1
    print(f"{clock.now().isoformat()}: {report.due} due, {len(report.inserted)} new, "
          f"{len(report.sent)} sent, {len(report.found)} already there, "
          f"{len(report.failed)} failed (kept for a retry), {len(report.dropped)} dropped")
    for key in report.sent:
        print(f"  sent {key}")
    return 0 if not report.failed else 1


def print_preview(settings: Settings, *, wave: str | None, today: date | None, days: int,
                  full: bool = False) -> int:
    clock = SystemClock()
    runtime = open_runtime(settings, clock)
    if wave is not None and wave not in runtime.graph.plan.waves:
        print(f"sf1590: {wave} is not a wave ({', '.join(runtime.graph.plan.waves)})", file=sys.stderr)
        return 2
    for line in preview(runtime, start=today or clock.today(), days=days, wave=wave, full=full):
        print(line)
    return 0


def link_channel(settings: Settings, *, wave: str, slack: str) -> int:
    runtime = open_runtime(settings, SystemClock())
    if wave not in runtime.graph.plan.waves:
        print(f"sf1590: {wave} is not a wave ({', '.join(runtime.graph.plan.waves)})", file=sys.stderr)
        return 2
    SqlPeopleStore(runtime.engine).link_channel("slack", slack, wave,
                                                change=Change("cli", "cli", runtime.clock.now()))
    print(f"Slack channel {slack} now follows wave {wave} (reminders at 08:00 on working days).")
    return 0
