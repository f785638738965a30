"""Seen signed requests: the first insert wins, in every process sharing the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlmodel import Session

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.seen import KEEP_SECONDS, SeenRequestRow, SqlSeenRequests

NOW = 1_796_000_000
SIGNATURE = "v0=" + "a" * 64


def test_a_signature_is_new_once(engine: Engine) -> None:
    seen = SqlSeenRequests(engine)
    assert seen.first_time(SIGNATURE, NOW)
    assert not seen.first_time(SIGNATURE, NOW)
    assert not SqlSeenRequests(engine).first_time(SIGNATURE, NOW + 1)  # another process


def test_of_many_racing_copies_exactly_one_runs(engine: Engine) -> None:
    seen = SqlSeenRequests(engine)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: seen.first_time(SIGNATURE, NOW), range(16)))
    assert results.count(True) == 1


def test_rows_older_than_the_window_are_dropped(engine: Engine) -> None:
    seen = SqlSeenRequests(engine)
    for i in range(5):
        seen.first_time(f"v0={i:064x}", NOW - KEEP_SECONDS - 10)
    seen.first_time(SIGNATURE, NOW)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(SeenRequestRow)).scalar_one() == 1


def test_many_different_requests_at_once_are_each_new_and_each_kept(engine: Engine) -> None:
    seen = SqlSeenRequests(engine)
    signatures = [f"v0={i:064x}" for i in range(40)]
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda s: seen.first_time(s, NOW), signatures))
    assert results == [True] * 40
    assert not any(seen.first_time(s, NOW) for s in signatures)  # each one is a replay now


def test_on_sqlite_one_process_never_waits_for_its_own_write_lock(tmp_path: Path) -> None:
    """A web process's concurrent inserts queue among themselves: none of them finds SQLite's
    write lock taken by another of them (where it would sleep in the busy handler, the slow acks
    of bench/README.md). With no busy timeout at all, such a wait would be an error."""
    engine = make_engine(f"sqlite:///{tmp_path / 'seen.db'}")
    upgrade(engine)

    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    event.listen(engine, "connect", no_busy_wait)  # after make_engine's own pragmas
    engine.dispose()
    seen = SqlSeenRequests(engine)
    signatures = [f"v0={i:064x}" for i in range(200)]
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda s: seen.first_time(s, NOW), signatures))
    assert results == [True] * 200
    engine.dispose()
