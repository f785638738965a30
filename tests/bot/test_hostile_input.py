"""Hostile typing: odd digits, 5,000-digit numbers, absurd pauses. A clear reply, nothing stored."""

from __future__ import annotations

import io

import pytest

from bot.console import ConsoleSession
from bot.runtime import Runtime
from commands.context import Actor, Invocation
from commands.reply import Tone
from storage.reminders import SqlReminderSettings

ADMIN = Actor("anna", "Anna", is_admin=True)
HUGE = "9" * 5000
LONG = "9" * 950  # fits the 1000-character command limit, so it reaches the parsers


@pytest.fixture
def session(demo_runtime: Runtime) -> tuple[ConsoleSession, io.StringIO]:
    out = io.StringIO()
    return ConsoleSession(demo_runtime, ADMIN, out=out), out


def _say(session: tuple[ConsoleSession, io.StringIO], line: str) -> str:
    console, out = session
    out.seek(0)
    out.truncate()
    console.handle(line)
    return out.getvalue()


@pytest.mark.parametrize("word", ["²", HUGE, "-1", "0", "1.5", "٣", "99"])
def test_clicking_a_button_that_is_not_a_number_on_screen_says_so_and_the_session_goes_on(
    session: tuple[ConsoleSession, io.StringIO], word: str
) -> None:
    _say(session, "next aarhus")
    reply = _say(session, f"click {word}")
    assert "There is no button" in reply and "Buttons 1–" in reply
    assert len(reply) < 300  # a pasted 5,000-digit number is not echoed back whole
    assert "A/TS213 Aarhus: to do → done" in _say(session, "click 1")  # still working


@pytest.mark.parametrize(
    "line",
    [
        f"history {LONG}",
        f"next page:{LONG}",
        f"show A/TS213@{LONG}",
        f"done A/TS213@{LONG}",
        f"status P2 page:{LONG}",
        f"next {LONG}",
        f"history {HUGE}",
        f"next page:{HUGE}",
        f"click {HUGE} why",
    ],
)
def test_huge_numbers_anywhere_get_a_clear_reply_not_an_apology(
    session: tuple[ConsoleSession, io.StringIO], demo_runtime: Runtime, line: str
) -> None:
    before = len(demo_runtime.store.events(limit=10_000))
    reply = _say(session, line)
    assert reply.strip() and "went wrong on our side" not in reply
    assert len(demo_runtime.store.events(limit=10_000)) == before


def _remind(runtime: Runtime, text: str) -> tuple[Tone, str]:
    reply = runtime.run(Invocation(text, ADMIN, "slack", "P2", channel="C0P2"))
    return reply.tone, reply.headline


@pytest.mark.parametrize("duration", ["999999999d", "0d", "0h", "91d", "13w", f"{LONG}d", "99999999w"])
def test_a_pause_outside_one_hour_to_90_days_is_refused_with_the_limit(
    demo_runtime: Runtime, duration: str
) -> None:
    tone, headline = _remind(demo_runtime, f"remind pause {duration}")
    assert tone is Tone.ERROR
    assert "at least 1 hour, at most 90 days" in headline and "Nothing was changed" in headline
    assert "went wrong" not in headline and len(headline) < 200
    assert SqlReminderSettings(demo_runtime.engine).channel_settings("slack", "C0P2").paused_until is None


def test_the_longest_pause_is_accepted(demo_runtime: Runtime) -> None:
    tone, headline = _remind(demo_runtime, "remind pause 90d")
    assert tone is Tone.SUCCESS and "paused until 2020-04-20" in headline


def test_a_duration_in_other_digits_is_not_a_duration(demo_runtime: Runtime) -> None:
    tone, headline = _remind(demo_runtime, "remind pause ³d")
    assert tone is Tone.ERROR and "is not a duration like 3d" in headline
