"""The CLI's shared pieces: a subcommand with help text and examples, the `--db` option, and the
rule that a command never creates a database it was not asked to."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["CREATES", "EXISTING", "command", "db_option", "missing_database"]

CREATES = "creates"  # the command makes a new database when there is none (console, db upgrade, …)
EXISTING = "existing"  # the command works on a database that must already be there


def command(
    sub: Any, name: str, summary: str, examples: Sequence[str], description: str = ""
) -> argparse.ArgumentParser:
    """A subcommand with its one-line help, a description and examples shown by ``--help``."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=description or summary[:1].upper() + summary[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def db_option(parser: argparse.ArgumentParser, *, creates: bool = False) -> None:
    """``--db URL``; ``creates`` when the command makes a new database if there is none."""
    made = "created and migrated if new" if creates else "must exist: `sf1590 db upgrade` creates one"
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"database URL, e.g. sqlite:///sf1590.db or postgresql+psycopg://… "
        f"(default: $DATABASE_URL, else sqlite:///sf1590.db; {made})",
    )
    parser.set_defaults(db_use=CREATES if creates else EXISTING)


def missing_database(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist yet, else None (a server database,
    an in-memory one, or a file that is there)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # not a URL at all: the engine says so in its own words
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path
