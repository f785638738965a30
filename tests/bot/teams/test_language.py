"""The answer's language on Teams: the activity's locale when we speak it, else the configured
one (SF1590_LANGUAGE); the whole card in it; and every card is the runtime's one seam, rendered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.teams.app import answer_card
from bot.teams.server import routes
from bot.web import web_app
from tests.asgi_server import serve
from tests.bot.teams.cards import assert_valid_card
from tests.bot.teams.conftest import (
    BOT_ID,
    CHANNEL,
    STRANGER,
    SUPPLIER,
    TeamsClient,
    card_actions,
    card_text,
    make_service,
)
from tests.bot.teams.fake_connector import FakeConnector

DANISH_NEXT = "Aarhus (P2): 4 opgaver kan startes nu"
ENGLISH_NEXT = "Aarhus (P2): 4 tasks can start now"


@pytest.fixture
def danish_runtime(demo_runtime: Runtime, people: object) -> Runtime:
    """The demo bot (its people registered), configured to answer in Danish."""
    settings = Settings(database_url=str(demo_runtime.engine.url), language="da")
    return open_runtime(settings, demo_runtime.clock, migrate=False)


@pytest.fixture
def danish_teams(danish_runtime: Runtime, connector: FakeConnector) -> Iterator[TeamsClient]:
    with httpx.Client(timeout=20) as http:
        for base in serve(web_app(routes(make_service(danish_runtime)))):
            yield TeamsClient(base, connector, http)


def message(teams: TeamsClient, text: str, user: str, locale: str | None) -> dict[str, Any]:
    """A channel message @-mentioning the bot, with this locale (None: the activity has none)."""
    activity = teams.activity(
        "message",
        user,
        text=f"<at>sf1590</at> {text}",
        textFormat="plain",
        entities=[
            {"type": "mention", "text": "<at>sf1590</at>", "mentioned": {"id": BOT_ID, "name": "sf1590"}}
        ],
    )
    if locale is None:
        del activity["locale"]
    else:
        activity["locale"] = locale
    return activity


def test_a_message_answers_with_a_card_in_the_configured_language(danish_teams: TeamsClient) -> None:
    assert danish_teams.post(message(danish_teams, "next aarhus", SUPPLIER, None)).status_code == 202
    card = danish_teams.card(1)
    assert_valid_card(card)
    assert DANISH_NEXT in card_text(card)
    assert "Udført" in [a.get("title") for a in card_actions(card)]
    assert "Hvorfor er A/TS213@751 blokeret?" in str(card)  # the renderer's own text, too


def test_a_danish_locale_gets_danish_when_the_default_is_english(teams: TeamsClient) -> None:
    teams.post(message(teams, "next aarhus", SUPPLIER, "da-DK"))
    assert DANISH_NEXT in card_text(teams.card(1))
    teams.post(message(teams, "next aarhus", SUPPLIER, "fr-FR"))  # not spoken: the default
    assert ENGLISH_NEXT in card_text(teams.card(2))


def test_an_english_locale_gets_english_when_the_default_is_danish(danish_teams: TeamsClient) -> None:
    danish_teams.post(message(danish_teams, "next aarhus", SUPPLIER, "en-US"))
    assert ENGLISH_NEXT in card_text(danish_teams.card(1))


def test_an_unregistered_users_note_is_in_the_replys_language(teams: TeamsClient) -> None:
    teams.post(message(teams, "next aarhus", STRANGER, "da-DK"))
    text = card_text(teams.card(1))
    assert DANISH_NEXT in text
    assert "Du er ikke registreret hos udrulningsbotten" in text
    assert f"dit AAD-objekt-id er {STRANGER}" in text
    assert "not registered" not in text


def test_the_welcome_is_in_the_installers_language(teams: TeamsClient) -> None:
    bot = {"id": BOT_ID, "name": "sf1590"}
    activity = {**teams.activity("conversationUpdate", SUPPLIER, membersAdded=[bot]), "locale": "da-DK"}
    teams.post(activity)
    assert "Hej! Jeg følger udrulningen af SF1590" in card_text(teams.card(1))


def test_every_teams_card_is_the_seams_answer_rendered(teams: TeamsClient, demo_runtime: Runtime) -> None:
    cases = (
        ("next aarhus", SUPPLIER, "en-US"),
        ("next aarhus", STRANGER, "da-DK"),
        ("status P2", SUPPLIER, "da-DK"),
    )
    for number, (text, user, locale) in enumerate(cases, start=1):
        teams.post(message(teams, text, user, locale))
        expected = answer_card(demo_runtime.answer("teams", user, CHANNEL, text, language=locale))
        assert teams.card(number) == expected
