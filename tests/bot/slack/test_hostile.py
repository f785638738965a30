"""Hostile requests at POST /slack/events over real HTTP: 4xx, never a 500 or a traceback."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.server import SlackStartup, asgi_app
from storage.people import SqlPeopleStore
from storage.seen import SqlSeenRequests
from tests.asgi_server import serve
from tests.bot.slack.conftest import ADMIN, SECRET, STRANGER, SlackUser, slack_settings
from tests.bot.slack.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"


def _signature(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 signature over raw bytes (the SDK's helper only signs text)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _send(slack: SlackUser, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    raw = {k: v.encode() for k, v in headers.items()}  # UTF-8 on the wire, as a hostile client may
    response = slack.http.post(f"{slack.base}/slack/events", content=body, headers=raw)
    return response.status_code, response.text


def _event_count(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM task_event").scalar_one())


def _assert_refused_cleanly(status: int, text: str, *allowed: int) -> None:
    assert status in allowed, (status, text)
    assert "Traceback" not in text and 'File "' not in text


_TEXT = st.text(max_size=300)
_SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_JSONISH = st.one_of(
    _SCALAR,
    st.lists(_SCALAR, max_size=4),
    st.dictionaries(st.text(max_size=10), _SCALAR | st.lists(_SCALAR, max_size=3), max_size=4),
)
_SLACKISH = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "block_actions",
                "view_submission",
                "view_closed",
                "event_callback",
                "shortcut",
                "message_action",
                "block_suggestion",
                "url_verification",
            ]
        )
    },
    optional={
        "user": _JSONISH | st.fixed_dictionaries({"id": st.text(max_size=12)}),
        "actions": _JSONISH
        | st.lists(st.dictionaries(st.sampled_from(["action_id", "value", "type"]), _JSONISH), max_size=2),
        "view": _JSONISH
        | st.dictionaries(st.sampled_from(["callback_id", "private_metadata", "state"]), _JSONISH),
        "event": _JSONISH
        | st.dictionaries(st.sampled_from(["type", "user", "tab"]), _JSONISH | st.just("app_home_opened")),
        "callback_id": _JSONISH,
        "action_id": _JSONISH,
        "challenge": _JSONISH,
    },
)
_INTERACTIVE = _SLACKISH.map(lambda v: urlencode({"payload": json.dumps(v)}).encode())
_EVENT = _SLACKISH.map(lambda v: json.dumps(v).encode())
_BODIES = st.one_of(
    _INTERACTIVE,
    _INTERACTIVE,
    _INTERACTIVE,
    _EVENT,
    _EVENT,
    st.binary(max_size=500),
    _TEXT.map(str.encode),
    _JSONISH.map(lambda v: json.dumps(v).encode()),
    _JSONISH.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
    _TEXT.map(lambda v: urlencode({"payload": v}).encode()),
    st.dictionaries(
        st.sampled_from(
            [
                "command",
                "text",
                "user_id",
                "type",
                "payload",
                "token",
                "response_url",
                "ssl_check",
                "challenge",
            ]
        ),
        _TEXT,
        max_size=5,
    ).map(lambda d: urlencode(d).encode()),
)
_HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(str.strip)
_NOW = st.just("now")  # a current timestamp, three times as likely: most bodies should reach Bolt
_TIMESTAMPS = st.one_of(
    _NOW, _NOW, _NOW, _HEADER_TEXT, st.integers(-(10**30), 10**30).map(str), st.just("9" * 5000), st.just("²")
)
_TYPES = st.one_of(
    st.sampled_from(["application/json", FORM, "text/plain", "", "multipart/form-data; boundary=x"]),
    _HEADER_TEXT,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=_BODIES,
    timestamp=_TIMESTAMPS,
    content_type=_TYPES,
    signed=st.sampled_from([True, True, False]),
    extra=st.dictionaries(_HEADER_TEXT.filter(lambda k: k.strip().isalnum()), _HEADER_TEXT, max_size=2),
)
def test_random_requests_never_get_a_5xx_a_traceback_or_change_anything(
    slack: SlackUser,
    demo_runtime: Runtime,
    body: bytes,
    timestamp: str,
    content_type: str,
    signed: bool,
    extra: dict[str, str],
) -> None:
    before = _event_count(demo_runtime)
    stamp = str(int(time.time())) if timestamp == "now" else timestamp
    headers = {
        **extra,
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": _signature(body, stamp) if signed else "v0=" + "0" * 64,
    }
    started = time.monotonic()
    status, text = _send(slack, body, headers)
    assert time.monotonic() - started < 5
    assert status < 500, (status, text)
    assert "Traceback" not in text and 'File "' not in text
    assert _event_count(demo_runtime) == before


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=_SLACKISH, as_form=st.booleans(), nonce=st.uuids())
def test_signed_payloads_shaped_like_slacks_with_fields_wrong_never_get_a_5xx(
    slack: SlackUser, demo_runtime: Runtime, payload: dict[str, object], as_form: bool, nonce: object
) -> None:
    """Validly signed, so they reach Bolt's routing: a list for `actions`, a number for `view`…"""
    before = _event_count(demo_runtime)
    payload = {**payload, "nonce": str(nonce)}  # never a replay of an earlier example
    body = urlencode({"payload": json.dumps(payload)}) if as_form else json.dumps(payload)
    kind = FORM if as_form else "application/json"
    status, text = _send(slack, body.encode(), {"Content-Type": kind, **slack.sign(body)})
    _assert_refused_cleanly(status, text, 200, 400, 404)
    assert _event_count(demo_runtime) == before


