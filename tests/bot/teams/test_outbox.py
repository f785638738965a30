"""Reminders from the scheduler's outbox to a Teams channel: each once, and none again after a
restart. Skipped while the scheduler (bot/scheduler, another engineer's) is not in the tree."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.teams.notify import TeamsNotifier
from storage.conversations import SqlConversationRefStore
from tests.bot.teams.conftest import ADMIN, CHANNEL, TeamsClient, card_text, make_service

scheduler = pytest.importorskip("bot.scheduler")


def _channel_posts(teams: TeamsClient) -> list[str]:
    return [c.path for c in teams.connector.messages() if c.path == f"/v3/conversations/{CHANNEL}/activities"]


NEXT_MORNING = datetime(2020, 1, 22, 8, 0, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))


def _sweep(runtime: Runtime) -> object:
    service = make_service(runtime)
    notifier = TeamsNotifier(service.adapter, service.settings, SqlConversationRefStore(runtime.engine))
    sweeper = scheduler.Sweeper(
        runtime, {"teams": notifier}, config=scheduler.SweepConfig(), sleep=lambda _s: None
    )
    return sweeper.sweep(NEXT_MORNING)  # the morning after the link was made


def test_reminders_reach_the_linked_teams_channel_once_and_not_again_after_a_restart(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    teams.message("channel P2", ADMIN)
    assert "now follows wave P2" in card_text(teams.card(1))
    report = _sweep(demo_runtime)
    sent = list(report.sent)  # type: ignore[attr-defined]
    assert sent, f"nothing was due for P2 on {NEXT_MORNING}: {report}"
    assert Counter(sent).most_common(1)[0][1] == 1
    posts = len(_channel_posts(teams))
    assert posts == len(sent)

    # A restart: a new process on the same database, new SDK objects, the same moment.
    database = str(demo_runtime.engine.url)
    demo_runtime.engine.dispose()
    fresh = open_runtime(Settings(database_url=database), FixedClock.at(demo_runtime.clock.now()))
    again = _sweep(fresh)
    assert list(again.sent) == []  # type: ignore[attr-defined]
    assert len(_channel_posts(teams)) == posts
