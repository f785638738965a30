"""``sf1590 slack admin`` / ``sf1590 teams admin``: register the first admin from the command line.

In chat only an admin may `register` people, so the first one is made here: by Slack member id
(profile → ⋮ → Copy member ID) or by Teams AAD object id (Entra admin center → Users → Object
ID). Everyone else is registered in chat, e.g. ``/sf1590 register @anna Anna Holm
coordinator:aarhus``.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine

from bot.clock import SystemClock
from storage.people import Person, SqlPeopleStore
from storage.ports import Change

__all__ = ["register_admin"]

_IDS = {
    "slack": (re.compile(r"^[UW][A-Z0-9]{6,}$"), "a Slack member id, like U012AB3CD"),
    "teams": (
        re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"),
        "an AAD object id (a GUID, as Entra shows it)",
    ),
}


def register_admin(engine: Engine, platform: str, user_id: str, name: str) -> str:
    """Make the chat user ``user_id`` on ``platform`` an admin; returns what was done."""
    pattern, what = _IDS[platform]
    if not pattern.match(user_id):
        raise ValueError(f"{user_id!r} is not {what}.")
    name = " ".join(name.split())
    if not name:
        raise ValueError('Give the person\'s name, e.g. "Ada Admin".')
    handle = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "admin"
    external_id = user_id.lower() if platform == "teams" else user_id
    person = SqlPeopleStore(engine).register(
        platform,
        external_id,
        Person(handle, name, is_admin=True),
        change=Change("cli", "cli", SystemClock().now()),
    )
    return f"{person.name} (`{person.handle}`) is an admin in {platform.capitalize()} now."
