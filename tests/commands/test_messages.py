"""The text catalogues: Danish covers English, with the same placeholders."""

from __future__ import annotations

import string

from commands.core import COMMANDS
from commands.messages import EN, speaking, t, tn
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
        assert t("next.headline", target="Aarhus", count=2) == "Aarhus: 2 opgaver kan startes nu"
    with speaking("xx"):
        assert t("status.done") == "done"


def test_counts_read_as_plain_english_and_danish() -> None:
    assert t("next.headline", target="Aarhus", count=1) == "Aarhus: 1 task can start now"
    assert t("next.headline", target="Aarhus", count=0) == "Aarhus: 0 tasks can start now"
    assert tn("change.headline", 1, code="A/TS213", title="T") == "A/TS213 T: 1 change recorded"
    with speaking("da"):
        assert t("next.headline", target="Aarhus", count=1) == "Aarhus: 1 opgave kan startes nu"
        assert t("blocked.held", count=2) == "2 andre"
        assert t("deadline.left", day="2020-03-23", milestone="KP-3", count=1) == (
            "frist 2020-03-23 (KP-3), 1 arbejdsdag tilbage"
        )


def test_every_text_with_plural_forms_has_both_in_both_languages_and_none_hedges() -> None:
    for catalogue in (EN, DA):
        stems = {key.rsplit(".", 1)[0] for key in catalogue if key.endswith((".one", ".other"))}
        for stem in stems:
            assert f"{stem}.one" in catalogue and f"{stem}.other" in catalogue, stem
            assert "{count}" in catalogue[f"{stem}.other"], stem
        hedged = [
            key
            for key, text in catalogue.items()
            if any(mark in text for mark in ("(s)", "(r)", "(er)", "(e) "))
        ]
        assert hedged == []
