"""Names as people type them at the terminal: Danish letters without a Danish keyboard, parts of
compound names, codes, role names (never internal ids), and every code the bot prints."""

from __future__ import annotations

import re

import pytest

from bot.runtime import Runtime
from commands.context import Actor
from commands.parse import UserError, find_municipality
from rollout.model import Municipality
from tests.bot.test_console import Chat


@pytest.fixture
def chat(demo_runtime: Runtime) -> Chat:
    return Chat(demo_runtime, Actor("anna", "Anna", is_admin=True))


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("kobenhavn", "København"),
        ("koebenhavn", "København"),
        ("København", "København"),
        ("helsingor", "Helsingør"),
        ("helsingoer", "Helsingør"),
        ("lyngby", "Lyngby-Taarbæk"),
        ("taarbaek", "Lyngby-Taarbæk"),
        ("tarbaek", "Lyngby-Taarbæk"),
        ("brande", "Ikast-Brande"),
        ("arhus", "Aarhus"),
        ("751", "Aarhus"),
    ],
)
def test_a_name_as_typed_resolves_to_one_municipality(chat: Chat, typed: str, name: str) -> None:
    reply = chat.say(f"status {typed}")
    assert reply.startswith(f"Status: {name} ("), reply


def test_a_part_several_names_share_is_refused_with_the_choice() -> None:
    roster = {
        1: Municipality(1, "Nord-Vest", "nord-vest", "P2"),
        2: Municipality(2, "Nord-Øst", "nord-oest", "P2"),
    }
    with pytest.raises(UserError) as refused:
        find_municipality(["nord"], roster)
    assert "Nord-Vest, Nord-Øst" in refused.value.message
    assert find_municipality(["ost"], roster) == roster[2]
    assert find_municipality(["vest"], roster) == roster[1]


def test_an_unknown_code_is_not_a_municipality(chat: Chat) -> None:
    reply = chat.say("status 999")
    assert reply.startswith("✗ `999` is not a municipality"), reply


def test_a_role_word_suggests_the_names_people_see_not_internal_ids(chat: Chat) -> None:
    reply = chat.say("next supplier")
    assert "Fagsystemleverandør" in reply and "Leverandør af bogføringssystemet" in reply
    assert "lob_supplier" not in reply and "_supplier" not in reply
    assert "Fagsystemleverandør" in chat.say("next suplier")  # a typo too
    assert chat.say("next bookkeeping").startswith("Leverandør af bogføringssystemet:")  # one role


def test_every_control_code_gate_prints_is_accepted_by_show(chat: Chat) -> None:
    gate = chat.say("gate KP-3 P2")
    codes = sorted(set(re.findall(r"\b[A-Z]/KONTROL-[0-9]+\b", gate)))
    assert "B/KONTROL-2" in codes
    for code in codes:
        shown = chat.say(f"show {code} P2")
        assert shown.startswith(code), shown
        assert "P2: " in shown and " done." in shown
    shown = chat.say("show B/KONTROL-2 P2")
    assert "Er alle serviceaftaler godkendt?" in shown
    assert "B/TS106 Godkendelse af Serviceaftale for SP webservice" in shown


def test_every_code_the_bot_prints_is_accepted_by_show(chat: Chat) -> None:
    printed = "\n".join(chat.say(text) for text in ("gate KP-3 P2", "next P2", "blocked P2", "next K91"))
    refs = set(re.findall(r"\b[A-Z]/[A-Z][A-Z0-9#-]*[A-Z0-9]\b", printed))
    dated = set(re.findall(r"printed [0-9-]{10} for ([A-Z][A-Z0-9-]+)", printed))
    dated |= set(re.findall(r"\(([A-Z][A-Z0-9-]+), (?:likely|unconfirmed|stated)\)", printed))
    assert {"B/KONTROL-2", "R/KONV", "A/TS213"} <= refs and {"KP-3", "GATE", "TS214-216-BLOCK"} <= dated
    for code in sorted(refs | dated):
        shown = chat.say(f"show {code}")
        assert not shown.startswith("✗"), shown
    assert chat.say("show TS214-216-BLOCK").startswith("TS214-216-BLOCK Serviceaftale og overvågning")
    assert "`gate KP-3 P2` shows who is ready" in chat.say("show kp3")


def test_tab_completes_verbs_names_as_typed_waves_gates_and_codes(demo_runtime: Runtime) -> None:
    from bot.console import completion_words

    words = completion_words(demo_runtime)
    assert {"next", "done", "aarhus", "koebenhavn", "kobenhavn", "helsingor", "P2", "K91"} <= set(words)
    assert {"KP-3", "TS213", "A/TS213", "R/KONV"} <= set(words)
    assert "lob_supplier" not in words
