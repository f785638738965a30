"""Rights that hold in Slack: a name is never read as a role; a channel's wave is guarded."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from tests.bot.slack.conftest import AARHUS, ADMIN, SlackUser

P2_MANAGER = "U0MGRP2"


def test_a_role_word_in_a_name_is_part_of_the_name(slack: SlackUser, people: SqlPeopleStore) -> None:
    slack.command("register <@U0ADA2|ada> Ada Admin coordinator:aarhus", ADMIN)
    assert "Registered Ada Admin" in str(slack.answer(1)["blocks"])
    ada = people.person_for("slack", "U0ADA2")
    assert ada is not None
    assert (ada.name, ada.is_admin, ada.coordinates) == ("Ada Admin", False, frozenset({AARHUS}))

    slack.command("register <@U0ADA3|ada> Ada Admin admin", ADMIN)
    assert "Rights: admin." in str(slack.answer(2)["blocks"])
    admin = people.person_for("slack", "U0ADA3")
    assert admin is not None and (admin.name, admin.is_admin) == ("Ada Admin", True)


def test_a_name_in_quotes_or_before_dashes_ends_where_it_says(
    slack: SlackUser, people: SqlPeopleStore
) -> None:
    slack.command('register <@U0KSD1|k> "Kim Manager" ksd:aarhus', ADMIN)
    slack.command("register <@U0KSD2|k> Kim Coordinator -- manager:P2", ADMIN)
    slack.answer(2)
    first, second = people.person_for("slack", "U0KSD1"), people.person_for("slack", "U0KSD2")
    assert first is not None and second is not None
    assert (first.name, first.roles, first.municipalities, first.manages) == (
        "Kim Manager",
        frozenset({"ksd"}),
        frozenset({AARHUS}),
        frozenset(),
    )
    assert (second.name, second.manages, second.coordinates) == (
        "Kim Coordinator",
        frozenset({"P2"}),
        frozenset(),
    )


def test_a_p2_manager_cannot_take_the_k91_channel(slack: SlackUser, people: SqlPeopleStore) -> None:
    change = Change("test", "test", datetime(2020, 1, 21, 8, tzinfo=UTC))
    people.register("slack", P2_MANAGER, Person("mo", "Mo", manages=frozenset({"P2"})), change=change)
    slack.command("channel K91", ADMIN, channel="C0K91")
    assert "now follows wave K91" in str(slack.answer(1)["blocks"])
    slack.command("channel P2", P2_MANAGER, channel="C0K91")
    assert "Only an admin or the wave's manager" in str(slack.answer(2)["blocks"])
    slack.command("channel off", P2_MANAGER, channel="C0K91")
    assert "Only an admin or the wave's manager" in str(slack.answer(3)["blocks"])
    assert people.channel_wave("slack", "C0K91") == "K91"
    slack.command("channel P2", P2_MANAGER, channel="C0P2")
    assert "now follows wave P2" in str(slack.answer(4)["blocks"])


def test_a_role_without_its_scope_is_asked_about_not_guessed(
    slack: SlackUser, people: SqlPeopleStore
) -> None:
    slack.command("register <@U0BO2|bo> Bo Holm ksd", ADMIN)
    asked = str(slack.answer(1)["blocks"])
    assert "Is `ksd` part of the name or a role? Nothing was registered." in asked
    assert "`ksd:all`" in asked
    slack.command("register <@U0BO2|bo> Bo Holm ksd:", ADMIN)
    assert "needs municipalities or all" in str(slack.answer(2)["blocks"])
    assert people.person_for("slack", "U0BO2") is None
    slack.command("register <@U0BO2|bo> Bo Holm ksd:all", ADMIN)
    slack.answer(3)
    bo = people.person_for("slack", "U0BO2")
    assert bo is not None and (bo.roles, bo.municipalities) == (frozenset({"ksd"}), frozenset())
