"""Reasons are never read as targets; going back takes `reopen`; keys name real instances."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from commands.context import Actor
from commands.present import load_rollout
from rollout.model import SYSTEM_WIDE, Status, TaskKey, TaskState
from tests.bot.test_console import Chat

AARHUS, BALLERUP, VEJEN = 751, 151, 575


@pytest.fixture
def chat(demo_runtime: Runtime) -> Chat:
    return Chat(demo_runtime, Actor("anna", "Anna", is_admin=True))


def state(chat: Chat, ref: str, municipality: int) -> TaskState:
    """The state the bot shows (the plan's initial state until someone changes it)."""
    return load_rollout(chat.runtime.context()).state(TaskKey(ref, municipality))


def test_a_municipality_starting_the_reason_is_refused_with_both_readings(chat: Chat) -> None:
    before = chat.events()
    ballerup, vejen = state(chat, "B/TS101", BALLERUP), state(chat, "B/TS101", VEJEN)
    reply = chat.say("block B/TS101 ballerup vejen til leverandøren er lang")
    assert reply.startswith("✗") and "nothing was changed" in reply
    assert "`block B/TS101 ballerup -- vejen til leverandøren er lang`" in reply
    assert "`block B/TS101 ballerup vejen -- til leverandøren er lang`" in reply
    assert chat.events() == before
    assert (state(chat, "B/TS101", BALLERUP), state(chat, "B/TS101", VEJEN)) == (ballerup, vejen)


@pytest.mark.parametrize(
    "reason_form",
    [
        "-- vejen til leverandøren er lang",
        "because vejen til leverandøren er lang",
        "fordi vejen til leverandøren er lang",
        '"vejen til leverandøren er lang"',
        "“vejen til leverandøren er lang”",
        "— vejen til leverandøren er lang",
    ],
)
def test_after_a_marker_one_municipality_gets_the_whole_reason(
    chat: Chat,
    reason_form: str,
) -> None:
    vejen = state(chat, "A/TS110", VEJEN)
    reply = chat.say(f"block A/TS110 ballerup {reason_form}")
    assert "1 change recorded" in reply
    assert "Reason stored: “vejen til leverandøren er lang”" in reply
    assert state(chat, "A/TS110", BALLERUP) == TaskState(Status.BLOCKED, "vejen til leverandøren er lang")
    assert state(chat, "A/TS110", VEJEN) == vejen


def test_the_natural_form_works_where_it_reads_one_way(chat: Chat) -> None:
    assert "1 change recorded" in chat.say("block A/TS213 aarhus waiting for the supplier")
    assert state(chat, "A/TS213", AARHUS) == TaskState(Status.BLOCKED, "waiting for the supplier")


def test_a_reason_ending_in_public_is_kept_whole(chat: Chat) -> None:
    chat.say("block A/TS213 aarhus -- the price list is not public")
    assert state(chat, "A/TS213", AARHUS).reason == "the price list is not public"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("block A/TS213 aarhus aarhsu -- supplier", "Did you mean `Aarhus`?"),
        (
            "block A/TS213 aarhus waiting because the supplier",
            "`block A/TS213 aarhus -- waiting because the supplier`",
        ),
        ("block A/TS100 vejen er lukket", "`block A/TS100 -- vejen er lukket`"),
        ('block A/TS213 aarhus "waiting" vejen', "the reason must come last"),
        ("block A/TS213 aarhus --", "needs a reason"),
    ],
)
def test_words_before_a_reason_must_all_be_targets(chat: Chat, line: str, expected: str) -> None:
    before = chat.events()
    reply = chat.say(line)
    assert reply.startswith("✗") and expected in reply
    assert chat.events() == before


def test_a_done_task_goes_back_only_with_reopen(chat: Chat) -> None:
    assert state(chat, "B/TS101", VEJEN).status == Status.DONE
    before = chat.events()
    for line in ("start B/TS101 vejen", "block B/TS101 vejen -- supplier late"):
        reply = chat.say(line)
        assert "B/TS101 Vejen is done" in reply and "`reopen B/TS101@575`" in reply
    assert "already done; nothing changed" in chat.say("done B/TS101 vejen")
    assert chat.events() == before
    reply = chat.say("reopen B/TS101@575 -- the mapping must be redone")
    assert "B/TS101 Vejen: done → to do" in reply
    assert state(chat, "B/TS101", VEJEN) == TaskState(Status.TODO, "the mapping must be redone")
    assert "1 change recorded" in chat.say("block B/TS101 vejen -- supplier late")


def test_a_not_applicable_task_also_needs_reopen_and_reopen_needs_a_finished_one(
    chat: Chat,
) -> None:
    assert state(chat, "B/TS101", BALLERUP).status == Status.NOT_APPLICABLE
    before = chat.events()
    assert "`reopen B/TS101@151`" in chat.say("start B/TS101 ballerup")
    assert "nothing to reopen" in chat.say("reopen A/TS213 aarhus")
    assert chat.events() == before


