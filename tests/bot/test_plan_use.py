"""What the plan already knows, used at the terminal: joint boxes, alternatives, [KLIK] tasks,
remarks and open questions, inferred dates, and the generic AG page."""

from __future__ import annotations

import io

import pytest

from bot.console import ConsoleSession
from bot.runtime import Runtime
from commands.context import Actor
from tests.bot.test_console import Chat


@pytest.fixture
def chat(demo_runtime: Runtime) -> Chat:
    return Chat(demo_runtime, Actor("anna", "Anna", is_admin=True))


def test_ticking_one_code_of_the_joint_test_box_marks_both_with_one_event(chat: Chat) -> None:
    chat.say("done A/TS213 aarhus")
    chat.say("done A/TS200 aarhus")
    before = chat.events()
    reply = chat.say("done A/TS104 aarhus")
    assert "A/TS104 Aarhus: to do → done" in reply
    assert "A/TS202 Aarhus follows it: done (one box with A/TS104, ticked there)" in reply
    assert chat.events() == before + 1
    assert "A/TS202 Aarhus: done (one box with A/TS104, ticked there)" in chat.say("show A/TS202 aarhus")
    assert "Own tasks: 63/66 done" in chat.say("status aarhus")  # TS213, TS200 and the box
    assert "Aarhus: 3 missing (C/NOCODE-1, C/TS103, C/TS104)" in chat.say("gate KP-3 P2")
    history = chat.say("history aarhus")
    assert "A/TS104 Aarhus to do → done" in history and "A/TS202" not in history
    chat.say("undo")
    assert "A/TS202 Aarhus: to do;" in chat.say("show A/TS202 aarhus")


def test_one_alternative_done_settles_the_other_and_readies_what_waits(chat: Chat) -> None:
    chat.say("reopen A/TS109-B aarhus")  # Aarhus reconsiders loading the sortiment by hand
    gate = chat.say("gate KP-3 P2")
    assert "Aarhus: 7 missing (one of [A/TS213, A/TS109-B], A/TS200, A/TS104 +4)" in gate
    reply = chat.say("done A/TS109-B aarhus")
    assert "A/TS213 Aarhus follows it: not needed (alternative A/TS109-B done)" in reply
    assert "Now ready (1):" in reply and "A/TS200 Aarhus" in reply
    gate = chat.say("gate KP-3 P2")
    assert "Aarhus: 6 missing (A/TS200, A/TS104, A/TS202 +3)" in gate
    assert "A/TS213" not in gate.split("Per-wave control")[0]
    assert "A/TS213 Aarhus: not needed (alternative A/TS109-B done)" in chat.say("show A/TS213 aarhus")
    assert "A/TS213" not in chat.say("next aarhus")


def test_the_chosen_alternative_stays_required_when_the_other_is_not_applicable(chat: Chat) -> None:
    # The demo's Aarhus subscribes: its manual loading (A/TS109-B) is marked not applicable.
    reply = chat.say("next aarhus")
    assert "A/TS213 Bestilling af abonnement på Sortiment" in reply
    assert "one of" not in chat.say("gate KP-3 P2")


def test_next_klik_lists_only_klik_tasks(chat: Chat) -> None:
    chat.say("reopen A/TS111 vallensbaek")  # the [KLIK] approval is reopened
    reply = chat.say("next P2 klik")
    assert "wave P2, [KLIK] tasks only: 1 task can start now" in reply
    assert "A/TS111" in reply and "A/TS213" not in reply
    assert "A/TS213" in chat.say("next P2")
    assert "Aarhus (P2), [KLIK] tasks only: nothing can start right now." in chat.say("next aarhus KLIK")


def test_show_gives_the_remarks_of_the_task_s_page(chat: Chat) -> None:
    reply = chat.say("show B/TS215 vejen")
    assert "helpdesk@serviceplatformen.dk" in reply and "ksd@kombit.dk" in reply
    assert "Der skal i alt oprettes 4 serviceaftaler per kommune." in reply


def test_wave_gives_the_general_remarks_and_the_open_questions(chat: Chat) -> None:
    reply = chat.say("wave P2")
    assert "General remarks (Generelle bemærkninger)" in reply
    assert "B: Spørgsmål til KSD vedr. produktionssætning skal skrives til ksd@kombit.dk" in reply
    assert "B: Serviceaftaler: Der skal i alt oprettes 4 serviceaftaler per kommune." in reply
    assert "Open questions (Opmærksomhedspunkter)" in reply
    assert (
        "B: Hvilke aktiviteter har leverandøren af bogføringssystemet i lukkevinduet? (about KP-3)"
    ) in reply
    gate = chat.say("gate KP-3 P2")
    assert "Hvilke af disse aktiviteter er kommuner med forvaltningsansvar" in gate
    assert "lukkevinduet" not in chat.say("gate KP-4 P2")


def test_inferred_dates_carry_a_mark_explained_in_the_footer(chat: Chat) -> None:
    reply = chat.say("next aarhus")
    assert "— ? due 2019-10-18 (needed by A/TS200" in reply  # a guessed edge moved it
    assert "≈ the date is inferred (likely) · ? the date is a guess (unconfirmed)" in reply
    assert "— due 2020-01-28 (KP-3)" in reply  # a printed date has no mark


def test_the_generic_page_is_readable_but_not_tracked(chat: Chat) -> None:
    reply = chat.say("show AG/TB204")
    assert reply.startswith("AG/TB204 Gennemfør mapning af fagsystemets sortiment")
    assert "Generic template (ØiR– SF1590_A_2.12" in reply and "not tracked" in reply
    assert "On the rollout diagrams (from the plan's notes): A/TS200, B/TS200" in reply
    assert "AG/TB204" in chat.say("show TB204")  # a bare code no tracked page has
    before = chat.events()
    for line in ("done AG/TB204 aarhus", "next AG/TB204"):
        assert "AG/TB204 is on the generic template page" in chat.say(line)
    assert chat.events() == before


def test_remarks_and_questions_in_danish(demo_runtime: Runtime) -> None:
    out = io.StringIO()
    session = ConsoleSession(demo_runtime, Actor("anna", "Anna", is_admin=True), out=out, language="da")
    session.handle("wave P2")
    assert "Generelle bemærkninger" in out.getvalue()
    assert "Opmærksomhedspunkter (åbne spørgsmål)" in out.getvalue()


def test_a_change_that_does_not_count_says_what_counts_instead(chat: Chat) -> None:
    # The demo's Vallensbæk has ticked the test box (A/TS104 and A/TS202 are both recorded).
    chat.say("reopen A/TS104 vallensbaek")  # only one code reopened: the box stays ticked
    chat.say("reopen A/TS213 randers")
    reply = chat.say("block A/TS213 randers supplier slow")
    assert "A/TS213 Randers: to do → blocked" in reply
    assert "Recorded, but A/TS213 Randers counts as not needed (alternative A/TS109-B done)." in reply
    assert "A/TS213 Randers: not needed" in chat.say("show A/TS213 randers")
    chat.say("reopen A/TS202 vallensbaek")
    reply = chat.say("block A/TS202 vallensbaek waiting for the supplier")
    assert "Recorded, but A/TS202 Vallensbæk counts as done" not in reply  # TS104 is reopened
    assert "A/TS202 Vallensbæk: blocked" in chat.say("show A/TS202 vallensbaek")
