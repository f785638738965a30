"""Reminder settings: per-channel posting time, kinds and pause; personal daily messages; and
the targets (wave channels, wave managers, people) a sweep posts to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from rollout.reminders import KINDS, PERSONAL, Target
from storage.people import Person, person_from_row
from storage.ports import Change
from storage.tables import (
    ChannelLinkRow,
    ChannelSettingRow,
    PersonalDigestRow,
    PersonRow,
    PlatformIdentityRow,
)

__all__ = ["ChannelSettings", "ReminderSettingsStore", "SqlReminderSettings"]

_UNSET = datetime.min.replace(tzinfo=UTC)  # "leave as it is"


@dataclass(frozen=True)
class ChannelSettings:
    post_time: time = time(8, 0)
    kinds: frozenset[str] = frozenset(KINDS)
    paused_until: datetime | None = None


class ReminderSettingsStore(Protocol):
    def channel_settings(self, platform: str, channel_id: str) -> ChannelSettings: ...

    def update_channel(
        self,
        platform: str,
        channel_id: str,
        *,
        change: Change,
        post_time: time | None = None,
        kinds: frozenset[str] | None = None,
        paused_until: datetime | None = _UNSET,
    ) -> ChannelSettings: ...

    def set_personal(self, platform: str, handle: str, enabled: bool, *, change: Change) -> bool:
        """Turn a person's daily message on or off; False when they have no account there."""
        ...


def _split(text: str) -> frozenset[str]:
    return frozenset(p for p in text.split(",") if p)


def _settings(row: ChannelSettingRow | None) -> ChannelSettings:
    if row is None:
        return ChannelSettings()
    return ChannelSettings(time.fromisoformat(row.post_time), _split(row.kinds), row.paused_until)


class SqlReminderSettings:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def channel_settings(self, platform: str, channel_id: str) -> ChannelSettings:
        with Session(self.engine) as session:
            return _settings(self._row(session, platform, channel_id))

    @staticmethod
    def _row(session: Session, platform: str, channel_id: str) -> ChannelSettingRow | None:
        return session.exec(
            select(ChannelSettingRow).where(
                ChannelSettingRow.platform == platform, ChannelSettingRow.channel_id == channel_id
            )
        ).first()

    def update_channel(
        self,
        platform: str,
        channel_id: str,
        *,
        change: Change,
        post_time: time | None = None,
        kinds: frozenset[str] | None = None,
        paused_until: datetime | None = _UNSET,
    ) -> ChannelSettings:
        with Session(self.engine) as session:
            row = self._row(session, platform, channel_id) or ChannelSettingRow(
                platform=platform, channel_id=channel_id, updated_at=change.at, updated_by=change.actor
            )
            if post_time is not None:
                row.post_time = post_time.strftime("%H:%M")
            if kinds is not None:
                row.kinds = ",".join(k for k in (*KINDS, PERSONAL) if k in kinds)
            if paused_until is not _UNSET:
                row.paused_until = paused_until
            row.updated_at, row.updated_by = change.at, change.actor
            session.add(row)
            session.commit()
            session.refresh(row)
            return _settings(row)

    def set_personal(self, platform: str, handle: str, enabled: bool, *, change: Change) -> bool:
        with Session(self.engine) as session:
            identity = session.exec(
                select(PlatformIdentityRow).where(
                    PlatformIdentityRow.platform == platform, PlatformIdentityRow.person_handle == handle
                )
            ).first()
            if identity is None:
                return False
            row = session.exec(
                select(PersonalDigestRow).where(
                    PersonalDigestRow.platform == platform, PersonalDigestRow.user_id == identity.external_id
                )
            ).first() or PersonalDigestRow(
                person_handle=handle, platform=platform, user_id=identity.external_id, updated_at=change.at
            )
            row.enabled, row.updated_at = enabled, change.at
            session.add(row)
            session.commit()
            return True

    # -- what a sweep reads ---------------------------------------------------------------------

    def people(self, platform: str) -> list[tuple[Person, str]]:
        """Every person with an account on ``platform``, with that account's id."""
        with Session(self.engine) as session:
            found = session.exec(
                select(PersonRow, PlatformIdentityRow)
                .join(PlatformIdentityRow)
                .where(PlatformIdentityRow.platform == platform)
            ).all()
            return [(person_from_row(p), i.external_id) for p, i in found]

    def targets(self, platforms: tuple[str, ...] = ("slack",)) -> list[Target]:
        """Wave channels (with their settings), wave managers (overdue escalations only) and
        people who asked for a personal daily message."""
        out: list[Target] = []
        with Session(self.engine) as session:
            settings = {(s.platform, s.channel_id): s for s in session.exec(select(ChannelSettingRow))}
            for link in session.exec(select(ChannelLinkRow).order_by(ChannelLinkRow.channel_id)):
                if link.platform not in platforms:
                    continue
                s = _settings(settings.get((link.platform, link.channel_id)))
                out.append(
                    Target(
                        link.platform,
                        link.channel_id,
                        link.wave,
                        s.post_time,
                        s.kinds,
                        s.paused_until,
                        since=link.updated_at,
                    )
                )
            for digest in session.exec(select(PersonalDigestRow).where(PersonalDigestRow.enabled == True)):  # noqa: E712 - SQL, not Python
                if digest.platform in platforms:
                    out.append(
                        Target(
                            digest.platform,
                            digest.user_id,
                            "",
                            kinds=frozenset({PERSONAL}),
                            since=digest.updated_at,
                            person=digest.person_handle,
                        )
                    )
        for platform in platforms:
            for person, user_id in self.people(platform):
                out.extend(
                    Target(platform, user_id, wave, kinds=frozenset({"overdue"}))
                    for wave in sorted(person.manages)
                )
        return out
