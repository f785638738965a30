"""Schema migrations with Alembic, run from code (``sf1590 db upgrade``).

Alembic (with Mako, and Pygments through it) costs about 0.15 s to import, a good part of a
console's time to its first answer; it is imported only when the schema is not already current.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "is_current", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?=\s*['\"]([^'\"]+)['\"]\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]*)?=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    # ConfigParser reads "%" as interpolation: a URL-encoded password (p%40ss) must be doubled.
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (the newest by default)."""
    if revision == "head" and _already_current(engine):
        return
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def _already_current(engine: Engine) -> bool:
    """The database's revisions are the newest ones, as the migration files say (read without
    importing Alembic). False whenever in doubt: Alembic then decides, as it always did."""
    heads = _heads_from_files()
    if not heads:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        stored = connection.execute(text("select version_num from alembic_version")).scalars()
        return {str(v) for v in stored} == heads


def _heads_from_files() -> set[str]:
    """The revisions no other migration builds on; empty when a file does not name its revision
    and the one before it in the plain form every migration here uses."""
    revisions: set[str] = set()
    below: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        names, downs = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(names) != 1 or len(downs) != 1:
            return set()
        revisions.add(names[0])
        below.update(_QUOTED.findall(downs[0]))
    return revisions - below
