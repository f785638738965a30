"""Proactive posts through TeamsNotifier: a stored reference, the fake connector, a restart.

The scheduler (bot/scheduler*, another engineer's) was not in the tree when this was written, so
these tests drive the Notifier directly: the outbox's exactly-once claim is the scheduler's part.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.notify import DeliveryError, Notifier
from bot.runtime import Runtime
from bot.teams.notify import TeamsNotifier, notifier_from_env
from bot.teams.settings import APP_ID_VAR, ConfigError
from commands.reply import Reply, Section, Tone
from storage.conversations import SqlConversationRefStore
from tests.bot.teams.conftest import (
    ADMIN,
    APP_ID,
    CHANNEL,
    OUTBOUND_TOKEN,
    SUPPLIER,
    TeamsClient,
    card_of,
    card_text,
    make_service,
)
from tests.bot.teams.fake_connector import FakeConnector

REMINDER = Reply(
    "KP-3 for P2 closes in 2 working days", (Section(lines=("3 tasks are open.",)),), tone=Tone.WARNING
)


def _link(teams: TeamsClient) -> None:
    teams.message("channel P2", ADMIN)
    assert "now follows wave P2" in card_text(teams.card(1))


def _posts(connector: FakeConnector) -> list[str]:
    return [
        card_text(card_of(c.body))
        for c in connector.messages()
        if c.path == f"/v3/conversations/{CHANNEL}/activities"
    ]


def test_a_reminder_to_a_linked_channel_arrives_once(teams: TeamsClient, demo_runtime: Runtime) -> None:
    _link(teams)
    service = make_service(demo_runtime)
    notifier: Notifier = TeamsNotifier(
        service.adapter, service.settings, SqlConversationRefStore(demo_runtime.engine)
    )
    posted = notifier.post(CHANNEL, REMINDER, key="countdown:P2:KP-3:2020-01-24")
    assert posted.remote_id.startswith("act-")
    teams.connector.wait_for(2)
    assert _posts(teams.connector) == [card_text(card_of(teams.connector.messages()[1].body))]
    assert "KP-3 for P2 closes in 2 working days" in _posts(teams.connector)[0]
    assert teams.connector.messages()[1].authorization == f"Bearer {OUTBOUND_TOKEN}"
    assert notifier.find_posted(CHANNEL, "countdown:P2:KP-3:2020-01-24") is None


def test_after_a_restart_the_stored_reference_still_reaches_the_channel_once(
    teams: TeamsClient, demo_runtime: Runtime, tmp_path: Path
) -> None:
    _link(teams)
    database = str(demo_runtime.engine.url)
    demo_runtime.engine.dispose()
    # A new process: new engine, new SDK objects; nothing of the first one is in memory.
    notifier = notifier_from_env(
        {
            APP_ID_VAR: APP_ID,
            "DATABASE_URL": database,
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "test-secret",
        }
    )
    assert notifier.platform == "teams"
    notifier.post(CHANNEL, REMINDER, key="countdown:P2:KP-3:2020-01-24")
    teams.connector.wait_for(2)
    assert len(_posts(teams.connector)) == 1


def test_no_reference_or_a_refusal_is_a_delivery_error(teams: TeamsClient, demo_runtime: Runtime) -> None:
    service = make_service(demo_runtime)
    notifier = TeamsNotifier(service.adapter, service.settings, SqlConversationRefStore(demo_runtime.engine))
    with pytest.raises(DeliveryError) as missing:
        notifier.post(CHANNEL, REMINDER, key="k1")
    assert missing.value.permanent and "channel WAVE" in str(missing.value)

    _link(teams)
    teams.connector.fail_status = 403  # the bot was removed from the team
    with pytest.raises(DeliveryError) as refused:
        notifier.post(CHANNEL, REMINDER, key="k2")
    assert refused.value.unreachable and not refused.value.permanent  # kept until it is back
    teams.connector.fail_status = 502
    with pytest.raises(DeliveryError) as flaky:
        notifier.post(CHANNEL, REMINDER, key="k3")
    assert not flaky.value.permanent


def test_the_factory_names_what_is_missing_when_teams_is_not_configured() -> None:
    with pytest.raises(ConfigError, match=APP_ID_VAR):
        notifier_from_env({})


def test_a_personal_message_reaches_someone_who_has_chatted_with_the_bot(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    service = make_service(demo_runtime)
    notifier = TeamsNotifier(service.adapter, service.settings, SqlConversationRefStore(demo_runtime.engine))
    with pytest.raises(DeliveryError):  # never chatted with the bot: no way to reach them yet
        notifier.post(SUPPLIER, REMINDER, key="personal:bo:2020-01-22")
    teams.message("next me", SUPPLIER, mention=False, conversation_type="personal")
    teams.card(1)
    notifier.post(SUPPLIER, REMINDER, key="personal:bo:2020-01-22")
    (post,) = teams.connector.wait_for(2)[1:]
    assert post.path == f"/v3/conversations/a:personal-{SUPPLIER}/activities"
    assert "KP-3 for P2" in card_text(card_of(post.body))
