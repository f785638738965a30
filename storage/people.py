"""People, their chat identities, and channels linked to waves (SQLite and PostgreSQL).

Storage knows nothing of chat or of the command core: it hands back :class:`Person` records,
which the command layer turns into ``commands.context.Actor`` (same fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.ports import Change
from storage.tables import ChannelLinkRow, PersonRow, PlatformIdentityRow

__all__ = ["PeopleStore", "Person", "SqlPeopleStore", "person_from_row"]


@dataclass(frozen=True)
class Person:
    """Who someone is and what they may change (mirrors ``commands.context.Actor``)."""

    handle: str
    name: str
    is_admin: bool = False
    roles: frozenset[str] = frozenset()
    municipalities: frozenset[int] = frozenset()
    coordinates: frozenset[int] = frozenset()
    manages: frozenset[str] = frozenset()


class PeopleStore(Protocol):
    """Who is who on a chat platform, and which channel follows which wave."""

    def person_for(self, platform: str, external_id: str) -> Person | None: ...

    def register(self, platform: str, external_id: str, person: Person, *, change: Change) -> Person:
        """Create or replace the person behind this chat account; returns what was stored.

        A new account gets ``person.handle``, or that handle with a suffix when it is taken.
        """
        ...

    def link_channel(self, platform: str, channel_id: str, wave: str | None, *, change: Change) -> None:
        """Make commands in the channel default to ``wave`` (None removes the link)."""
        ...

    def channel_wave(self, platform: str, channel_id: str) -> str | None: ...


def _split(text: str) -> frozenset[str]:
    return frozenset(part for part in text.split(",") if part)


def _join(values: Iterable[object]) -> str:
    return ",".join(sorted(str(v) for v in values))


def person_from_row(row: PersonRow) -> Person:
    """The person a stored row describes (its set fields are comma-separated text)."""
    return Person(
        row.handle,
        row.name,
        row.is_admin,
        _split(row.roles),
        frozenset(int(c) for c in _split(row.municipalities)),
        frozenset(int(c) for c in _split(row.coordinates)),
        _split(row.manages),
    )


class SqlPeopleStore:
    """People and channel links in the rollout's database; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def person_for(self, platform: str, external_id: str) -> Person | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(PersonRow)
                .join(PlatformIdentityRow)
                .where(
                    PlatformIdentityRow.platform == platform, PlatformIdentityRow.external_id == external_id
                )
            ).first()
            return person_from_row(row) if row else None

    def register(self, platform: str, external_id: str, person: Person, *, change: Change) -> Person:
        for _attempt in range(3):
            try:
                return self._register(platform, external_id, person, change)
            except IntegrityError:  # a concurrent registration of the same account or handle
                continue
        return self._register(platform, external_id, person, change)

    def _register(self, platform: str, external_id: str, person: Person, change: Change) -> Person:
        with Session(self.engine) as session:
            identity = session.exec(
                select(PlatformIdentityRow).where(
                    PlatformIdentityRow.platform == platform, PlatformIdentityRow.external_id == external_id
                )
            ).first()
            if identity is not None:
                handle = identity.person_handle
            else:
                handle = person.handle
                if session.get(PersonRow, handle) is not None:
                    handle = f"{person.handle}-{external_id.lower()}"
            row = session.get(PersonRow, handle) or PersonRow(
                handle=handle, name=person.name, updated_at=change.at, updated_by=change.actor
            )
            row.name = person.name
            row.is_admin = person.is_admin
            row.roles = _join(person.roles)
            row.municipalities = _join(person.municipalities)
            row.coordinates = _join(person.coordinates)
            row.manages = _join(person.manages)
            row.updated_at = change.at
            row.updated_by = change.actor
            session.add(row)
            if identity is None:
                session.flush()
                session.add(
                    PlatformIdentityRow(platform=platform, external_id=external_id, person_handle=handle)
                )
            session.commit()
            session.refresh(row)
            return person_from_row(row)

    def link_channel(self, platform: str, channel_id: str, wave: str | None, *, change: Change) -> None:
        with Session(self.engine) as session:
            row = session.exec(
                select(ChannelLinkRow).where(
                    ChannelLinkRow.platform == platform, ChannelLinkRow.channel_id == channel_id
                )
            ).first()
            if wave is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(
                    ChannelLinkRow(
                        platform=platform,
                        channel_id=channel_id,
                        wave=wave,
                        updated_at=change.at,
                        updated_by=change.actor,
                    )
                )
            else:
                row.wave, row.updated_at, row.updated_by = wave, change.at, change.actor
                session.add(row)
            session.commit()

    def channel_wave(self, platform: str, channel_id: str) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(ChannelLinkRow).where(
                    ChannelLinkRow.platform == platform, ChannelLinkRow.channel_id == channel_id
                )
            ).first()
            return row.wave if row else None
