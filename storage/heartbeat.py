"""The scheduler's last sweep, kept in the database so that every web replica can see it.

No table of its own: one ``channel_setting`` row under a platform no chat uses (``scheduler``);
the reminder targets only ever look rows up by a chat platform, so it is never a target.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.tables import ChannelSettingRow

__all__ = ["last_sweep", "record_sweep"]

_PLATFORM, _KEY = "scheduler", "last-sweep"


def record_sweep(engine: Engine, at: datetime, worker: str) -> None:
    """Remember that ``worker`` finished a sweep at ``at``."""
    at = at.astimezone(UTC)
    with Session(engine) as session:
        row = _row(session) or ChannelSettingRow(
            platform=_PLATFORM, channel_id=_KEY, updated_at=at, updated_by=worker
        )
        row.updated_at, row.updated_by = at, worker
        session.add(row)
        session.commit()


def last_sweep(engine: Engine) -> datetime | None:
    """When a scheduler last finished a sweep (aware, UTC), or None if none ever did."""
    with Session(engine) as session:
        row = _row(session)
    if row is None:
        return None
    at = row.updated_at
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _row(session: Session) -> ChannelSettingRow | None:
    query = select(ChannelSettingRow).where(
        ChannelSettingRow.platform == _PLATFORM, ChannelSettingRow.channel_id == _KEY
    )
    return session.exec(query).first()
