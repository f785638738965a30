"""`/sf1590` over real HTTP: fast acks, Block Kit answers at the response URL, signatures."""

from __future__ import annotations

import time

from bot.runtime import Runtime
from tests.bot.slack.blockkit import assert_valid_message
from tests.bot.slack.conftest import ADMIN, STRANGER, SUPPLIER, SlackUser, buttons


def test_next_aarhus_is_acked_fast_and_answered_with_valid_block_kit(slack: SlackUser) -> None:
    started = time.perf_counter()
    response = slack.command("next aarhus", SUPPLIER)
    acked = time.perf_counter() - started
    assert response.status_code == 200
    assert acked < 1.0, f"ack took {acked:.3f}s"  # Slack allows 3 s; we want far less
    message = slack.answer()
    assert_valid_message(message)
    assert message["response_type"] == "ephemeral"
    text = str(message["blocks"])
    assert "Aarhus (P2): 4 tasks can start now, 1 of them late" in text
    assert "A/TS213" in text and "Bestilling af abonnement på Sortiment" in text
    done = [b for b in buttons(message) if b["value"] == "done A/TS213@751"]
    assert done and done[0]["action_id"].startswith("sf1590:done:")


def test_public_answers_in_channel(slack: SlackUser) -> None:
    assert slack.command("status P2 public", STRANGER).status_code == 200
    message = slack.answer()
    assert message["response_type"] == "in_channel"
    assert "Status: wave P2" in str(message["blocks"])


def test_unknown_user_can_read_and_is_told_how_to_register(slack: SlackUser) -> None:
    slack.command("next aarhus", STRANGER)
    message = slack.answer()
    assert_valid_message(message)
    text = str(message["blocks"])
    assert "Aarhus (P2)" in text
    assert "not registered" in text and "/sf1590 register" in text
    assert not buttons(message)  # no rights, so no Done/Start/Block… buttons


def _forged_requests(slack: SlackUser, demo_runtime: Runtime) -> None:
    body = slack.command_body("done A/TS213 aarhus", ADMIN)
    form = "application/x-www-form-urlencoded"
    now = int(time.time())
    cases = {
        "forged": slack.sign(body, secret="not-the-secret"),
        "missing": {},
        "replayed": slack.sign(body, timestamp=now - 6 * 60),
        "future": slack.sign(body, timestamp=now + 6 * 60),
    }
    for name, headers in cases.items():
        response = slack.post(body, form, headers)
        assert response.status_code == 401, name


def test_bad_signatures_get_401_and_change_nothing(slack: SlackUser, demo_runtime: Runtime) -> None:
    before = demo_runtime.store.events(limit=1000)
    calls_before = len(slack.fake.calls)
    _forged_requests(slack, demo_runtime)
    slack.settle()  # a (wrongly) started listener would have acted by now
    assert demo_runtime.store.events(limit=1000) == before
    assert len(slack.fake.calls) == calls_before  # no Web API call, no response_url post
