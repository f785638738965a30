"""The real Slack app served by uvicorn on 127.0.0.1, talking to a fake Slack Web API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.server import asgi_app
from bot.slack.settings import SlackSettings
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from storage.seen import SqlSeenRequests
from tests.asgi_server import serve as _serve
from tests.bot.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret-8f2c"
BOT_TOKEN = "xoxb-test-token-d41d8cd98f"
AARHUS = 751

SUPPLIER = "U0SUPPLIER"  # bookkeeping supplier for Aarhus: owns A/TS213 Aarhus
COORDINATOR = "U0COORD"  # coordinator of Aarhus: not the owner of A/TS213
ADMIN = "U0ADMIN"
STRANGER = "U0NOBODY"  # not registered


WORKERS = 4  # the listener executor's threads (build_app's ``workers``)


class Settling:
    """Tells when the served app has nothing left to do: no request inside its ASGI call (the
    work a request defers is submitted at the very end of that call, after the response) and
    nothing queued or running on the listener executor. A test waits for this instead of
    sleeping "long enough" for work that must not happen."""

    def __init__(self, app: Any, executor: Executor, workers: int = WORKERS) -> None:
        self.app, self.executor, self.workers = app, executor, workers
        self.inflight = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        with self.lock:
            self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.inflight -= 1

    def wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.inflight:
            assert time.monotonic() < deadline, "a request was still being handled"
            time.sleep(0.01)
        # one job per worker thread, all meeting at a barrier: every job queued before them has
        # then finished (a thread takes the next job only when its last one is done)
        barrier = threading.Barrier(self.workers + 1)
        for _ in range(self.workers):
            self.executor.submit(barrier.wait, timeout)
        barrier.wait(timeout)


@dataclass
class SlackUser:
    """Sends what Slack would send: signed slash commands, clicks, submissions and events."""

    base: str
    fake: FakeSlack
    http: httpx.Client
    settling: Settling | None = None
    sequence: int = 0

    def settle(self) -> None:
        """Wait until the app has finished everything it was asked to do so far."""
        assert self.settling is not None, "served without a Settling wrapper"
        self.settling.wait()

    def sign(self, body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {"Content-Type": content_type, **(self.sign(body) if headers is None else headers)}
        return self.http.post(f"{self.base}/slack/events", content=body, headers=sent)

    def response_url(self) -> str:
        self.sequence += 1
        return f"{self.fake.url}/commands/T0FAKE/{self.sequence}/hook"

    def command_body(self, text: str, user: str, channel: str = "C0DEMO") -> str:
        return urlencode(
            {
                "token": "legacy",
                "team_id": "T0FAKE",
                "team_domain": "fake",
                "channel_id": channel,
                "channel_name": "rollout",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/sf1590",
                "text": text,
                "api_app_id": "A0APP",
                "is_enterprise_install": "false",
                "response_url": self.response_url(),
                "trigger_id": "1.2.3",
            }
        )

    def command(self, text: str, user: str, channel: str = "C0DEMO") -> httpx.Response:
        return self.post(self.command_body(text, user, channel), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")

    def click(self, button: dict[str, Any], user: str, channel: str = "C0DEMO") -> httpx.Response:
        return self.interactive(
            {
                "type": "block_actions",
                "team": {"id": "T0FAKE", "domain": "fake"},
                "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
                "api_app_id": "A0APP",
                "token": "legacy",
                "trigger_id": "13345.TRIGGER",
                "container": {
                    "type": "message",
                    "message_ts": "1.1",
                    "channel_id": channel,
                    "is_ephemeral": True,
                },
                "channel": {"id": channel, "name": "rollout"},
                "response_url": self.response_url(),
                "actions": [
                    {
                        "type": "button",
                        "action_id": button["action_id"],
                        "block_id": "b1",
                        "text": button["text"],
                        "value": button["value"],
                        "action_ts": "1.2",
                    }
                ],
            }
        )

    def event(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T0FAKE",
                "api_app_id": "A0APP",
                "event": event,
                "type": "event_callback",
                "event_id": "Ev0001",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": "T0FAKE", "user_id": "U0BOT", "is_bot": True}],
            }
        )
        return self.post(body, "application/json")

    def answer(self, count: int = 1) -> dict[str, Any]:
        """The ``count``-th message sent to a response URL (1-based), waiting for it."""
        return self.fake.wait_for("response_url", count)[count - 1].body


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


def register_demo_people(people: SqlPeopleStore) -> None:
    change = Change("test", "test", datetime(2020, 1, 21, 8, tzinfo=UTC))
    people.register(
        "slack",
        SUPPLIER,
        Person(
            "bo", "Bo Supplier", roles=frozenset({"bookkeeping_supplier"}), municipalities=frozenset({AARHUS})
        ),
        change=change,
    )
    people.register(
        "slack", COORDINATOR, Person("cia", "Cia Coordinator", coordinates=frozenset({AARHUS})), change=change
    )
    people.register("slack", ADMIN, Person("ada", "Ada Admin", is_admin=True), change=change)


def slack_settings(fake: FakeSlack, **more: Any) -> SlackSettings:
    return SlackSettings(bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=f"{fake.url}/api/", **more)


@pytest.fixture
def people(demo_runtime: Runtime) -> SqlPeopleStore:
    store = SqlPeopleStore(demo_runtime.engine)
    register_demo_people(store)
    return store


@pytest.fixture
def slack(fake: FakeSlack, demo_runtime: Runtime, people: SqlPeopleStore) -> Iterator[SlackUser]:
    app = build_app(demo_runtime, slack_settings(fake), workers=WORKERS)
    settling = Settling(
        asgi_app(app, seen=SqlSeenRequests(demo_runtime.engine), signing_secret=SECRET),
        app.listener_runner.listener_executor,
    )
    with httpx.Client(timeout=30) as http:
        for base in _serve(settling):
            yield SlackUser(base, fake, http, settling)
