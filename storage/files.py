"""Generated files (charts, reports, exports) kept for their download links, and the link key.

The files live in the database, not on a disk, so whichever web process answers a link can serve
it. The key that signs links is ``SF1590_FILES_SECRET`` when set, else made once per database and
stored (the first process to make it wins; the others read it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Engine, LargeBinary, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

__all__ = ["FileLinkKeyRow", "GeneratedFileRow", "SqlFileStore", "StoredFile"]


class GeneratedFileRow(SQLModel, table=True):
    """One generated file, until it expires."""

    __tablename__ = "generated_file"

    id: str = Field(primary_key=True, max_length=64)
    filename: str
    media_type: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime
    expires_at: datetime = Field(index=True)


class FileLinkKeyRow(SQLModel, table=True):
    """The key that signs download links when none is configured (one row)."""

    __tablename__ = "file_link_key"

    id: int = Field(primary_key=True)
    secret: str


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    media_type: str
    content: bytes
    expires_at: datetime


class SqlFileStore:
    """Generated files in ``generated_file``; expired ones are dropped as new ones come."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(
        self, filename: str, media_type: str, content: bytes, *, now: datetime, expires_at: datetime
    ) -> str:
        """Keep a file until ``expires_at``; returns its id (random: it names nothing)."""
        file_id = secrets.token_hex(16)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(GeneratedFileRow).where(GeneratedFileRow.expires_at < now))  # type: ignore[arg-type]
            session.add(
                GeneratedFileRow(
                    id=file_id,
                    filename=filename,
                    media_type=media_type,
                    content=content,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return file_id

    def get(self, file_id: str) -> StoredFile | None:
        with Session(self.engine) as session:
            row = session.get(GeneratedFileRow, file_id)
            if row is None:
                return None
            return StoredFile(row.id, row.filename, row.media_type, bytes(row.content), row.expires_at)

    def link_key(self) -> bytes:
        """This database's link key, made on first use."""
        with Session(self.engine) as session:
            found = session.execute(select(FileLinkKeyRow.secret)).scalar()  # type: ignore[call-overload]
        if found:
            return bytes.fromhex(str(found))
        try:
            with Session(self.engine) as session, session.begin():
                session.add(FileLinkKeyRow(id=1, secret=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first: use theirs
        return self.link_key()
