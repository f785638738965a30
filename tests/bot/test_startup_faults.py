"""Start-up faults say one line (what is wrong, what to do) and exit != 0; `serve` outlives Slack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.cli import main
from bot.faults import describe
from bot.teams.settings import APP_ID_VAR, SECRET_VAR
from storage.engine import make_engine
from storage.migrate import is_current, upgrade
from tests.bot.slack.conftest import BOT_TOKEN, SECRET, SlackUser
from tests.bot.slack.fake_slack import FakeSlack, closed_port

ROOT = Path(__file__).resolve().parents[2]
SF1590 = [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())"]


def _one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _console(capsys: pytest.CaptureFixture[str], url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", iter(["help\n"]))
    return _one_line(capsys, ["console", "--db", url])


def test_an_unreachable_postgresql_exits_with_one_line_and_no_traceback() -> None:
    done = subprocess.run(
        [*SF1590, "console", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x"],
        input="help\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "cannot reach the database server" in line and "127.0.0.1:1" in line


def test_a_read_only_database_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ro.db"
    assert main(["db", "upgrade", "--db", f"sqlite:///{path}"]) == 0
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:  # root ignores file modes: open it read-only as well, as a read-only mount would
        url = f"sqlite:///file:{path}?mode=ro&uri=true" if os.geteuid() == 0 else f"sqlite:///{path}"
        line = _console(capsys, url, monkeypatch)
    finally:
        tmp_path.chmod(0o755)
    assert "read-only" in line and "write access" in line


def test_a_corrupt_database_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(os.urandom(8192))
    line = _console(capsys, f"sqlite:///{path}", monkeypatch)
    assert "not an SQLite database or is damaged" in line and "backup" in line


@pytest.mark.parametrize(
    "url, expected",
    [
        ("foo://x", "`foo` databases are not supported"),
        ("mysql://u:secret@h/db", "`mysql` databases are not supported"),
        ("not a url", "is not a database URL"),
        ("sqlite:////no/such/folder/x.db", "does its folder exist"),
    ],
)
def test_a_bad_url_says_what_would_be_valid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    line = _console(capsys, url, monkeypatch)
    assert expected in line and "secret" not in line


def test_a_full_database_is_named_as_such(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'full.db'}"
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def tiny(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA max_page_count=8")  # type: ignore[attr-defined]

    with pytest.raises(OperationalError) as raised:
        upgrade(engine)
    line = describe(raised.value, url)
    assert line is not None and "full" in line and "free some space" in line


@pytest.fixture
def encoded_role(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A role whose password needs URL-encoding (p@ss%w), owning a schema of its own."""
    name = f"r_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD 'p@ss%w'"))
        connection.execute(text(f"CREATE SCHEMA {name} AUTHORIZATION {name}"))
    url = make_engine(postgres_url).url.set(username=name, password="p@ss%w")
    try:
        yield url.render_as_string(hide_password=False), name
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
            connection.execute(text(f"DROP ROLE {name}"))
        admin.dispose()


