"""The notification outbox: insert-or-ignore by key (the claim), lease, send, mark sent.

Every write is one short conditional statement, so several processes may work on one table:
a row is owned by whoever's conditional UPDATE changed it (``rowcount == 1``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, exists, insert, literal, or_, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.tables import OutboxRow

__all__ = ["DROPPED", "KEPT", "PENDING", "SENT", "Claimed", "Leadership", "NewNotice", "SqlOutbox"]

log = logging.getLogger(__name__)

PENDING, SENT, DROPPED = "pending", "sent", "dropped"
# ``last_error`` of a row kept for an admin's fix (the bot not in the channel, a missing scope):
# never dropped as stale. Sticky: a later transient failure of the same row keeps the mark.
KEPT = "kept: "


@dataclass(frozen=True)
class NewNotice:
    key: str
    kind: str
    platform: str
    channel_id: str
    wave: str
    subject: str
    due_date: date
    due_at: datetime
    payload: str
    late: bool = False
    status: str = PENDING
    last_error: str = ""


@dataclass(frozen=True)
class Claimed:
    """A row this worker now holds; ``uncertain``: an earlier attempt may have reached the
    platform (a send failed or timed out, or a dead process held the claim)."""

    id: int
    key: str
    platform: str
    channel_id: str
    payload: str
    attempts: int
    uncertain: bool


class SqlOutbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, notices: Iterable[NewNotice], *, now: datetime) -> list[str]:
        """Insert the notices whose key is new; returns the keys that were inserted."""
        rows = [dict(n.__dict__, created_at=now, attempts=0) for n in notices]
        if not rows:
            return []
        known = self.known(r["key"] for r in rows)
        fresh = [r for r in rows if r["key"] not in known]
        with self.engine.begin() as connection:
            inserted = []
            for row in fresh:  # ON CONFLICT DO NOTHING: a concurrent sweep may insert it first
                if self._insert_ignore(connection, row):
                    inserted.append(row["key"])
            return inserted

    def _insert_ignore(self, connection: Connection, row: dict[str, Any]) -> bool:
        name = self.engine.dialect.name
        stmt: Any
        if name == "postgresql":
            stmt = postgresql.insert(OutboxRow).values(row).on_conflict_do_nothing(index_elements=["key"])
        elif name == "sqlite":
            stmt = sqlite.insert(OutboxRow).values(row).on_conflict_do_nothing(index_elements=["key"])
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            stmt = insert(OutboxRow).values(row)
        return bool(connection.execute(stmt).rowcount)

    def known(self, keys: Iterable[str]) -> set[str]:
        """The keys among ``keys`` that already have a row (sent, pending or dropped)."""
        wanted = list(keys)
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                found.update(
                    connection.execute(
                        select(OutboxRow.key).where(col(OutboxRow.key).in_(wanted[start : start + 500]))
                    ).scalars()
                )
        return found

    def candidates(self, now: datetime, *, limit: int = 200) -> list[OutboxRow]:
        """Pending rows that are due, oldest first (rows in backoff or held are included, so
        that a caller can keep each channel's order)."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutboxRow)
                .where(col(OutboxRow.status) == PENDING, col(OutboxRow.due_at) <= now)
                .order_by(col(OutboxRow.due_at), col(OutboxRow.id))
                .limit(limit)
            ).all()
            return list(rows)

    def claim(self, row: OutboxRow, worker: str, now: datetime, lease: timedelta) -> Claimed | None:
        """Take the row for ``lease`` if it is free (never held, released, or its lease ran out)."""
        assert row.id is not None
        free = or_(col(OutboxRow.lease_until).is_(None), col(OutboxRow.lease_until) < now)
        ready = or_(col(OutboxRow.next_attempt_at).is_(None), col(OutboxRow.next_attempt_at) <= now)
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(OutboxRow)
                .where(and_(col(OutboxRow.id) == row.id, col(OutboxRow.status) == PENDING, free, ready))
                .values(claimed_by=worker, lease_until=now + lease, attempts=OutboxRow.attempts + 1)
            ).rowcount
        if changed != 1:
            return None
        uncertain = row.attempts > 0 or row.claimed_by is not None
        return Claimed(
            row.id, row.key, row.platform, row.channel_id, row.payload, row.attempts + 1, uncertain
        )

    def mark_sent(self, claimed: Claimed, worker: str, *, remote_id: str, now: datetime) -> bool:
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(OutboxRow)
                    .where(
                        col(OutboxRow.id) == claimed.id,
                        col(OutboxRow.claimed_by) == worker,
                        col(OutboxRow.status) == PENDING,
                    )
                    .values(status=SENT, sent_at=now, remote_id=remote_id, lease_until=None, last_error="")
                ).rowcount
            )

    def release(
        self,
        claimed: Claimed,
        worker: str,
        *,
        error: str,
        retry_at: datetime | None,
        drop: bool = False,
        kept: bool = False,
    ) -> None:
        """A failed send: back to pending with a retry time (or dropped for good). ``kept``: an
        admin must fix something first; the row is then never dropped as stale (see KEPT)."""
        message = error[: 500 - len(KEPT)]
        marked = literal(KEPT + message)
        last_error: Any = (
            marked
            if kept
            else case((col(OutboxRow.last_error).startswith(KEPT), marked), else_=literal(message))
        )
        values: dict[str, Any] = {"last_error": last_error, "lease_until": None, "next_attempt_at": retry_at}
        if drop:
            values["status"] = DROPPED
        with self.engine.begin() as connection:
            connection.execute(
                update(OutboxRow)
                .where(
                    col(OutboxRow.id) == claimed.id,
                    col(OutboxRow.claimed_by) == worker,
                    col(OutboxRow.status) == PENDING,
                )
                .values(**values)
            )

    def pending_in(self, platform: str, channel_id: str, now: datetime) -> list[OutboxRow]:
        """The rows still waiting to go out to one channel (or person), due by ``now``."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(OutboxRow)
                    .where(
                        col(OutboxRow.status) == PENDING,
                        col(OutboxRow.platform) == platform,
                        col(OutboxRow.channel_id) == channel_id,
                        col(OutboxRow.due_at) <= now,
                    )
                    .order_by(col(OutboxRow.due_at), col(OutboxRow.id))
                ).all()
            )

    def retry_kept(self, platform: str) -> int:
        """The kept rows of ``platform`` may go out at the next sweep, without waiting out their
        backoff (the bot was added back); returns how many."""
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    update(OutboxRow)
                    .where(
                        col(OutboxRow.status) == PENDING,
                        col(OutboxRow.platform) == platform,
                        col(OutboxRow.last_error).startswith(KEPT),
                    )
                    .values(next_attempt_at=None)
                ).rowcount
            )

    def drop_stale(self, before: datetime) -> list[str]:
        """Drop pending rows planned before ``before`` and not held, unless they are kept for an
        admin's fix or wait behind such a row in their channel (those wait however long the fix
        takes); returns their keys."""
        blocker = aliased(OutboxRow)
        with self.engine.begin() as connection:
            keys = list(
                connection.execute(
                    select(OutboxRow.key).where(
                        col(OutboxRow.status) == PENDING,
                        col(OutboxRow.due_at) < before,
                        col(OutboxRow.lease_until).is_(None),
                        ~col(OutboxRow.last_error).startswith(KEPT),
                        ~exists().where(  # nor a row waiting behind a kept one in its channel
                            col(blocker.status) == PENDING,
                            col(blocker.platform) == OutboxRow.platform,
                            col(blocker.channel_id) == OutboxRow.channel_id,
                            col(blocker.last_error).startswith(KEPT),
                        ),
                    )
                ).scalars()
            )
            if keys:
                connection.execute(
                    update(OutboxRow)
                    .where(col(OutboxRow.key).in_(keys), col(OutboxRow.status) == PENDING)
                    .values(status=DROPPED, last_error="stale: too old to send")
                )
            return keys

    def rows(self) -> list[OutboxRow]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all())


class Leadership:
    """Only one scheduler sweeps at a time on PostgreSQL: a session advisory lock, held on a
    connection of its own for as long as the process lives (a dead process releases it).

    The lock is per schema, so that several rollouts (or test runs) may share one database.
    On SQLite (one file, one host) every process may sweep; the outbox keeps them apart.
    """

    LOCK_ID = 15904  # fixed for this application; the schema is the lock's second half

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """True when this process leads (now or already); never blocks."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("select 1"))
                return True
            except Exception:  # the connection died: the lock went with it
                log.warning("lost the scheduler lock's connection; trying again")
                self.release()
        connection = self.engine.connect()
        got = connection.execute(
            text("select pg_try_advisory_lock(:id, hashtext(current_schema()))"), {"id": self.LOCK_ID}
        ).scalar()
        connection.commit()
        if got:
            self._connection = connection
            log.info("this scheduler leads (advisory lock %d)", self.LOCK_ID)
            return True
        connection.close()
        return False

    def release(self) -> None:
        """Give the lead up: the database connection is discarded, and the lock with it."""
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            finally:
                self._connection = None
