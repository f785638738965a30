"""``sf1590 db backup FILE``: a consistent copy of an SQLite database, safe while the bot runs.

SQLite's online backup API, in one step: the copy is one committed state. The bot's database is
in WAL mode, so writers go on meanwhile; copied in small steps instead, every write by another
connection would restart the copy, and a busy bot could starve it. PostgreSQL: pg_dump.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["BackupError", "backup"]


class BackupError(Exception):
    """Why no backup was made, in one line (nothing was written)."""


def backup(database_url: str, target: Path) -> str:
    """Copy the database at ``database_url`` to ``target``; what was done, in one line."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"`db backup` copies SQLite files; for {url.get_backend_name()} use its own tool, e.g. "
            f'`pg_dump --format=custom --file={target} "$DATABASE_URL"` (see the README, Deployment).'
        )
    source = url.database or ""
    if not source or source == ":memory:" or not Path(source).is_file():
        raise BackupError(f"there is no SQLite database file at {source or '(none)'} to back up.")
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file (nothing was overwritten).")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.partial")
    try:
        _copy(source, partial)
        os.replace(partial, target)  # the file appears whole, or not at all
    finally:
        partial.unlink(missing_ok=True)
    return f"Backed up {source} to {target} ({target.stat().st_size // 1024} KB, integrity check ok)."


def _copy(source: str, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: all in one step (see above)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()
        if not verdict or verdict[0] != "ok":
            raise BackupError(f"the copy failed SQLite's integrity check ({verdict}); nothing was kept.")
    finally:
        dst.close()
        src.close()