def test_a_replayed_signed_command_is_answered_but_runs_once(slack: SlackUser, demo_runtime: Runtime) -> None:
    before = _event_count(demo_runtime)
    body = slack.command_body("done A/TS213 aarhus", ADMIN)
    headers = {"Content-Type": FORM, **slack.sign(body)}
    first = slack.http.post(f"{slack.base}/slack/events", content=body, headers=headers)
    again = slack.http.post(f"{slack.base}/slack/events", content=body, headers=headers)
    assert first.status_code == 200 and again.status_code == 200  # what Slack expects
    assert "A/TS213" in str(slack.answer(1)["blocks"]) and "→ done" in str(slack.answer(1)["blocks"])
    slack.command("help", STRANGER)  # a later command is answered: the replay was not queued
    slack.answer(2)
    assert len(slack.fake.of("response_url")) == 2
    assert _event_count(demo_runtime) == before + 1


def test_a_2_mb_body_is_refused_from_its_length_without_being_read(slack: SlackUser) -> None:
    url = urlsplit(slack.base)
    with socket.create_connection((url.hostname, url.port), timeout=2) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + FORM.encode()
            + b"\r\nContent-Length: 2000000\r\n\r\ncommand=%2Fsf1590"
        )
        answer = http.client.HTTPResponse(sock)  # at once: the other 1,999,983 bytes never come
        answer.begin()
        assert answer.status == 413
        assert "at most 1000000 bytes" in answer.read().decode()


def test_a_chunked_body_is_cut_off_as_it_grows_past_the_limit(slack: SlackUser) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams in
        for _ in range(40):  # 40 × 64 KB = 2.6 MB
            yield b"x" * 65536

    response = slack.http.post(f"{slack.base}/slack/events", content=chunks(), headers={"Content-Type": FORM})
    assert response.status_code == 413


