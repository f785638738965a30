"""``sf1590 teams admin``: register the first Teams admin from the command line.

In chat only an admin may `register` people, so the first one is made here (by AAD object id:
Entra admin center → Users → the person → Object ID). Everyone else is registered in Teams with
``@sf1590 register @Anna Anna Holm coordinator:aarhus``.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine

from bot.clock import SystemClock
from storage.people import Person, SqlPeopleStore
from storage.ports import Change

__all__ = ["register_admin"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")


def register_admin(engine: Engine, aad_object_id: str, name: str) -> str:
    """Make the Teams user with this AAD object id an admin; returns what was done."""
    if not _GUID.match(aad_object_id):
        raise ValueError(f"{aad_object_id!r} is not an AAD object id (a GUID, as Entra shows it).")
    name = " ".join(name.split())
    if not name:
        raise ValueError("Give the person's name, e.g. \"Ada Admin\".")
    handle = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "admin"
    person = SqlPeopleStore(engine).register(
        "teams", aad_object_id.lower(), Person(handle, name, is_admin=True),
        change=Change("cli", "cli", SystemClock().now()))
    return f"{person.name} (`{person.handle}`) is an admin in Teams now."