@pytest.mark.postgres
def test_a_url_encoded_password_works_for_migrations(
    encoded_role: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, schema = encoded_role
    assert "p%40ss%25w" in url  # "%" is what Alembic's config would have read as interpolation
    engine = make_engine(url, schema=schema)
    upgrade(engine)
    assert is_current(engine)
    engine.dispose()
    in_schema = f"{url}?options=-csearch_path%3D{schema}"
    assert main(["db", "upgrade", "--db", in_schema]) == 0
    assert "schema is up to date" in capsys.readouterr().out


# -- `sf1590 serve` while Slack does not answer ---------------------------------------------


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


TEAMS_ENV = {APP_ID_VAR: "00000000-0000-0000-0000-0000000000aa", SECRET_VAR: "test-secret"}


def _commands_counted(http: httpx.Client, base: str, verb: str, outcome: str) -> float:
    """``sf1590_commands_total{verb, outcome}`` as scraped from GET /metrics (0 when absent)."""
    scraped = http.get(f"{base}/metrics")
    assert scraped.status_code == 200
    for family in text_string_to_metric_families(scraped.text):
        for sample in family.samples:
            if sample.name == "sf1590_commands_total" and sample.labels == {"verb": verb, "outcome": outcome}:
                return sample.value
    return 0.0


@pytest.mark.parametrize(
    "platforms, workers",
    [({}, "0"), (TEAMS_ENV, "1")],
    ids=["slack-only-in-threads", "slack-and-teams-with-a-worker-process"],
)
def test_serve_stays_up_while_slack_is_down_and_works_once_it_answers(
    tmp_path: Path, platforms: dict[str, str], workers: str
) -> None:
    api_port, port = closed_port(), closed_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SF1590_WORKERS": workers,
    }
    env.pop(APP_ID_VAR, None)
    env.update(platforms)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([*SF1590, "serve"], env=env, cwd=ROOT, stdout=log, stderr=log)
    fake = FakeSlack()
    try:
        _wait(lambda: _port_answers(port) or server.poll() is not None, 60, "the port")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert bool(children) == (workers != "0")  # SF1590_WORKERS holds with Teams too
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=2) as http:  # /healthz answers within 2 s, naming Slack
            health = http.get(f"{base}/healthz")
            assert health.status_code == 503 and health.text.startswith("slack: ")
            assert "database: ok" in health.text.splitlines()
            user = SlackUser(base, fake, http)
            assert user.command("help", "U0NOBODY").status_code == 503
            _wait(
                lambda: "not reachable yet" in http.get(f"{base}/healthz").text,
                30,
                "the first failed auth.test",
            )
            fake.start(port=api_port)  # Slack comes back
            _wait(lambda: http.get(f"{base}/healthz").status_code == 200, 30, "Slack's retry")
            lines = http.get(f"{base}/healthz").text.splitlines()
            assert lines[:3] == ["ok", "database: ok", "slack: ok"]
            assert "scheduler: no sweep recorded yet (is `sf1590 scheduler` running?)" in lines
            assert any(line.startswith("teams: tokens checked for app") for line in lines) == bool(platforms)
            before = _commands_counted(http, base, "help", "ok")
            assert user.command("help", "U0NOBODY").status_code == 200
            assert "/sf1590" in str(user.answer(1)["blocks"])
            # counted where served: with workers, once the worker that posted the answer has
            # handed its sample back to the web process, a moment after the answer arrived
            deadline = time.monotonic() + 10
            while _commands_counted(http, base, "help", "ok") < before + 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _commands_counted(http, base, "help", "ok") == before + 1
        assert "Traceback" not in (tmp_path / "serve.log").read_text()
        assert "Slack auth.test failed" in (tmp_path / "serve.log").read_text()
    finally:
        server.terminate()
        server.wait(10)
        fake.stop()
        log.close()


def test_describe_leaves_bugs_alone() -> None:
    assert describe(KeyError("x"), "sqlite:///x.db") is None


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["reminders", "preview", "--days", "9" * 5000], "is not a whole number from 1 to 366"),
        (["reminders", "preview", "--days", "²"], "is not a whole number from 1 to 366"),
        (["reminders", "preview", "--today", "9999-12-31"], "is not between 1900 and 2200"),
        (["reminders", "send", "--now", "garbage"], "is not a date-time like 2020-01-21T08:00"),
        (["scheduler", "--every", "0"], "is not a whole number from 1 to 86400"),
    ],
)
def test_odd_numbers_and_dates_on_the_command_line_are_refused_clearly(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err) < 600


def test_serve_with_a_corrupt_database_exits_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(os.urandom(8192))
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/",
        "DATABASE_URL": f"sqlite:///{path}",
        "SF1590_WORKERS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", raising=False)
    line = _one_line(capsys, ["serve"])
    assert line.startswith("sf1590 serve: database sqlite:///") and "damaged" in line


def test_a_fault_in_the_middle_of_a_console_session_is_one_line_and_the_session_goes_on(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    first = subprocess.run(
        [*SF1590, "console", "--db", url], input="", capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert first.returncode == 0
    engine = make_engine(url)
    with engine.begin() as connection:  # a table lost behind the bot's back: a real fault
        connection.exec_driver_sql("DROP TABLE channel_setting")  # read by `remind` alone
    engine.dispose()
    done = subprocess.run(
        [*SF1590, "console", "--db", url, "--channel", "rehearsal"],
        capture_output=True,
        text=True,
        input="remind\nnext aarhus\n",
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0
    assert "something went wrong on our side (reference" in done.stdout
    assert "Aarhus (P2):" in done.stdout  # the next command still ran
    (line,) = done.stderr.strip().splitlines()
    assert "no such table: channel_setting" in line and "Traceback" not in done.stderr


def test_socket_mode_with_slack_down_exits_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No web server to keep up in Socket Mode: say why and stop, for the supervisor to retry."""
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-test",
        "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "SF1590_WORKERS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", raising=False)
    line = _one_line(capsys, ["serve"])
    assert line.startswith("sf1590 serve: Slack did not answer") and "SLACK_API_URL" in line
