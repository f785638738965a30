"""The answer's language on Slack: the configured one (SF1590_LANGUAGE), or the payload's locale,
for the whole message; and every message is the runtime's one seam, rendered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.slack.app import build_app, render_message
from bot.slack.server import asgi_app, wire
from storage.seen import SqlSeenRequests
from tests.bot.slack.blockkit import assert_valid_message
from tests.bot.slack.conftest import (
    SECRET,
    STRANGER,
    SUPPLIER,
    SlackUser,
    _serve,
    buttons,
    slack_settings,
)
from tests.bot.slack.fake_slack import FakeSlack

DANISH_NEXT = "Aarhus (P2): 4 opgaver kan startes nu"


def danish_settings(runtime: Runtime) -> Settings:
    return Settings(database_url=str(runtime.engine.url), language="da")


@pytest.fixture
def danish_runtime(demo_runtime: Runtime, people: object) -> Runtime:
    """The demo bot (its people registered), configured to answer in Danish."""
    return open_runtime(danish_settings(demo_runtime), demo_runtime.clock, migrate=False)


@pytest.fixture
def danish_slack(fake: FakeSlack, danish_runtime: Runtime) -> Iterator[SlackUser]:
    app = build_app(danish_runtime, slack_settings(fake))
    with httpx.Client(timeout=10) as http:
        for base in _serve(asgi_app(app, seen=SqlSeenRequests(danish_runtime.engine), signing_secret=SECRET)):
            yield SlackUser(base, fake, http)


def text_of(message: dict[str, Any]) -> str:
    return str(message["blocks"])


def test_a_slash_command_answers_in_the_configured_language(danish_slack: SlackUser) -> None:
    assert danish_slack.command("next aarhus", SUPPLIER).status_code == 200
    message = danish_slack.answer()
    assert_valid_message(message)
    assert DANISH_NEXT in text_of(message)
    assert "Udført" in [b["text"]["text"] for b in buttons(message)]
    assert "can start now" not in text_of(message)


def test_a_slash_command_in_a_worker_process_answers_in_the_configured_language(
    fake: FakeSlack, danish_runtime: Runtime
) -> None:
    app = wire(danish_runtime, danish_settings(danish_runtime), slack_settings(fake), processes=1)
    with httpx.Client(timeout=10) as http:
        for base in _serve(asgi_app(app, seen=SqlSeenRequests(danish_runtime.engine), signing_secret=SECRET)):
            user = SlackUser(base, fake, http)
            user.command("next aarhus", SUPPLIER)
            assert DANISH_NEXT in text_of(user.answer())
            user.command("next aarhus", STRANGER)
            assert "Du er ikke registreret" in text_of(user.answer(2))


def test_an_unregistered_users_note_is_in_the_replys_language(danish_slack: SlackUser) -> None:
    danish_slack.command("next aarhus", STRANGER)
    message = danish_slack.answer()
    assert DANISH_NEXT in text_of(message)
    assert "Du er ikke registreret hos udrulningsbotten" in text_of(message)
    assert f"/sf1590 register <@{STRANGER}>" in text_of(message)
    assert "not registered" not in text_of(message)


def test_a_click_with_a_danish_locale_answers_in_danish_on_an_english_bot(slack: SlackUser) -> None:
    slack.command("next aarhus", SUPPLIER)
    start = next(b for b in buttons(slack.answer()) if b["value"].startswith("start "))
    slack.interactive(
        {
            "type": "block_actions",
            "team": {"id": "T0FAKE", "domain": "fake"},
            "user": {"id": SUPPLIER, "username": "bo", "team_id": "T0FAKE", "locale": "da-DK"},
            "api_app_id": "A0APP",
            "token": "legacy",
            "trigger_id": "13345.TRIGGER",
            "channel": {"id": "C0DEMO", "name": "rollout"},
            "response_url": slack.response_url(),
            "actions": [
                {
                    "type": "button",
                    "action_id": start["action_id"],
                    "block_id": "b1",
                    "text": start["text"],
                    "value": start["value"],
                    "action_ts": "1.2",
                }
            ],
        }
    )
    answer = slack.answer(2)
    assert "i gang" in text_of(answer) and "in progress" not in text_of(answer)


def test_every_slack_message_is_the_seams_answer_rendered(slack: SlackUser, demo_runtime: Runtime) -> None:
    for number, (text, user) in enumerate(
        (("next aarhus", SUPPLIER), ("next aarhus", STRANGER), ("status P2", SUPPLIER)), start=1
    ):
        slack.command(text, user)
        sent = slack.answer(number)
        expected = render_message(demo_runtime.answer("slack", user, "C0DEMO", text))
        assert {k: sent[k] for k in expected} == expected


def test_the_app_home_is_in_the_configured_language(danish_slack: SlackUser) -> None:
    danish_slack.event({"type": "app_home_opened", "user": SUPPLIER, "tab": "home"})
    (published,) = danish_slack.fake.wait_for("views.publish")
    assert "dig: 1 opgave kan startes nu" in str(published.body["view"]["blocks"])


def test_the_reason_modal_asks_in_the_clickers_language(danish_runtime: Runtime) -> None:
    from bot.slack.app import reason_modal
    from commands.messages import speaking

    with speaking(danish_runtime.language_for("da-DK")):
        modal = reason_modal("block A/TS213@751", "{}")
    assert modal["title"]["text"] == "Blokér en opgave"
    assert modal["blocks"][0]["label"]["text"] == "Hvorfor er A/TS213@751 blokeret?"
