"""What the operator runs from the command line: the scheduler process, one sweep by hand, a
preview of the coming days' messages, and linking a wave to a channel without opening Slack."""

from __future__ import annotations

import logging
import os
import sys
from datetime import date, datetime

from bot.clock import COPENHAGEN, FixedClock, SystemClock
from bot.heap import settle
from bot.notify import Notifier
from bot.runtime import Runtime, open_runtime
from bot.scheduler.service import SWEEP_SECONDS, preview, run_forever, tick
from bot.scheduler.sweep import SweepConfig, Sweeper
from bot.settings import Settings
from commands.messages import speaking
from storage.people import SqlPeopleStore
from storage.ports import Change

__all__ = ["link_channel", "parse_moment", "print_preview", "run_scheduler", "send_once"]


def parse_moment(text: str) -> datetime:
    """An ISO date-time; without an offset it is Copenhagen time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=COPENHAGEN)


def _notifiers(runtime: Runtime) -> dict[str, Notifier] | None:
    """A notifier for each platform that is set up: Slack ($SLACK_BOT_TOKEN), Teams (the app
    registration). The SDKs load only here, when something is to be sent."""
    from bot.slack.settings import ConfigError as SlackConfigError
    from bot.teams.settings import ANONYMOUS_VAR, APP_ID_VAR, TeamsSettings
    from bot.teams.settings import ConfigError as TeamsConfigError

    found: dict[str, Notifier] = {}
    try:
        if os.environ.get("SLACK_BOT_TOKEN"):
            from bot.slack.notifier import notifier_from_env as slack_notifier

            found["slack"] = slack_notifier()
        if TeamsSettings.from_env() is not None:
            from bot.teams.notify import notifier_from_env as teams_notifier

            found["teams"] = teams_notifier(engine=runtime.engine)
    except (SlackConfigError, TeamsConfigError) as err:
        print(f"sf1590: {err}", file=sys.stderr)
        return None
    if not found:
        print(
            f"sf1590: nowhere to post: set SLACK_BOT_TOKEN (Slack) and/or {APP_ID_VAR} "
            f"(Teams; {ANONYMOUS_VAR}=1 for local testing).",
            file=sys.stderr,
        )
        return None
    return found


def run_scheduler(settings: Settings, *, seconds: int = SWEEP_SECONDS) -> int:
    logging.getLogger().setLevel(logging.INFO)
    clock = SystemClock()
    runtime = open_runtime(settings, clock)
    notifiers = _notifiers(runtime)
    if notifiers is None:
        return 2
    config = SweepConfig(language=settings.language)
    sweeper = Sweeper(runtime, notifiers, config=config)
    settle()  # the plan and the SDKs live as long as the process: out of the collector's sight
    run_forever(sweeper, clock, seconds=seconds)
    return 0


def send_once(settings: Settings, *, now: datetime | None) -> int:
    clock = FixedClock(now) if now else SystemClock()
    runtime = open_runtime(settings, clock)
    notifiers = _notifiers(runtime)
    if notifiers is None:
        return 2
    report = tick(Sweeper(runtime, notifiers, config=SweepConfig(language=settings.language)), clock)
    if report is None:
        return 1
    print(
        f"{clock.now().isoformat()}: {report.due} due, {len(report.inserted)} new, "
        f"{len(report.sent)} sent, {len(report.found)} already there, "
        f"{len(report.failed)} failed (kept for a retry), {len(report.dropped)} dropped"
    )
    for key in report.sent:
        print(f"  sent {key}")
    return 0 if not report.failed else 1


def print_preview(
    settings: Settings, *, wave: str | None, today: date | None, days: int, full: bool = False
) -> int:
    clock = SystemClock()
    runtime = open_runtime(settings, clock)
    if wave is not None and wave not in runtime.graph.plan.waves:
        print(f"sf1590: {wave} is not a wave ({', '.join(runtime.graph.plan.waves)})", file=sys.stderr)
        return 2
    with speaking(settings.language):
        lines = preview(runtime, start=today or clock.today(), days=days, wave=wave, full=full)
    for line in lines:
        print(line)
    return 0


def link_channel(settings: Settings, *, wave: str, slack: str) -> int:
    runtime = open_runtime(settings, SystemClock())
    if wave not in runtime.graph.plan.waves:
        print(f"sf1590: {wave} is not a wave ({', '.join(runtime.graph.plan.waves)})", file=sys.stderr)
        return 2
    SqlPeopleStore(runtime.engine).link_channel(
        "slack", slack, wave, change=Change("cli", "cli", runtime.clock.now())
    )
    print(f"Slack channel {slack} now follows wave {wave} (reminders at 08:00 on working days).")
    if not os.environ.get("SLACK_BOT_TOKEN"):
        print("Not checked that the bot can post there: set SLACK_BOT_TOKEN to check (and join).")
        return 0
    from bot.slack.membership import ensure_member  # the Slack SDK loads only when it is used
    from bot.slack.notifier import notifier_from_env

    print(ensure_member(notifier_from_env().client, slack, wave))
    return 0
