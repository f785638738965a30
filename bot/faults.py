"""Start-up and operating faults as one line: what is wrong and what to do, never a traceback.

``describe`` knows the faults an operator can fix (a wrong or unreachable database, a read-only,
damaged or full file, an unknown scheme, a Slack that does not answer); anything else is a bug,
and the caller lets its traceback through.
"""

from __future__ import annotations

import logging
import sys
import urllib.error

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

__all__ = ["OneLineFormatter", "describe", "safe_url"]

# (words in the driver's message, what it means and what to do); the first match wins.
_DATABASE_FAULTS = (
    (
        ("readonly", "read-only"),
        "the database is read-only; give this user write access to the "
        "file and its folder, or use another --db",
    ),
    (
        ("disk is full", "no space left", "disk full"),
        "the disk or database is full; free some space and try again (nothing more was written)",
    ),
    (
        ("file is not a database", "malformed", "not a database"),
        "the file is not an SQLite "
        "database or is damaged; restore it from a backup or point --db at another file",
    ),
    (
        ("unable to open database file",),
        "cannot open the database file; does its folder exist and is it writable?",
    ),
    (
        (
            "connection refused",
            "could not connect",
            "timeout expired",
            "name or service not known",
            "nodename nor servname",
            "no route to host",
            "could not translate host name",
        ),
        "cannot reach the database server; is it running, and are the host and port right?",
    ),
    (
        ("password authentication failed", "role", "no password supplied", "authentication"),
        "the database refused the login; check the user and password in the URL "
        "(URL-encode special characters: @ is %40)",
    ),
    (("does not exist",), "that database does not exist; create it or fix the URL"),
)


def safe_url(url: str) -> str:
    """The URL as it may be printed: any password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: shown only if it cannot hold a password
        return url[:200] if "@" not in url else "(an unreadable URL)"


def describe(err: BaseException, url: str) -> str | None:
    """One line for a fault the operator can fix, or None for a bug (let it raise)."""
    where = safe_url(url)
    scheme = url.split(":", 1)[0]
    other_driver = isinstance(err, ModuleNotFoundError) and not scheme.startswith(("sqlite", "postgres"))
    if isinstance(err, NoSuchModuleError) or other_driver:  # before: it is an ArgumentError
        return (
            f"`{scheme}` databases are not supported; use sqlite:///… or "
            "postgresql://… (see the README, Configuration)"
        )
    if isinstance(err, ArgumentError):
        return (
            f"`{where}` is not a database URL; use e.g. sqlite:///sf1590.db or "
            "postgresql://user:password@host:5432/db"
        )
    if isinstance(err, DatabaseError):
        detail = _first_line(err.orig if err.orig is not None else err)
        text = detail.lower()
        for words, meaning in _DATABASE_FAULTS:
            if any(w in text for w in words):
                return f"database {where}: {meaning} ({detail})"
        return f"database {where}: {detail}"
    # Alembic is imported only to migrate (storage.migrate): no Alembic loaded, no Alembic error.
    alembic_errors = sys.modules.get("alembic.util.exc")
    if alembic_errors is not None and isinstance(err, alembic_errors.CommandError):
        return (
            f"database {where}: {_first_line(err)}; was it made by a newer sf1590? "
            "Upgrade sf1590, or use another --db"
        )
    return _describe_slack(err)


def _describe_slack(err: BaseException) -> str | None:
    # Imported here: the Slack SDK loads only when something Slack failed (`sf1590 serve`).
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError, SlackClientError

    if isinstance(err, SlackApiError):
        code = err.response.get("error") if isinstance(err.response.data, dict) else None
        return (
            f"Slack refused the bot token ({code or 'error'}); check SLACK_BOT_TOKEN "
            "(OAuth & Permissions → Bot User OAuth Token)"
        )
    if isinstance(err, BoltError):
        return f"Slack: {_first_line(err)}; check SLACK_BOT_TOKEN and SLACK_API_URL"
    if isinstance(err, urllib.error.URLError | SlackClientError):
        return (
            f"Slack did not answer ({_first_line(err)}); check the network and "
            "SLACK_API_URL, then start again"
        )
    return None


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:300]


class OneLineFormatter(logging.Formatter):
    """Log records in one line each: an exception adds its type and first line, no traceback.

    For the terminal (`sf1590 console`), where a traceback would bury the conversation; the
    reply already carries the reference to look for in a debug run.
    """

    def format(self, record: logging.LogRecord) -> str:
        exc_info, exc_text = record.exc_info, record.exc_text
        record.exc_info = record.exc_text = None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = exc_info, exc_text
        error = exc_info[1] if exc_info else None
        return f"{line} ({type(error).__name__}: {_first_line(error)})" if error else line
