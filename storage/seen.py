"""Signed Slack requests seen in the last minutes, so a replayed request is answered but not run.

Slack accepts a signature for five minutes; anyone who captured a request could send it again
within them. The signature (an HMAC over the timestamp and the body) is the key of a small table,
so every web process sharing the database agrees on what was seen: the first insert wins.
"""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

__all__ = ["KEEP_SECONDS", "SeenRequestRow", "SeenRequests", "SqlSeenRequests"]

KEEP_SECONDS = 600  # Slack's window is ±5 minutes around the request's timestamp


class SeenRequestRow(SQLModel, table=True):
    """One signed request: its signature, and the timestamp Slack signed with it."""

    __tablename__ = "seen_request"

    signature: str = Field(primary_key=True, max_length=100)
    timestamp: int = Field(index=True)


class SeenRequests(Protocol):
    def first_time(self, signature: str, timestamp: int) -> bool:
        """Record the request; False when it was recorded before (a replay)."""
        ...


class SqlSeenRequests:
    """Seen requests in the ``seen_request`` table; rows older than the window are dropped."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time, and a writer that finds the file locked sleeps in its
        # busy handler (1, 2, 5 … 100 ms steps) while others may take the lock first: under 20
        # concurrent requests that sleeping was most of the slowest acks. Queueing this
        # process's writers on a lock hands the write lock on at once. PostgreSQL needs none.
        self._one_writer = threading.Lock() if engine.dialect.name == "sqlite" else None

    def first_time(self, signature: str, timestamp: int) -> bool:
        if self._one_writer is None:
            return self._insert(signature, timestamp)
        with self._one_writer:
            return self._insert(signature, timestamp)

    def _insert(self, signature: str, timestamp: int) -> bool:
        # Two Core statements, not an ORM session: every request to /slack/events pays for this
        # on the web process, and the session's unit of work was most of its CPU.
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    delete(SeenRequestRow).where(col(SeenRequestRow.timestamp) < timestamp - KEEP_SECONDS)
                )
                connection.execute(insert(SeenRequestRow).values(signature=signature, timestamp=timestamp))
        except IntegrityError:
            return False
        return True
