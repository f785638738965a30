"""The text catalogues: Danish covers English, with the same placeholders."""

from __future__ import annotations

import string

from commands.core import COMMANDS
from commands.messages import EN, speaking, t
from commands.messages_da import DA


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_english_text_has_a_danish_one_with_the_same_placeholders() -> None:
    assert sorted(set(EN) - set(DA)) == []
    for key in EN:
        assert placeholders(DA[key]) == placeholders(EN[key]), key


def test_every_danish_text_is_an_english_one_or_a_help_text() -> None:
    """English help texts are the handlers' docstrings; every other Danish key has an English one."""
    assert sorted(k for k in set(DA) - set(EN) if not k.startswith("summary.")) == []


def test_every_command_has_a_danish_help_text() -> None:
    assert [name for name in COMMANDS if f"summary.{name}" not in DA] == []


def test_the_language_is_chosen_per_answer() -> None:
    assert t("status.done") == "done"
    with speaking("da"):
        assert t("status.done") == "udført"
        assert t("next.headline", target="Aarhus", count=2) == "Aarhus: 2 opgave(r) kan startes nu"
    with speaking("xx"):
        assert t("status.done") == "done"
