"""The demo database every benchmark starts from: seeded once, copied for each benchmark."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from bot.clock import FixedClock
from bot.runtime import open_runtime, seed_demo
from bot.settings import Settings

__all__ = ["DAY", "demo_database"]

DAY = date(2020, 1, 21)  # the demo's day: a week before KP-3 for P2


def demo_database(folder: Path, template: Path | None = None) -> str:
    """The URL of a SQLite file in ``folder`` with the demo roster and progress: a copy of
    ``template`` (made by this function earlier) when given, else seeded now (seconds)."""
    path = folder / "demo.db"
    if template is not None:
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    settings = Settings(database_url=f"sqlite:///{path}")
    runtime = open_runtime(settings, FixedClock.at(DAY))
    seed_demo(runtime, settings)
    with runtime.engine.connect() as connection:  # all in the main file, so a copy has it all
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    runtime.engine.dispose()
    return settings.database_url
