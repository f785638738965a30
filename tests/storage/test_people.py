"""People, chat identities and channel links on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from storage.people import Person, SqlPeopleStore
from storage.ports import Change

CHANGE = Change("ada", "slack", datetime(2020, 1, 21, 9, tzinfo=UTC))


def test_register_find_and_replace_a_person(engine: Engine) -> None:
    people = SqlPeopleStore(engine)
    assert people.person_for("slack", "U1") is None
    anna = Person(
        "anna",
        "Anna Holm",
        roles=frozenset({"bookkeeping_supplier"}),
        municipalities=frozenset({751, 730}),
        coordinates=frozenset({751}),
        manages=frozenset({"P2"}),
    )
    assert people.register("slack", "U1", anna, change=CHANGE) == anna
    assert people.person_for("slack", "U1") == anna
    assert people.person_for("teams", "U1") is None
    admin = Person("anna", "Anna Holm", is_admin=True)
    assert people.register("slack", "U1", admin, change=CHANGE) == admin  # same account: replaced
    other = people.register("slack", "U2", Person("anna", "Anna Other"), change=CHANGE)
    assert other.handle == "anna-u2"  # the handle was taken by someone else
    assert people.person_for("slack", "U1") == admin


def test_channel_links(engine: Engine) -> None:
    people = SqlPeopleStore(engine)
    assert people.channel_wave("slack", "C1") is None
    people.link_channel("slack", "C1", "P2", change=CHANGE)
    people.link_channel("slack", "C1", "K91", change=CHANGE)
    people.link_channel("slack", "C2", "P2", change=CHANGE)
    assert people.channel_wave("slack", "C1") == "K91"
    assert people.channel_wave("teams", "C1") is None
    people.link_channel("slack", "C1", None, change=CHANGE)
    assert people.channel_wave("slack", "C1") is None
    assert people.channel_wave("slack", "C2") == "P2"
