"""The bot removed from the team, end to end over real HTTP against the fake connector: the
connector refuses its posts (403), the reminders are kept past the 24 h stale rule, the wave's
managers are told once in their personal chat, and after the bot is added back (conversationUpdate
membersAdded) each kept reminder goes out once, at the next sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from bot.scheduler import SweepConfig, Sweeper
from bot.teams.notify import TeamsNotifier
from storage.conversations import SqlConversationRefStore
from storage.outbox import SqlOutbox
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from tests.bot.teams.conftest import (
    ADMIN,
    BOT_ID,
    CHANNEL,
    TEAM,
    TeamsClient,
    card_of,
    card_text,
    make_service,
)

MANAGER = "aad-0000-manager"
NEXT_MORNING = datetime(2020, 1, 22, 8, 0, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))


def _texts(teams: TeamsClient, conversation: str) -> list[str]:
    path = f"/v3/conversations/{conversation}/activities"
    return [
        card_text(card_of(c.body))
        for c in teams.connector.messages()
        if c.path == path and c.status == 200  # what reached the conversation
    ]


def _update(teams: TeamsClient, **members: object) -> None:
    activity = teams.activity("conversationUpdate", ADMIN, **members)
    activity["channelData"] = {**activity["channelData"], "team": {"id": TEAM}}
    assert teams.post(activity).status_code in (200, 202)


def test_bot_removed_from_the_team_keeps_the_reminders_tells_the_manager_once_and_sends_once_when_back(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    SqlPeopleStore(demo_runtime.engine).register(
        "teams",
        MANAGER,
        Person("mia", "Mia Manager", manages=frozenset({"P2"})),
        change=Change("test", "test", datetime(2020, 1, 21, 8, tzinfo=UTC)),
    )
    teams.message("channel P2", ADMIN)
    teams.message("help", MANAGER, mention=False, conversation_type="personal")  # her chat's reference
    teams.connector.wait_for(2)
    personal = f"a:personal-{MANAGER}"

    _update(teams, membersRemoved=[{"id": BOT_ID, "name": "sf1590"}])  # removed from the team
    teams.connector.refused[CHANNEL] = 403  # and the connector refuses its posts there
    service = make_service(demo_runtime)
    notifier = TeamsNotifier(service.adapter, service.settings, SqlConversationRefStore(demo_runtime.engine))
    wall = [NEXT_MORNING]
    sweeper = Sweeper(
        demo_runtime, {"teams": notifier}, config=SweepConfig(min_interval=0), wall=lambda: wall[0]
    )
    for hours in (0, 0.5, 2, 26):  # retries with backoff, and a day later: past the stale rule
        wall[0] = NEXT_MORNING + timedelta(hours=hours)
        sweeper.sweep(NEXT_MORNING + timedelta(hours=hours))

    outbox = SqlOutbox(demo_runtime.engine)
    rows = [r for r in outbox.rows() if r.channel_id == CHANNEL]
    assert not [r.key for r in rows if r.last_error == "stale: too old to send"]
    kept = [r for r in rows if r.status != "dropped"]
    assert kept and all(r.status == "pending" for r in kept)
    assert "HTTP 403" in "".join(r.last_error for r in kept)
    assert _texts(teams, CHANNEL)[2:] == []  # nothing after the link's answer reached the channel
    told = [t for t in _texts(teams, personal) if "cannot post the P2 reminders" in t]
    assert len(told) == 1  # once, however many retries
    assert "Add the bot to the team again" in told[0] and "Waiting to go out" in told[0]
    tried = [c for c in teams.connector.messages() if c.status == 403]
    assert tried and all(c.body.get("attachments") for c in tried)  # cards only: no apology tried

    teams.connector.refused.clear()
    _update(teams, membersAdded=[{"id": BOT_ID, "name": "sf1590"}])  # added back: it says hello
    wall[0] += timedelta(seconds=5)  # well inside the backoff: only the bot's return frees them
    sweeper.sweep(NEXT_MORNING + timedelta(hours=26))
    sweeper.sweep(NEXT_MORNING + timedelta(hours=26))
    assert all(r.status == "sent" for r in outbox.rows() if r.channel_id == CHANNEL and r.status != "dropped")
    posts = [t for t in _texts(teams, CHANNEL) if "(late)" in t]
    assert len(posts) == len(kept)  # each once, marked late
    assert len([t for t in _texts(teams, personal) if "cannot post the P2 reminders" in t]) == 1
