"""Where to post proactively: a platform's conversation reference, kept in our own database.

Teams only lets a bot post into a channel it has a conversation reference for (service URL,
conversation id, bot and tenant). The reference is stored as the platform's own JSON, opaque here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.tables import ConversationRefRow

__all__ = ["ConversationRef", "ConversationRefStore", "SqlConversationRefStore"]


@dataclass(frozen=True)
class ConversationRef:
    platform: str
    channel_id: str
    service_url: str
    reference: str  # JSON, as the platform's SDK wrote it
    updated_at: datetime


class ConversationRefStore(Protocol):
    def save(self, ref: ConversationRef) -> None:
        """Create or replace the reference of ``(platform, channel_id)``."""
        ...

    def get(self, platform: str, channel_id: str) -> ConversationRef | None: ...


class SqlConversationRefStore:
    """Conversation references in the ``conversation_ref`` table; one short transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, ref: ConversationRef) -> None:
        for attempt in range(2):
            try:
                self._save(ref)
                return
            except IntegrityError:  # a concurrent first save of the same channel
                if attempt:
                    raise

    def _save(self, ref: ConversationRef) -> None:
        with Session(self.engine) as session:
            row = session.exec(
                select(ConversationRefRow).where(
                    ConversationRefRow.platform == ref.platform,
                    ConversationRefRow.channel_id == ref.channel_id,
                )
            ).first()
            row = row or ConversationRefRow(
                platform=ref.platform,
                channel_id=ref.channel_id,
                service_url=ref.service_url,
                reference=ref.reference,
                updated_at=ref.updated_at,
            )
            row.service_url, row.reference, row.updated_at = (ref.service_url, ref.reference, ref.updated_at)
            session.add(row)
            session.commit()

    def get(self, platform: str, channel_id: str) -> ConversationRef | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(ConversationRefRow).where(
                    ConversationRefRow.platform == platform, ConversationRefRow.channel_id == channel_id
                )
            ).first()
            if row is None:
                return None
            return ConversationRef(
                row.platform, row.channel_id, row.service_url, row.reference, row.updated_at
            )
