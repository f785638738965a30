"""The text catalogues: Danish covers English, with the same placeholders."""

from __future__ import annotations

import string

from commands.core import COMMANDS
from commands.messages import EN, speaking, t
from commands.messages_da import DA


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_english_text_has_a_danish_one_with_the_same_placeholders() -> None:
    core_keys = {k for k in EN if not k.startswith(("usage.register", "usage.channel"))}
    missing = sorted(core_keys - set(DA))
    assert missing == []
    for key in core_keys:
        assert placeholders(DA[key]) == placeholders(EN[key]), key


def test_every_core_command_has_a_danish_help_text() -> None:
    core = [name for name in COMMANDS if name not in ("register", "channel")]
    assert [name for name in core if f"summary.{name}" not in DA] == []


def test_the_language_is_chosen_per_answer() -> None:
    assert t("status.done") == "done"
    with speaking("da"):
        assert t("status.done") == "udført"
        assert t("next.headline", target="Aarhus", count=2) == "Aarhus: 2 opgave(r) kan startes nu"
    with speaking("xx"):
        assert t("status.done") == "done"
