"""The CLI's manners: no database made unasked, `db upgrade` says what it did, clear refusals
(an empty range of days, a channel name where Slack needs an id, a CSV without its header), and
the demo's first line true for any date."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.console import replay_line
from rollout.graph import PlanGraph
from storage.engine import make_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # where the default ./sf1590.db would be made


@pytest.mark.parametrize(
    "argv",
    [
        ["scheduler"],
        ["reminders", "preview"],
        ["reminders", "send", "--now", "2020-01-21T08:00"],
        ["channel", "link", "P2", "--slack", "C0123ABCD"],
        ["report", "v2", "P2"],
        ["export", "csv", "P2"],
        ["scheduler", "--db", "sqlite:///elsewhere.db"],
    ],
)
def test_a_command_that_needs_a_database_never_makes_one(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sf1590 {argv[0]}") and ": there is no database at " in err
    assert "--db URL or $DATABASE_URL" in err and "`sf1590 db upgrade --db URL` creates" in err
    assert list(tmp_path.iterdir()) == []  # no sf1590.db, no -wal, nothing


def test_db_upgrade_says_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    created = capsys.readouterr().out
    assert created.startswith(f"{url}: created a new database at revision 0")
    head = created.split("revision ")[1].split(";")[0]
    assert main(["db", "upgrade", "--db", url]) == 0
    assert f"already at revision {head}, nothing to do" in capsys.readouterr().out

    old = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(make_engine(old), "0006")
    assert main(["db", "upgrade", "--db", old]) == 0
    assert f"upgraded from revision 0006 to {head}" in capsys.readouterr().out


@pytest.mark.parametrize("days", ["0", "-3"])
def test_an_empty_range_of_days_is_refused(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["reminders", "preview", "--days", days, "--db", "sqlite:///x.db"])
    assert exit_.value.code == 2
    assert f"--days: '{days}' is not a whole number from 1 to 366" in capsys.readouterr().err


def test_a_slack_channel_name_is_refused_with_how_to_find_its_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    main(["db", "upgrade", "--db", url])
    with pytest.raises(SystemExit) as exit_:
        main(["channel", "link", "P2", "--slack", "#p2-udrulning", "--db", url])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "'#p2-udrulning' is not a Slack channel id" in err
    assert "copy the Channel ID" in err and "C0123ABCD" in err
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from channel_link").scalar() == 0


def test_a_roster_csv_without_its_header_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    (tmp_path / "pilots.csv").write_text("751,P2\n730,P2\n", encoding="utf-8")
    assert main(["roster", "import", "pilots.csv", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "pilots.csv:1: the first line must name the columns, e.g. `code,wave`" in err
    assert "a row, not a header" in err and "Nothing was imported." in err
    assert not (tmp_path / "x.db").exists()


def test_every_bad_roster_row_is_reported_and_none_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    (tmp_path / "r.csv").write_text("code,wave\n751,P2\n9999,P2\nxx,P2\n730,P9\n", encoding="utf-8")
    assert main(["roster", "import", "r.csv", "--db", url]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "roster import: 3 problems, nothing imported:"
    assert err[1:] == [
        "  r.csv:3: unknown municipality code '9999'",
        "  r.csv:4: unknown municipality code 'xx'",
        "  r.csv: Randers has unknown wave 'P9' (waves: K91, P1, P2)",
    ]
    assert not (tmp_path / "x.db").exists()  # checked whole before the database is opened


@pytest.mark.parametrize(
    ("today", "line"),
    [
        ("2020-01-21", "5 working days before KP-3 for P2 (2020-01-28)."),
        ("2020-01-27", "1 working day before KP-3 for P2 (2020-01-28)."),
        ("2020-01-28", "the day of KP-3 for P2."),
        ("2020-03-20", "7 working days before KP-3 for K91 (2020-03-31)."),
        ("2021-06-01", "after KP-4 for K91 (2020-04-01), the last gate of the plan."),
    ],
)
def test_the_demo_first_line_is_true_for_any_date(sf1590_graph: PlanGraph, today: str, line: str) -> None:
    assert replay_line(sf1590_graph, date.fromisoformat(today)) == (
        f"Replaying the plan on {today} (--today): {line}"
    )


def test_make_demo_reset_deletes_the_demo_database_not_the_venv() -> None:
    done = subprocess.run(
        ["make", "-n", "demo-reset", "DEMO_FILE=demo-x.db"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    removal = next(line for line in done.stdout.splitlines() if line.startswith("rm "))
    assert removal == "rm -f demo-x.db demo-x.db-wal demo-x.db-shm"
    assert ".venv" not in removal
