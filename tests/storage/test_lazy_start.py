"""The console's time to its first answer: Alembic and the export libraries (openpyxl, icalendar)
are imported only when needed, and the schema check without Alembic agrees with Alembic's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from storage.engine import make_engine
from storage.migrate import _heads_from_files, is_current, upgrade

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_or_older_database_is_still_brought_up_to_date(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")  # as a database made by the previous release
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from generated_file")).scalar() == 0
    fresh = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(fresh)
    assert is_current(fresh)


def test_the_heads_read_from_the_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert _heads_from_files() == set(script.get_heads())


def test_a_console_answer_on_a_current_database_imports_neither_alembic_nor_the_export_libraries(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    code = (
        f"import sys; from bot.cli import main; code = main(['console', '--db', {db!r}]);"
        "print('IMPORTED', sorted(m for m in ('alembic', 'mako', 'pygments', 'openpyxl', 'icalendar')"
        " if m in sys.modules)); raise SystemExit(code)"
    )
    first = subprocess.run(
        [sys.executable, "-c", code], input="next aarhus\n", capture_output=True, text=True, cwd=ROOT
    )
    assert first.returncode == 0, first.stderr
    assert "'alembic'" in first.stdout  # a new database: migrated with Alembic
    again = subprocess.run(
        [sys.executable, "-c", code], input="next aarhus\n", capture_output=True, text=True, cwd=ROOT
    )
    assert again.returncode == 0, again.stderr
    assert "tasks can start now" in again.stdout
    assert "IMPORTED []" in again.stdout
