"""Serving: /healthz, rate limits retried, App Home, Socket Mode start-up, settings, no token leaks."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import httpx
import pytest

from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.server import build_from_env, socket_mode_handler
from bot.slack.settings import ConfigError, SlackSettings
from storage.people import SqlPeopleStore
from tests.bot.slack.blockkit import assert_valid_message
from tests.bot.slack.conftest import (
    BOT_TOKEN,
    SECRET,
    STRANGER,
    SUPPLIER,
    SlackUser,
    slack_settings,
)
from tests.bot.slack.fake_slack import FakeSlack


def test_healthz(slack: SlackUser) -> None:
    response = slack.http.get(f"{slack.base}/healthz")
    assert response.status_code == 200 and response.text.splitlines() == ["ok", "slack: ok"]


def test_auth_test_is_called_once_at_start_up(slack: SlackUser) -> None:
    slack.command("help", STRANGER)
    slack.answer()
    assert len(slack.fake.of("auth.test")) == 1
    assert slack.fake.of("auth.test")[0].headers["Authorization"] == f"Bearer {BOT_TOKEN}"


def test_a_429_at_the_response_url_is_retried_and_arrives_once(slack: SlackUser) -> None:
    slack.fake.rate_limit("response_url", times=1, retry_after=1)
    started = time.monotonic()
    slack.command("next aarhus", SUPPLIER)
    (message,) = slack.fake.wait_for("response_url", timeout=30)
    assert time.monotonic() - started >= 1.0  # it waited as Slack asked
    attempts = slack.fake.of("response_url", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert_valid_message(message.body)
    slack.settle()  # the work has finished: nothing more is coming
    assert len(slack.fake.of("response_url")) == 1


def test_app_home_shows_next_tasks_and_the_next_gate_with_a_429_retried(slack: SlackUser) -> None:
    slack.fake.rate_limit("views.publish", times=1, retry_after=1)
    response = slack.event(
        {"type": "app_home_opened", "user": SUPPLIER, "channel": "D0HOME", "tab": "home", "event_ts": "1.0"}
    )
    assert response.status_code == 200
    (published,) = slack.fake.wait_for("views.publish", timeout=30)
    assert [c.status for c in slack.fake.of("views.publish", ok_only=False)] == [429, 200]
    assert published.body["user_id"] == SUPPLIER
    view = published.body["view"]
    assert view["type"] == "home"
    text = str(view["blocks"])
    assert "A/TS213" in text  # the supplier's own next task in Aarhus
    assert "KP-3 on 2020-01-28" in text  # the next gate of Aarhus' wave P2
    assert_valid_message({"blocks": view["blocks"]}, max_blocks=100)


def test_app_home_tells_an_unknown_user_how_to_register(slack: SlackUser) -> None:
    slack.event({"type": "app_home_opened", "user": STRANGER, "tab": "home", "event_ts": "1.0"})
    (published,) = slack.fake.wait_for("views.publish")
    assert "not registered" in str(published.body["view"]["blocks"])


def test_register_and_channel_link(slack: SlackUser, demo_runtime: Runtime) -> None:
    from tests.bot.slack.conftest import ADMIN

    slack.command("register <@U0NEW|nina> Nina Berg coordinator:aarhus", STRANGER)
    assert "Only an admin can register people." in str(slack.answer(1)["blocks"])
    slack.command("register <@U0NEW|nina> Nina Berg coordinator:aarhus", ADMIN)
    assert "Registered Nina Berg" in str(slack.answer(2)["blocks"])
    assert "coordinator for Aarhus" in str(slack.answer(2)["blocks"])
    slack.command("next me", "U0NEW")
    mine = slack.answer(3)
    assert "not registered" not in str(mine["blocks"])
    assert "you:" in str(mine["blocks"])

    slack.command("channel P2", "U0NEW", channel="C0P2")
    assert "Only an admin or the wave's manager" in str(slack.answer(4)["blocks"])
    slack.command("channel P2", ADMIN, channel="C0P2")
    assert "This channel now follows wave P2" in str(slack.answer(5)["blocks"])
    slack.command("next", STRANGER, channel="C0P2")
    assert "wave P2:" in str(slack.answer(6)["blocks"])
    slack.command("next", STRANGER, channel="C0OTHER")
    assert "wave P2:" not in str(slack.answer(7)["blocks"])


def test_socket_mode_start_up_reaches_the_connection_attempt(
    fake: FakeSlack, demo_runtime: Runtime, people: SqlPeopleStore
) -> None:
    settings = slack_settings(fake, app_token="xapp-1-fake-app-token")
    app = build_app(demo_runtime, settings)
    handler = socket_mode_handler(app, settings)
    thread = threading.Thread(target=lambda: _quietly(handler.connect), daemon=True)
    thread.start()
    (opened,) = fake.wait_for("apps.connections.open")[:1]
    assert opened.headers["Authorization"] == "Bearer xapp-1-fake-app-token"
    thread.join(10)
    handler.close()  # the WebSocket itself went to a closed local port: no Slack needed


def _quietly(connect: object) -> None:
    with contextlib.suppress(Exception):  # the closed port refuses the WebSocket, as expected
        connect()  # type: ignore[operator]


def test_missing_settings_fail_with_their_names() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        SlackSettings.from_env({})
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        SlackSettings.from_env({"SLACK_APP_TOKEN": "xapp-1"})
    socket = SlackSettings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
        }
    )
    assert socket.socket_mode and socket.api_url == "http://127.0.0.1:9/api/" and socket.port == 8080
    assert "xoxb-1" not in repr(socket) and "xapp-1" not in repr(socket)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build_from_env({"SLACK_BOT_TOKEN": "xoxb-1"})


def test_tokens_never_reach_the_logs(slack: SlackUser, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack.command("next aarhus", SUPPLIER)
    slack.answer()
    slack.event({"type": "app_home_opened", "user": SUPPLIER, "tab": "home", "event_ts": "1.0"})
    slack.fake.wait_for("views.publish")
    httpx.get(f"{slack.base}/healthz")
    assert caplog.records  # something was logged at all
    assert BOT_TOKEN not in caplog.text and SECRET not in caplog.text


def test_the_core_can_run_in_worker_processes(
    fake: FakeSlack, demo_runtime: Runtime, people: SqlPeopleStore, tmp_path: object
) -> None:
    """What `sf1590 serve` does by default: the core in a worker process, same answers."""
    from bot.settings import Settings
    from bot.slack.server import asgi_app, wire
    from storage.seen import SqlSeenRequests
    from tests.bot.slack.conftest import _serve

    settings = Settings(database_url=str(demo_runtime.engine.url))
    app = wire(demo_runtime, settings, slack_settings(fake), processes=1)
    with httpx.Client(timeout=30) as http:
        for base in _serve(asgi_app(app, seen=SqlSeenRequests(demo_runtime.engine), signing_secret=SECRET)):
            user = SlackUser(base, fake, http)
            assert user.command("next aarhus", SUPPLIER).status_code == 200
            message = user.answer()
            assert "Aarhus (P2): 4 tasks can start now" in str(message["blocks"])
            assert_valid_message(message)
            user.event({"type": "app_home_opened", "user": SUPPLIER, "tab": "home"})
            assert "A/TS213" in str(fake.wait_for("views.publish")[0].body["view"]["blocks"])


def test_the_work_starts_after_the_ack_without_a_thread_hop_on_the_event_loop(
    slack: SlackUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting the deferred work is only a submit: it must not cost the event loop a hand-off to
    starlette's thread pool and back per request (measured in bench/slack_latency.py)."""
    import starlette.background

    hops: list[object] = []
    real = starlette.background.run_in_threadpool

    async def counted(func: object, *args: object, **kwargs: object) -> object:
        hops.append(func)
        return await real(func, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(starlette.background, "run_in_threadpool", counted)
    assert slack.command("next aarhus", SUPPLIER).status_code == 200
    assert "Aarhus" in str(slack.answer()["blocks"])
    assert hops == []
