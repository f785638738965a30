"""The runtime's one seam (``Runtime.answer``): who asks, the channel's wave and the language are
decided there once, so the console, Slack and Teams give the same reply to the same question."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest

from bot.console import ConsoleSession, render_text
from bot.runtime import Runtime, open_runtime, pick_language
from bot.settings import Settings
from commands.context import Actor, CommandContext, Invocation
from commands.core import dispatch
from commands.messages import speaking
from storage.people import Person
from storage.ports import Change

AARHUS = 751
CHANGE = Change("test", "test", datetime(2020, 1, 21, 8, tzinfo=UTC))
BO = Person(
    "bo", "Bo Supplier", roles=frozenset({"bookkeeping_supplier"}), municipalities=frozenset({AARHUS})
)


def danish(runtime: Runtime) -> Runtime:
    """The same bot as configured by SF1590_LANGUAGE=da."""
    settings = Settings.from_env({"DATABASE_URL": str(runtime.engine.url), "SF1590_LANGUAGE": "da"})
    return open_runtime(settings, runtime.clock, migrate=False)


@pytest.mark.parametrize(
    ("hint", "default", "spoken"),
    [
        ("da-DK", "en", "da"),
        ("da_DK", "en", "da"),
        ("DA", "en", "da"),
        ("en-US", "da", "en"),
        ("fr-FR", "da", "da"),
        ("", "da", "da"),
        (None, "en", "en"),
    ],
)
def test_a_locale_we_speak_wins_else_the_default(hint: str | None, default: str, spoken: str) -> None:
    assert pick_language(hint, default) == spoken


def test_an_unknown_configured_language_answers_in_english_and_says_so(
    demo_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings = Settings(database_url=str(demo_runtime.engine.url), language="fr")
    runtime = open_runtime(settings, demo_runtime.clock, migrate=False)
    assert runtime.language == "en"
    assert "SF1590_LANGUAGE='fr'" in caplog.text


def test_the_same_person_gets_the_same_reply_on_every_platform(demo_runtime: Runtime) -> None:
    demo_runtime.people.register("slack", "U0BO", BO, change=CHANGE)
    demo_runtime.people.register("teams", "aad-bo", BO, change=CHANGE)
    for language in ("en", "da"):
        slack = demo_runtime.answer("slack", "U0BO", None, "next aarhus", language=language)
        teams = demo_runtime.answer("teams", "aad-bo", None, "next aarhus", language=language)
        console = demo_runtime.answer(
            "console",
            "bo",
            None,
            "next aarhus",
            language=language,
            actor=Actor("bo", "Bo Supplier", roles=BO.roles, municipalities=BO.municipalities),
        )
        assert slack.registered and teams.registered and console.registered
        assert slack.reply == teams.reply == console.reply
        assert slack.language == teams.language == console.language == language
        assert any(task.actions for s in slack.reply.sections for task in s.tasks)


def test_the_channels_wave_is_the_default_target(demo_runtime: Runtime) -> None:
    demo_runtime.people.link_channel("slack", "C0P2", "P2", change=CHANGE)
    linked = demo_runtime.answer("slack", "U0NOBODY", "C0P2", "status")
    assert linked.reply.headline == "Status: wave P2"
    assert (
        demo_runtime.answer("slack", "U0NOBODY", "C0OTHER", "status").reply.headline != linked.reply.headline
    )


def test_a_stranger_reads_and_is_told_how_to_register_in_the_replys_language(demo_runtime: Runtime) -> None:
    english = demo_runtime.answer("slack", "U0NOBODY", None, "next aarhus")
    assert not english.registered and "not registered" in english.note
    assert "<@U0NOBODY>" in english.note
    before = len(demo_runtime.store.events(limit=10_000))
    answer = danish(demo_runtime).answer("slack", "U0NOBODY", None, "done A/TS213 aarhus")
    assert answer.language == "da" and answer.note.startswith("Du er ikke registreret")
    assert answer.reply.headline.startswith("Du må ikke ændre A/TS213")
    assert len(demo_runtime.store.events(limit=10_000)) == before  # refused, nothing stored
    # An id that is not a platform id cannot smuggle markup into the note.
    assert "<!channel>" not in demo_runtime.answer("slack", "<!channel>", None, "help").note


def test_the_console_answers_in_the_configured_language_and_as_the_seam_does(demo_runtime: Runtime) -> None:
    runtime = danish(demo_runtime)
    out = io.StringIO()
    anna = Actor("anna", "Anna", is_admin=True)
    session = ConsoleSession(runtime, anna, out=out)
    session.handle("next aarhus")
    answer = runtime.answer("console", "anna", None, "next aarhus", actor=anna)
    with speaking(answer.language):
        expected, _buttons = render_text(answer.reply)
    assert out.getvalue() == expected + "\n"
    assert "4 opgaver kan startes nu" in out.getvalue()
    session.handle("click 99")
    assert "Der er ingen knap 99." in out.getvalue()


def test_register_and_channel_say_where_they_work_without_a_people_store(demo_runtime: Runtime) -> None:
    ctx = CommandContext(
        demo_runtime.store, demo_runtime.graph, demo_runtime.clock.now(), demo_runtime.clock.today()
    )
    admin = Actor("anna", "Anna", is_admin=True)
    reply = dispatch(ctx, Invocation("channel P2", admin, "scheduler", channel="C0P2", language="da"))
    assert reply.headline == (
        "Registrering af personer og kobling af kanaler virker i chatten (Slack eller Teams), ikke her."
    )


def test_a_channels_reminders_answer_in_the_configured_language(demo_runtime: Runtime) -> None:
    demo_runtime.people.register("slack", "U0ADA", Person("ada", "Ada", is_admin=True), change=CHANGE)
    runtime = danish(demo_runtime)
    paused = runtime.answer("slack", "U0ADA", "C0P2", "remind pause 3d").reply
    assert paused.headline.startswith("Påmindelser sat på pause til 2020-01-24")
    shown = runtime.answer("slack", "U0ADA", "C0P2", "remind").reply
    assert shown.headline == "Påmindelser i denne kanal"
    assert "Påmindelser: sat på pause til 2020-01-24" in shown.sections[0].lines[0]
    refused = runtime.answer("slack", "U0ADA", "C0P2", "remind time 25:00").reply
    assert refused.headline == "`25:00` er ikke et klokkeslæt som 08:30."
