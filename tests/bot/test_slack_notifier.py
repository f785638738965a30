"""The Slack notifier against the fake Slack Web API: metadata, mentions, history, errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.notify import DeliveryError
from bot.slack.notifier import SlackNotifier
from commands.notices import MENTIONS
from commands.reply import Reply, Section, TaskLine
from storage.outbox import Leadership
from tests.bot.recording_slack import RecordingSlack
from tests.conftest import _postgres_engine

REPLY = Reply(
    "P2: 1 task due soon",
    (
        Section(
            tasks=(
                TaskLine(
                    "A/TS213@751",
                    "A/TS213",
                    "Abonnement",
                    "Aarhus",
                    "Bogholderileverandøren (@bo)",
                    None,
                    "due today",
                    "ready",
                ),
            )
        ),
    ),
    extra={MENTIONS: "bo=U0BO"},
)


@pytest.fixture
def fake() -> Iterator[RecordingSlack]:
    server = RecordingSlack().start()
    yield server
    server.stop()


@pytest.fixture
def slack(fake: RecordingSlack) -> SlackNotifier:
    return SlackNotifier(WebClient(token="xoxb-test", base_url=f"{fake.url}/api/", retry_handlers=[]))


def test_a_post_carries_its_key_and_real_mentions(slack: SlackNotifier, fake: RecordingSlack) -> None:
    posted = slack.post("C0P2", REPLY, key="deadline|P2|slack:C0P2|deadlines|2020-01-21")
    (body,) = fake.posted()
    assert body["metadata"] == {
        "event_type": "sf1590_notification",
        "event_payload": {"key": "deadline|P2|slack:C0P2|deadlines|2020-01-21"},
    }
    assert "<@U0BO>" in str(body["blocks"]) and "(@bo)" not in str(body["blocks"])
    assert slack.find_posted("C0P2", "deadline|P2|slack:C0P2|deadlines|2020-01-21") == posted
    assert slack.find_posted("C0P2", "deadline|P2|slack:C0P2|deadlines|2020-01-22") is None
    assert slack.find_posted("C0OTHER", "deadline|P2|slack:C0P2|deadlines|2020-01-21") is None


def test_a_direct_message_is_found_again_too(slack: SlackNotifier) -> None:
    posted = slack.post("U0BO", REPLY, key="personal||slack:U0BO|bo|2020-01-21")
    assert slack.find_posted("U0BO", "personal||slack:U0BO|bo|2020-01-21") == posted


def test_errors_become_delivery_errors(slack: SlackNotifier, fake: RecordingSlack) -> None:
    fake.answer_next("chat.postMessage", 429, retry_after=7)
    with pytest.raises(DeliveryError) as limited:
        slack.post("C0P2", REPLY, key="k1")
    assert limited.value.retry_after == 7 and not limited.value.permanent
    fake.answer_next("chat.postMessage", 503)
    with pytest.raises(DeliveryError) as down:
        slack.post("C0P2", REPLY, key="k1")
    assert down.value.retry_after is None and not down.value.permanent
    fake.answer_next("chat.postMessage", 200, error="channel_not_found")
    with pytest.raises(DeliveryError) as gone:
        slack.post("C0GONE", REPLY, key="k1")
    assert gone.value.unreachable and not gone.value.permanent  # kept: an admin can invite the bot
    fake.answer_next("chat.postMessage", 200, error="is_archived")
    with pytest.raises(DeliveryError) as archived:
        slack.post("C0OLD", REPLY, key="k1")
    assert archived.value.permanent and not archived.value.unreachable
    fake.answer_next("chat.postMessage", 200, error="missing_scope")
    with pytest.raises(DeliveryError) as unscoped:
        slack.post("C0P2", REPLY, key="k1")
    assert not unscoped.value.permanent  # kept until the app is reinstalled with the scope
    fake.answer_next("conversations.history", 500)
    with pytest.raises(DeliveryError):
        slack.find_posted("C0P2", "k1")  # transient: try again later
    fake.answer_next("conversations.history", 200, error="missing_scope")
    assert slack.find_posted("C0P2", "k1") is None  # cannot tell: post again rather than lose it
    bad = SlackNotifier(
        WebClient(token="x", base_url="http://127.0.0.1:9/api/", retry_handlers=[], timeout=2)
    )
    with pytest.raises(DeliveryError):
        bad.post("C0P2", REPLY, key="k1")


@pytest.mark.postgres
def test_when_the_leading_scheduler_dies_another_takes_over(postgres_url: str) -> None:
    for engine in _postgres_engine(postgres_url):
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("select current_schema()").scalar()
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                (
                    "import sys;"
                    "from storage.engine import make_engine; from storage.outbox import Leadership;"
                    f"l = Leadership(make_engine({postgres_url!r}, schema={schema!r}));"
                    "print(l.acquire(), flush=True);"
                    "sys.stdin.read()"
                ),
            ],  # holds the lock until killed (or its stdin closes)
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        waiting = Leadership(engine)
        assert not waiting.acquire()  # the other one leads: this one waits
        os.kill(holder.pid, signal.SIGKILL)
        holder.communicate(timeout=30)  # reaped; its pipes closed
        deadline = time.monotonic() + 30
        while not waiting.acquire():
            assert time.monotonic() < deadline, "the lock was not released by the dead process"
            time.sleep(0.1)
        waiting.release()
