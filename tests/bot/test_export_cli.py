"""Files outside chat: `sf1590 export … --out FILE`, and the console writing a reply's files."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.cli import main
from bot.clock import FixedClock
from bot.console import ConsoleSession
from bot.runtime import open_runtime
from bot.settings import Settings
from commands.context import Actor


@pytest.fixture
def demo_url(tmp_path: Path, demo_template: Path) -> str:
    shutil.copy(demo_template, tmp_path / "demo.db")
    return f"sqlite:///{tmp_path / 'demo.db'}"


def test_the_cli_writes_the_calendar_of_a_wave_to_the_file_asked_for(
    tmp_path: Path, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p2.ics"
    assert main(["export", "ics", "P2", "--out", str(out), "--db", demo_url, "--today", "2020-03-20"]) == 0
    events = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert "gate-KP-3-P2@sf1590" in {str(e["UID"]) for e in events}
    assert f"(events: {len(events)})" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.partial"))


def test_the_cli_refuses_an_unknown_target_and_writes_nothing(
    tmp_path: Path, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.csv"
    assert main(["export", "csv", "K19", "--out", str(out), "--db", demo_url]) == 2
    err = capsys.readouterr().err
    assert "`K19` is not a municipality or a wave" in err and "K91" in err
    assert not out.exists()


def test_the_console_writes_each_file_to_its_folder_and_prints_the_path(
    tmp_path: Path, demo_url: str
) -> None:
    runtime = open_runtime(Settings(database_url=demo_url), FixedClock.at(date(2020, 3, 20)))
    out = io.StringIO()
    folder = tmp_path / "files"
    session = ConsoleSession(runtime, Actor("anna", "Anna", is_admin=True), out=out, files_dir=folder)
    session.handle("export history P2")
    written = folder / "sf1590-history-P2-2020-03-20.csv"
    assert f"File: {written.resolve()}" in out.getvalue()
    assert written.read_bytes().decode("utf-8-sig").startswith("When (Copenhagen),Kind,")
