"""The go-live runbook at the terminal, on the demo a week before P2's KP-3 (2020-01-21): what is
due for the wave, marking a step done for the wave, its progress, rights, and the roll-back."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from commands.context import Actor, Invocation
from commands.reply import Reply, Tone
from rollout.model import Status, TaskKey, TaskState
from tests.bot.test_console import Chat

KONV = TaskKey.for_wave("R/KONV", "P2")


@pytest.fixture
def chat(demo_runtime: Runtime) -> Chat:
    return Chat(demo_runtime, Actor("anna", "Anna", is_admin=True))


def test_next_p2_lists_the_conversion_with_its_owner_and_deadline(chat: Chat) -> None:
    reply = chat.say("next P2")
    assert (
        "R/KONV Konvertering og godkendelse — wave P2 — KSD – fagsystemet, drevet af KMD "
        "for KOMBIT — ≈ due 2020-01-24 (needed by R/MARKER, due 2020-01-28; printed "
        "2020-01-28 for KP-3, likely), 3 working days left — in progress"
    ) in reply
    assert "R/MARKER Marker" not in reply  # it waits on the conversion


def test_gate_kp3_lists_the_runbook_steps_due_by_it(chat: Chat) -> None:
    reply = chat.say("gate KP-3 P2")
    section = reply.split("Runbook of P2 due by KP-3 (done once for the wave)")[1]
    assert "R/KONV Konvertering og godkendelse — wave P2" in section
    assert "R/MARKER Marker konv. Kommuner i bølgen godkendt — wave P2" in section
    assert "due 2020-01-28 (KP-3), 5 working days left" in section
    assert "R/LUK " not in section  # done on the demo
    assert "R/JOBCENTER" not in section  # after KP-4


def test_done_for_the_wave_records_one_event_and_names_what_it_unblocked(chat: Chat) -> None:
    before = chat.events()
    reply = chat.say("done R/KONV P2")
    assert "R/KONV wave P2: in progress → done" in reply
    assert "Now ready (1):" in reply and "R/MARKER wave P2 — Marker konv." in reply
    assert chat.events() == before + 1
    (event,) = chat.runtime.store.events(limit=1)
    assert (event.key, event.new.status, event.actor, event.source) == (KONV, Status.DONE, "anna", "console")
    assert "anna (console): R/KONV wave P2 in progress → done" in chat.say("history")
    assert "P2 runbook (done once for the wave, not per municipality): 5/13 done" in chat.say("status P2")


def test_status_shows_the_runbook_apart_from_the_municipalities_counts(chat: Chat) -> None:
    reply = chat.say("status P2")
    assert "P2: 4 municipalities, 241/264 of their own tasks done" in reply
    assert (
        "P2 runbook (done once for the wave, not per municipality): 4/13 done, 0 late, "
        "0 blocked; can start now: R/KONV (KSD – fagsystemet, drevet af KMD for KOMBIT, "
        "2020-01-24)"
    ) in reply
    assert "Aarhus: 59/66 done" in reply  # a municipality's own tasks: no runbook step


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("done R/KONV", "R/KONV is done once per wave: name the wave (P1, P2, K91)"),
        ("done R/KONV aarhus", "R/KONV is done once per wave: name the wave"),
        ("done R/KONV P2 and more", 'R/KONV is done once for P2; I did not understand "and more"'),
        ("done R/KONV@0:P9", "R/KONV is done once per wave"),
        ("done R/SLET vejen", "R/SLET exists only for a municipality a KP-3 no-go moved out"),
        # a clicked or typed key must be an instance of the plan, not a wave slot on another task
        ("done A/TF102@0:P2", "`A/TF102@0:P2` is not a task of the plan: this task is done once for the"),
        ("done A/TS213@0", "`A/TS213@0` is not a task of the plan: this task is done once per municipality"),
    ],
)
def test_a_runbook_step_named_badly_changes_nothing(chat: Chat, line: str, expected: str) -> None:
    before = chat.events()
    reply = chat.say(line)
    assert reply.startswith("✗") and expected in reply
    assert chat.events() == before


def test_in_a_waves_channel_the_wave_may_be_left_out_and_every_word_is_the_reason(
    demo_runtime: Runtime,
) -> None:
    anna = Actor("anna", "Anna", is_admin=True)

    def in_p2_channel(text: str) -> Reply:
        return demo_runtime.run(Invocation(text, anna, "slack", channel_wave="P2"))

    assert in_p2_channel("block R/KONV K91 data arrives late").changed  # K91's step, as typed
    reply = in_p2_channel("block R/KONV the K91 extract is late")
    assert reply.changed and reply.tone == Tone.SUCCESS
    states = demo_runtime.store.task_states()
    assert states[KONV] == TaskState(Status.BLOCKED, "the K91 extract is late")
    assert states[TaskKey.for_wave("R/KONV", "K91")] == TaskState(Status.BLOCKED, "data arrives late")


def test_the_waves_manager_and_the_owning_role_may_mark_it_others_not(demo_runtime: Runtime) -> None:
    k91 = Chat(demo_runtime, Actor("k", "K", manages=frozenset({"K91"})))
    assert "You may not change R/KONV wave P2" in k91.say("done R/KONV P2")
    dagpenge = Chat(demo_runtime, Actor("d", "D", roles=frozenset({"kmd_dagpenge"})))
    assert "You may not change R/KONV wave P2" in dagpenge.say("done R/KONV P2")
    assert "R/LUK wave K91: to do → done" in dagpenge.say("done R/LUK K91")  # closing is theirs
    p2 = Chat(demo_runtime, Actor("m", "M", manages=frozenset({"P2"})))
    assert "R/KONV wave P2: in progress → done" in p2.say("done R/KONV P2")
    ksd = Chat(demo_runtime, Actor("s", "S", roles=frozenset({"ksd"})))
    assert "R/MARKER wave P2: to do → done" in ksd.say("done R/MARKER P2")


def test_a_no_go_adds_the_roll_back_step_to_the_wave_it_left(chat: Chat) -> None:
    assert "moves from P2 to K91" in chat.say("decide KP-3 P2 vejen no-go conversion failed")
    assert "P2 runbook (done once for the wave, not per municipality): 4/14 done" in chat.say("status P2")
    reply = chat.say("done R/SLET vejen")
    assert "R/SLET Vejen (P2): to do → done" in reply
    (event,) = chat.runtime.store.events(limit=1)
    vejen = next(m for m in chat.runtime.store.municipalities().values() if m.slug == "vejen")
    assert event.key == TaskKey("R/SLET", vejen.code, "P2")


def test_show_runbook_lists_the_codes_with_their_owners(chat: Chat) -> None:
    reply = chat.say("show runbook")
    assert "The go-live runbook: 14 tasks done once per wave" in reply
    assert "R/LUK Luk for alle kommuner — KMD Dagpenge · once per wave" in reply
    assert "R/AABEN Åben for kommuner og snitflader — KSD" in reply and "after KP-3" in reply
    reply = chat.say("show R/KONV P2")
    assert "R/KONV wave P2: in progress; due 2020-01-24" in reply