def test_malformed_signature_headers_and_bodies_get_4xx(slack: SlackUser) -> None:
    body = slack.command_body("help", STRANGER).encode()
    now = str(int(time.time()))
    cases = {
        "non-numeric timestamp": (
            {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": _signature(body, "soon")},
            401,
        ),
        "huge timestamp": (
            {"X-Slack-Request-Timestamp": "9" * 5000, "X-Slack-Signature": _signature(body, "9" * 5000)},
            401,
        ),
        "superscript timestamp": (
            {"X-Slack-Request-Timestamp": "²", "X-Slack-Signature": "v0=" + "0" * 64},
            401,
        ),
        "no signature": ({"X-Slack-Request-Timestamp": now}, 401),
    }
    for name, (headers, expected) in cases.items():
        status, text = _send(slack, body, {"Content-Type": FORM, **headers})
        _assert_refused_cleanly(status, text, expected)
        assert name and "signature" in text.lower()
    latin = "text=Købehavn&command=/sf1590".encode("latin-1")
    status, text = _send(
        slack,
        latin,
        {"Content-Type": FORM, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": _signature(latin, now)},
    )
    _assert_refused_cleanly(status, text, 400)
    assert "not UTF-8" in text


def test_signed_interactive_payloads_that_are_not_json_or_lack_fields_are_refused_or_ignored(
    slack: SlackUser, demo_runtime: Runtime
) -> None:
    before = _event_count(demo_runtime)
    for payload in [
        "{not json",
        "[1, 2]",
        "42",
        json.dumps({"type": "block_actions"}),
        json.dumps({"type": "block_actions", "user": "U0ADMIN", "actions": "x"}),
        json.dumps({"type": "view_submission", "view": None}),
        json.dumps({"type": "shortcut", "view": None, "user": None, "action_id": ""}),
        json.dumps({"type": "message_action", "view": True, "callback_id": "x"}),
        json.dumps({"type": "block_suggestion", "actions": [None]}),
        json.dumps({"event": [], "type": "event_callback"}),
    ]:
        body = urlencode({"payload": payload})
        status, text = _send(slack, body.encode(), {"Content-Type": FORM, **slack.sign(body)})
        _assert_refused_cleanly(status, text, 200, 400, 404)
    for raw in ["[]", "null", '{"type": "event_callback", "event": 3}']:
        status, text = _send(slack, raw.encode(), {"Content-Type": "application/json", **slack.sign(raw)})
        _assert_refused_cleanly(status, text, 200, 400, 404)
    assert _event_count(demo_runtime) == before


def test_a_refused_token_at_start_up_keeps_healthz_up_and_says_so(
    fake: FakeSlack, demo_runtime: Runtime, people: SqlPeopleStore
) -> None:
    fake.fail("auth.test", "invalid_auth")
    startup = SlackStartup(
        lambda: build_app(demo_runtime, slack_settings(fake)), first_wait=0.05, max_wait=0.2
    ).start()
    app = asgi_app(startup, seen=SqlSeenRequests(demo_runtime.engine), signing_secret=SECRET)
    try:
        with httpx.Client(timeout=5) as http:
            for base in serve(app):
                user = SlackUser(base, fake, http)
                healthz = f"{base}/healthz"
                _until(lambda url=healthz: "invalid_auth" in http.get(url).text)
                health = http.get(healthz)
                assert health.status_code == 503
                assert health.text.startswith("slack: auth.test failed:")
                refused = user.command("help", STRANGER)
                assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
                del fake.failures["auth.test"]  # the token was fixed on Slack's side
                _until(lambda url=healthz: http.get(url).status_code == 200)
                assert user.command("help", STRANGER).status_code == 200
                assert user.answer(1)["blocks"]
    finally:
        startup.stop()


def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_database_fault_answers_503_for_slack_to_retry_and_logs_one_line(
    slack: SlackUser, demo_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with demo_runtime.engine.begin() as connection:  # the table is gone: a real driver error
        connection.exec_driver_sql("DROP TABLE seen_request")
    response = slack.command("help", STRANGER)
    assert response.status_code == 503 and "database is not available" in response.text
    (line,) = [r.getMessage() for r in caplog.records if "cannot record" in r.getMessage()]
    assert "no such table: seen_request" in line and "\n" not in line
    assert slack.fake.of("response_url") == []