def test_reopen_of_several_names_the_command_for_all_of_them(chat: Chat) -> None:
    chat.say("done A/TS213 aarhus vejen")
    reply = chat.say("start A/TS213 aarhus vejen")
    assert "`reopen A/TS213 aarhus vejen`" in reply
    assert "2 changes recorded" in chat.say("reopen A/TS213 aarhus vejen")


@pytest.mark.parametrize(
    "line",
    [
        "start A/TS213@0",  # once per municipality: not the system-wide instance
        "start A/TS101@751:NOPE",  # no such connection (and the task is not per connection)
        "start A/TS213@999",  # not a municipality of the roster
        "start A/TS100@751",  # done once for the whole system
        "block A/TS100@0:KSD -- no",
    ],
)
def test_the_key_form_names_only_instances_of_the_plan(chat: Chat, line: str) -> None:
    before = chat.events()
    reply = chat.say(line)
    assert reply.startswith("✗") and "is not a task of the plan" in reply
    assert chat.events() == before


def test_the_key_form_of_a_real_instance_works(chat: Chat) -> None:
    assert "A/TS213 Aarhus: to do → in progress" in chat.say("start A/TS213@751")
    assert "A/TS100 all municipalities: done → to do" in chat.say("reopen A/TS100@0 -- KMD redoes it")


def test_a_municipality_named_twice_counts_once(chat: Chat) -> None:
    before = chat.events()
    reply = chat.say("done TS213 aarhus aarhus Århus 751")
    assert "1 change recorded" in reply
    assert reply.count("A/TS213 Aarhus") == 1 and "already" not in reply
    assert chat.events() == before + 1


def test_a_block_button_takes_any_reason_as_a_reason(chat: Chat) -> None:
    chat.say("next aarhus")
    reply = chat.say("click 3 vejen er spærret")  # [3] is Block… on A/TS213 Aarhus
    assert "1 change recorded" in reply
    assert state(chat, "A/TS213", AARHUS) == TaskState(Status.BLOCKED, "vejen er spærret")
    assert state(chat, "A/TS213", VEJEN).status == Status.DONE  # as it was


def test_move_and_decide_take_a_note_after_the_marker(chat: Chat) -> None:
    assert "moved from P2 to K91" in chat.say("move vallensbaek K91 -- aarhus asked first")
    assert "(aarhus asked first, by anna)" in chat.say("history vallensbaek")
    assert "moves from P2 to K91" in chat.say("decide KP-3 P2 vejen no-go -- 751 failed go")
    assert "no-go at KP-3: 751 failed go" in chat.say("history vejen")


def test_a_role_limited_to_a_municipality_cannot_change_a_system_task(
    demo_runtime: Runtime,
) -> None:
    limited = Chat(
        demo_runtime, Actor("k", "K", roles=frozenset({"ksd"}), municipalities=frozenset({AARHUS}))
    )
    before = limited.events()
    assert "You may not change A/TS100" in limited.say("reopen A/TS100 -- KMD redoes it")
    assert "You may not change A/TS100" in limited.say("reopen A/TS100@0 -- KMD redoes it")
    p2_manager = Chat(demo_runtime, Actor("m", "M", manages=frozenset({"P2"})))
    assert "You may not change A/TS100" in p2_manager.say("reopen A/TS100")
    assert limited.events() == before
    assert state(limited, "A/TS100", SYSTEM_WIDE).status == Status.DONE
    ksd = Chat(demo_runtime, Actor("ksd", "KSD", roles=frozenset({"ksd"})))
    assert "A/TS100 all municipalities: done → to do" in ksd.say("reopen A/TS100 -- redo")
    every_wave = Chat(demo_runtime, Actor("m2", "M2", manages=frozenset({"P1", "P2", "K91"})))
    assert "A/TS100 all municipalities: to do → blocked" in every_wave.say("block A/TS100 -- KMD is late")


def test_names_of_several_words_and_commas_are_read_as_municipalities(chat: Chat) -> None:
    reply = chat.say("done C/TS103 aarhus, vejen,høje taastrup kommune")
    assert "3 changes recorded" in reply
    assert "C/TS103 Høje-Taastrup: to do → done" in reply
    reply = chat.say("block A/TS110 lyngby taarbæk ballerup -- the supplier")
    assert "2 changes recorded" in reply and "Lyngby-Taarbæk: to do → blocked" in reply


def test_the_readings_are_offered_in_danish_too(demo_runtime: Runtime) -> None:
    chat = Chat(demo_runtime, Actor("anna", "Anna", is_admin=True))
    chat.session.language = "da"
    reply = chat.say("block A/TS110 ballerup lyngby-taarbæk fordi leverandøren")
    assert "2 ændringer registreret" in reply and "Begrundelse gemt: “leverandøren”" in reply
    reply = chat.say("skip A/TS200 aarhus vejen lukket")
    assert "på mere end én måde, så intet er ændret" in reply
    assert "`skip A/TS200 aarhus -- vejen lukket`" in reply
