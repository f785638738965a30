"""The sf1590 command line: schema upgrades and roster imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import COPENHAGEN
from storage.engine import make_engine
from storage.migrate import is_current
from storage.repository import SqlRolloutStore


def test_db_upgrade_brings_a_new_database_to_the_newest_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    assert "schema is up to date" in capsys.readouterr().out
    assert is_current(make_engine(url))


def test_roster_import_from_csv_places_municipalities_in_waves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    roster = tmp_path / "roster.csv"
    roster.write_text("code,wave,bookkeeping_supplier\n751,P2,KMD\n101,K91,\n", encoding="utf-8")
    assert main(["roster", "import", str(roster), "--db", url]) == 0
    assert "Imported 2 municipalities" in capsys.readouterr().out
    municipalities = SqlRolloutStore(make_engine(url)).municipalities()
    assert municipalities[751].name == "Aarhus" and municipalities[751].wave == "P2"
    assert municipalities[751].bookkeeping_supplier == "KMD"
    assert municipalities[101].name == "København"


def test_roster_import_again_moves_a_municipality_and_records_the_move(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    roster = tmp_path / "roster.csv"
    roster.write_text("code,wave\n751,P2\n", encoding="utf-8")
    main(["roster", "import", str(roster), "--db", url])
    roster.write_text("code,wave\n751,K91\n", encoding="utf-8")
    main(["roster", "import", str(roster), "--db", url])
    moves = SqlRolloutStore(make_engine(url)).wave_moves(751)
    assert [(m.from_wave, m.to_wave) for m in moves] == [(None, "P2"), ("P2", "K91")]


@pytest.mark.parametrize(
    "content, message",
    [
        ("code,wave\n999,P2\n", "unknown municipality code '999'"),
        ("code,wave\n751,P7\n", "unknown wave 'P7'"),
    ],
)
def test_a_bad_roster_is_refused_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    roster = tmp_path / "roster.csv"
    roster.write_text(content, encoding="utf-8")
    assert main(["roster", "import", str(roster), "--db", url]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.db").exists() or not SqlRolloutStore(make_engine(url)).municipalities()


def test_console_refuses_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["console", "--today", "2020-02-30"])
    assert "is not a date like 2020-01-21" in capsys.readouterr().err


def test_the_first_admin_is_registered_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.people import SqlPeopleStore

    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert main(["slack", "admin", "U012AB3CD", "Ada Admin", "--db", url]) == 0
    assert "Ada Admin (`ada-admin`) is an admin in Slack now." in capsys.readouterr().out
    person = SqlPeopleStore(make_engine(url)).person_for("slack", "U012AB3CD")
    assert person is not None and person.is_admin
    guid = "0F8FAD5B-D9CB-469F-A165-70867728950E"
    assert main(["teams", "admin", guid, "Bo Admin", "--db", url]) == 0
    assert SqlPeopleStore(make_engine(url)).person_for("teams", guid.lower()) is not None


def test_a_malformed_admin_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert main(["slack", "admin", "anna", "Anna", "--db", url]) == 2
    assert "is not a Slack member id" in capsys.readouterr().err


def test_a_supplier_change_by_roster_import_shows_in_history(tmp_path: Path) -> None:
    import io

    from bot.console import ConsoleSession
    from bot.runtime import open_runtime
    from bot.settings import Settings
    from commands.context import Actor

    url = f"sqlite:///{tmp_path / 'r.db'}"
    roster = tmp_path / "roster.csv"
    roster.write_text("code,wave\n751,P2\n", encoding="utf-8")
    main(["roster", "import", str(roster), "--db", url])
    roster.write_text("code,wave,debtor_supplier\n751,P2,KMD\n", encoding="utf-8")
    main(["roster", "import", str(roster), "--db", url])
    out = io.StringIO()
    from bot.clock import SystemClock

    session = ConsoleSession(
        open_runtime(Settings(database_url=url), SystemClock()), Actor("anna", "Anna", is_admin=True), out=out
    )
    session.handle("history aarhus")
    assert "debtor_supplier – → KMD (by cli, cli)" in out.getvalue()


def test_under_today_a_change_is_recorded_on_the_replayed_day(
    tmp_path: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import shutil

    shutil.copy(demo_template, tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("done A/TS213 aarhus\nhistory aarhus\n"))
    assert main(["console", "--db", url, "--today", "2020-01-21"]) == 0
    out = capsys.readouterr().out
    history = out[out.index("History: Aarhus") :].splitlines()
    newest = history[1].strip()
    assert newest.startswith("2020-01-21 ") and newest.endswith(
        "console-admin (console): A/TS213 Aarhus to do → done"
    ), newest
    events = SqlRolloutStore(make_engine(url)).events(municipality=751, limit=1)
    assert events[0].at.astimezone(COPENHAGEN).date().isoformat() == "2020-01-21"
