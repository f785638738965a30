"""Operating the bot: /healthz per part, /metrics, JSON logs and `sf1590 db backup`."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from bot.cli import main
from bot.clock import FixedClock
from bot.health import Health, database_check
from bot.logs import JsonFormatter
from bot.metrics import REGISTRY
from bot.runtime import Runtime, open_runtime
from bot.scheduler.service import tick
from bot.settings import Settings
from bot.web import build_web, web_app
from storage.engine import make_engine
from storage.people import SqlPeopleStore
from storage.ports import Change
from tests.asgi_server import serve
from tests.bot.recording_slack import RecordingSlack
from tests.bot.test_scheduler import ADMIN, at, seed, sweeper

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[RecordingSlack]:
    server = RecordingSlack().start()
    yield server
    server.stop()


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'op.db'}"), FixedClock(at("2019-09-01")))
    seed(rt)
    return rt


@contextmanager
def _client(app: Starlette) -> Iterator[httpx.Client]:
    """An HTTP client of ``app`` served for real on a local port."""
    for base in serve(app):
        with httpx.Client(base_url=base, timeout=10) as client:
            yield client


def _scraped(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_the_scheduler_s_last_sweep_shows_in_healthz_and_metrics_from_the_database(
    runtime: Runtime, fake: RecordingSlack
) -> None:
    SqlPeopleStore(runtime.engine).link_channel(
        "slack", "C0P2", "P2", change=Change("test", "test", at("2019-09-30", 20))
    )
    clock = FixedClock(at("2019-10-01", 8, 0, 30))
    report = tick(sweeper(runtime, fake), clock)  # what `sf1590 scheduler` runs every minute
    assert report is not None and report.sent
    runtime.clock = clock
    web = build_web({"SF1590_SCHEDULER_MAX_AGE": "120"}, None, runtime=runtime)
    with _client(web.app) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and "scheduler: ok" in health.text.splitlines()
        metrics = _scraped(client)
        assert metrics[("sf1590_outbox", (("state", "sent"),))] == len(fake.posted())
        assert metrics[("sf1590_outbox", (("state", "pending"),))] == 0
        assert metrics[("sf1590_scheduler_lag_seconds", ())] == 0
        clock.moment += timedelta(minutes=10)  # the scheduler stopped sweeping
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.text.splitlines()[0] == (
            "scheduler: last sweep 600 s ago (2019-10-01T06:00:30+00:00), "
            "more than SF1590_SCHEDULER_MAX_AGE=120 s"
        )
        assert _scraped(client)[("sf1590_scheduler_lag_seconds", ())] == 600
        assert client.get("/healthz?format=json").json() == {
            "status": "down",
            "parts": {
                "scheduler": health.text.splitlines()[0].removeprefix("scheduler: "),
                "database": "ok",
            },
        }


def test_healthz_names_a_database_that_does_not_answer_within_two_seconds() -> None:
    health = Health()
    health.add("database", database_check(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/x")))
    with _client(web_app(health=health)) as client:
        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.text.startswith("database: SELECT 1 failed: OperationalError")


def test_commands_are_counted_by_verb_and_outcome(demo_runtime: Runtime) -> None:
    web = build_web({}, None, runtime=demo_runtime)
    with _client(web.app) as client:
        before = _scraped(client)
        demo_runtime.answer("console", "u", None, "next aarhus")
        demo_runtime.answer("console", "u", None, "next atlantis")  # not a municipality
        demo_runtime.answer("console", "u", None, "rm -rf /")  # not a verb: no label of its own
        after = _scraped(client)

    def grew(verb: str, outcome: str) -> float:
        key = ("sf1590_commands_total", (("outcome", outcome), ("verb", verb)))
        return after.get(key, 0) - before.get(key, 0)

    assert (grew("next", "ok"), grew("next", "user_error"), grew("unknown", "user_error")) == (1, 1, 1)
    count = ("sf1590_command_seconds_count", (("verb", "next"),))
    assert after[count] - before.get(count, 0) == 2


def test_an_internal_error_is_counted_as_such_and_logged_with_its_reference_as_json(
    demo_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with demo_runtime.engine.begin() as connection:  # a table lost behind the bot's back
        connection.exec_driver_sql("DROP TABLE wave_move")
    labels = {"verb": "decide", "outcome": "internal_error"}
    before = REGISTRY.get_sample_value("sf1590_commands_total", labels) or 0
    with caplog.at_level(logging.ERROR):
        answer = demo_runtime.answer(
            "console", "ada", None, "decide KP-3 P2 vejen no-go it failed", actor=ADMIN
        )
    assert REGISTRY.get_sample_value("sf1590_commands_total", labels) == before + 1
    reference = answer.reply.extra["reference"]
    assert reference in answer.reply.headline
    (record,) = [r for r in caplog.records if r.name == "commands.core"]
    event = json.loads(JsonFormatter().format(record))
    assert event["reference"] == reference and event["level"] == "ERROR"
    assert "no such table: wave_move" in event["exception"]


def test_json_logs_are_one_event_per_line_with_the_reference() -> None:
    logged = subprocess.run(
        [
            sys.executable,
            "-c",
            "import logging; from bot import logs; logs.setup(); "
            "logging.getLogger('x').warning('hello %s', 'there', extra={'reference': 'abc123'})",
        ],
        env={"SF1590_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    (line,) = logged.stderr.splitlines()
    event = json.loads(line)
    assert (event["message"], event["reference"], event["logger"]) == ("hello there", "abc123", "x")


def test_db_backup_while_another_connection_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "live.db"
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA journal_mode=WAL")  # as storage.engine opens it
        db.execute("CREATE TABLE t (n INTEGER, pad TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [(i, "x" * 500) for i in range(5000)])
    stop = threading.Event()
    written = [0]

    def writer() -> None:  # commits one row at a time while the backup runs
        with sqlite3.connect(source, timeout=30) as db:
            while not stop.is_set():
                db.execute("INSERT INTO t VALUES (?, ?)", (-1, "y" * 500))
                db.commit()
                written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:  # the writer is writing
            time.sleep(0.01)
        assert main(["db", "backup", str(tmp_path / "copy.db"), "--db", f"sqlite:///{source}"]) == 0
    finally:
        stop.set()
        thread.join()
    assert "integrity check ok" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows, extra = copy.execute("SELECT count(*), sum(n = -1) FROM t").fetchone()
    assert rows == 5000 + extra and extra >= 20  # one committed state, the writer's rows included
    assert written[0] > extra  # the writer went on meanwhile; the copy is a moment of it
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(
    "url, target, expected",
    [
        ("postgresql+psycopg://u@h/db", "x.dump", "use its own tool, e.g. `pg_dump --format=custom"),
        ("sqlite:///{tmp}/none.db", "x.db", "there is no database at"),
        ("sqlite:///{tmp}/live.db", "live.db", "exists already; name a new file (nothing was overwritten)"),
    ],
)
def test_db_backup_refuses_clearly_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, target: str, expected: str
) -> None:
    sqlite3.connect(tmp_path / "live.db").close()
    before = sorted(tmp_path.iterdir())
    argv = ["db", "backup", str(tmp_path / target), "--db", url.format(tmp=tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sf1590 db backup: ") and expected in err
    assert sorted(tmp_path.iterdir()) == before
