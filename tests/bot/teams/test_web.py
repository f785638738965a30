"""`sf1590 serve` with Slack and Teams: one web process, each route guarded by its own check."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from bot.runtime import Runtime
from bot.teams.settings import ANY_SERVICE_URL_VAR, APP_ID_VAR, SECRET_VAR, TeamsSettings
from bot.web import build_web
from storage.people import SqlPeopleStore
from tests.asgi_server import serve
from tests.bot.slack.conftest import BOT_TOKEN, SECRET, SlackUser
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.teams.conftest import APP_ID, SUPPLIER, TeamsClient, card_text
from tests.bot.teams.fake_connector import FakeConnector


@pytest.fixture
def both(
    demo_runtime: Runtime, people: SqlPeopleStore, connector: FakeConnector
) -> Iterator[tuple[SlackUser, TeamsClient]]:
    fake = FakeSlack().start()
    env = {
        APP_ID_VAR: APP_ID,
        SECRET_VAR: "test-secret",
        ANY_SERVICE_URL_VAR: "1",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{fake.url}/api/",
        "SF1590_WORKERS": "0",  # the worker processes would open the database of the environment
    }
    teams_settings = TeamsSettings.from_env(env)
    assert teams_settings is not None
    web = build_web(env, teams_settings, runtime=demo_runtime)
    paths = {getattr(r, "path", "") for r in web.app.routes}
    board = {
        "/board",
        "/board/",
        "/board/open",
        "/board/wave/{wave}",
        "/board/municipality/{slug}",
        "/board/gate/{gate}/{wave}",
        "/board/static",
    }  # the live board, read-only, beside both platforms
    assert paths == {
        "/api/messages",
        "/slack/events",
        "/healthz",
        "/metrics",
        "/files/{file_id}/{name}",
        *board,
    }
    assert demo_runtime.board_link is not None  # so `board` in Slack or Teams answers with a link
    with httpx.Client(timeout=20) as http:
        for base in serve(web.app):
            _wait_until_healthy(http, base)  # Slack's app is built in the background
            yield SlackUser(base, fake, http), TeamsClient(base, connector, http)
    fake.stop()


def _wait_until_healthy(http: httpx.Client, base: str) -> None:
    deadline = time.monotonic() + 10
    while http.get(f"{base}/healthz").status_code != 200:
        assert time.monotonic() < deadline, http.get(f"{base}/healthz").text
        time.sleep(0.02)


def test_slack_and_teams_share_one_process_and_guard_only_their_own_route(
    both: tuple[SlackUser, TeamsClient],
) -> None:
    slack, teams = both
    # Slack's route needs no Microsoft token, only Slack's signature.
    assert slack.command("help", "U0NOBODY").status_code == 200
    assert slack.answer(1)["blocks"]
    # The Teams route needs a Microsoft token; a Slack-signed request does not pass.
    activity = teams.activity("message", SUPPLIER, text="next aarhus")
    assert teams.post(activity, headers=slack.sign("{}")).status_code == 401
    assert teams.message("next aarhus", SUPPLIER).status_code == 202
    assert "A/TS213" in card_text(teams.card(1))


def test_board_asked_in_slack_opens_this_servers_board(both: tuple[SlackUser, TeamsClient]) -> None:
    slack, _ = both
    assert slack.command("board K91", "U0NOBODY").status_code == 200
    text = str(slack.answer(1))
    path = text[text.index("/board/open?token=") :].split()[0].rstrip("\\n'\",>|)")
    opened = slack.http.get(slack.base + path)  # relative: SF1590_PUBLIC_URL is not set here
    assert opened.status_code == 200
    page = slack.http.get(f"{slack.base}/board/wave/K91")
    assert page.status_code == 200 and page.text.count('<th scope="row">') == 91
