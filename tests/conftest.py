"""Shared fixtures: plans, stores on SQLite and PostgreSQL, a console bot to talk to."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime, seed_demo
from bot.settings import Settings
from commands.context import Actor, Invocation
from rollout.graph import PlanGraph
from rollout.plan_loader import load_plan, load_plan_file
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlRolloutStore
from storage.roster import read_demo_roster

ROOT = Path(__file__).resolve().parents[1]
PLAN_PATH = ROOT / "plans" / "sf1590.yaml"

# A small plan with the same shape as the real one: two waves, criteria, a chain, a gate.
MINI_PLAN = """
plan: {id: mini, title_da: Mini, title_en: Mini, tracked_diagrams: [A, B],
       default_task_duration_days: 2}
waves:
  - {id: W1, name_da: Bølge 1, name_en: Wave 1, next: W2}
  - {id: W2, name_da: Bølge 2, name_en: Wave 2, next: null}
roles:
  - {id: municipality, name_da: Kommunen, name_en: Municipality}
  - {id: supplier, name_da: Leverandøren, name_en: Supplier}
phases:
  - {id: initiation, name_da: Initiering, name_en: Initiation}
  - {id: preparation, name_da: Klargøring, name_en: Preparation}
diagrams:
  - id: A
    integration: SF1590_A
    phase_gates: {initiation: GATE, preparation: GATE}
    gates:
      - {id: GATE, kind: readiness, name_da: Gate, name_en: Gate,
         dates: {W1: 2019-12-20, W2: 2020-03-06}}
      - {id: KP-3, kind: go_no_go, name_da: KP-3 Go/no-go, name_en: KP-3,
         dates: {W1: 2020-01-28, W2: 2020-03-31}}
    milestones:
      - {id: START, kind: deadline, name_da: Startkriterier, name_en: Start criteria,
         dates: {W1: 2019-12-02, W2: 2020-02-03}}
    tasks:
      - {code: TF100, title_da: Aftale, title_en: Agreement, kind: criterion,
         role: municipality, scope: municipality, phase: initiation, deadline: START}
      - {code: TS100, title_da: Fælles sortiment, title_en: Common sortiment,
         role: supplier, scope: system, phase: preparation}
      - {code: TS110, title_da: Oprettelse af serviceaftale, title_en: Create agreement,
         role: supplier, scope: municipality, phase: preparation}
      - {code: TS111, title_da: Godkendelse af serviceaftale, title_en: Approve agreement,
         role: municipality, scope: municipality, phase: preparation, duration_days: 3}
      - {code: TS213, title_da: Abonnement, title_en: Subscription, role: supplier,
         scope: municipality, phase: preparation}
    edges:
      - {from_group: criteria, to_group: tasks, provenance: stated, confidence: stated, why: heading}
      - {from: TS110, to: TS111, provenance: domain, confidence: likely, why: create then approve}
      - {from: TS100, to: TS213, provenance: domain, confidence: guess, why: sortiment first}
  - id: B
    integration: SF1590_B
    phase_gates: {preparation: KP-3}
    gates:
      - {id: KP-3, kind: go_no_go, name_da: KP-3 Go/no-go, name_en: KP-3,
         dates: {W1: 2020-01-28, W2: 2020-03-31}}
    tasks:
      - {code: TS213, title_da: Abonnement B, title_en: Subscription B, role: supplier,
         scope: municipality, phase: preparation}
      - {code: TS101, title_da: Supplering, title_en: Supplement, role: municipality,
         scope: municipality, phase: preparation, not_applicable: "Ikke med diagrammet"}
"""


@pytest.fixture(scope="session")
def mini_plan():  # type: ignore[no-untyped-def]
    return load_plan(MINI_PLAN, source="mini")


@pytest.fixture(scope="session")
def mini_graph(mini_plan):  # type: ignore[no-untyped-def]
    return PlanGraph(mini_plan)


@pytest.fixture(scope="session")
def sf1590_plan():  # type: ignore[no-untyped-def]
    return load_plan_file(PLAN_PATH)


@pytest.fixture(scope="session")
def sf1590_graph(sf1590_plan):  # type: ignore[no-untyped-def]
    return PlanGraph(sf1590_plan)


# -- databases ------------------------------------------------------------------------------


def _postgres_url() -> str | None:
    """A PostgreSQL server for the tests: $TEST_DATABASE_URL, the local one, or a throwaway."""
    candidates = [os.environ.get("TEST_DATABASE_URL"), "postgresql+psycopg://postgres@127.0.0.1:5432/test"]
    for url in filter(None, candidates):
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("select 1"))
            return url
        except OperationalError:
            continue
        finally:
            engine.dispose()
    return _throwaway_cluster()


def _throwaway_cluster() -> str | None:
    """Start a private cluster as the unprivileged postgres user (initdb refuses root)."""
    initdb = shutil.which("initdb") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if initdb is None or shutil.which("runuser") is None:
        return None
    data = Path(tempfile.mkdtemp(prefix="sf1590-pg-"))
    shutil.chown(data, "postgres")
    bindir = Path(initdb).parent
    port = str(_free_port())
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_pg, str(bindir / "initdb"), "-A", "trust", "-D", str(data / "d")],
        check=True,
        capture_output=True,
    )
    # -l: the server writes to a log file, not to our pipes (else run() waits for it to exit)
    subprocess.run(
        [
            *as_pg,
            str(bindir / "pg_ctl"),
            "-D",
            str(data / "d"),
            "-l",
            str(data / "log"),
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    _STARTED.append(lambda: _stop_cluster(as_pg, bindir, data))
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    _wait_until_it_answers(url, timeout=60)
    return url


_STARTED: list[Callable[[], None]] = []  # stops the private clusters this run started


def _stop_cluster(as_pg: list[str], bindir: Path, data: Path) -> None:
    subprocess.run(
        [*as_pg, str(bindir / "pg_ctl"), "-D", str(data / "d"), "-m", "fast", "-w", "stop"],
        check=False,
        capture_output=True,
    )
    shutil.rmtree(data, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_it_answers(url: str, *, timeout: float) -> None:
    """Poll the new server until it accepts a query (``pg_ctl -w`` may return before TCP does)."""
    deadline = time.monotonic() + timeout
    engine = make_engine(url)
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("select 1"))
                return
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = _postgres_url()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("No PostgreSQL server for the tests, and under CI they must not skip.")
        pytest.skip("No PostgreSQL server answered (set TEST_DATABASE_URL) and none could be started here.")
    yield url
    while _STARTED:
        _STARTED.pop()()


def _postgres_engine(url: str) -> Iterator[Engine]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: a real SQLite file, then a real PostgreSQL schema of its own."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    for eng in _postgres_engine(url):
        upgrade(eng)
        yield eng


@pytest.fixture
def store(engine: Engine) -> SqlRolloutStore:
    return SqlRolloutStore(engine)


# -- a bot on the real plan ----------------------------------------------------------------

DEMO_DAY = date(2020, 1, 21)


@pytest.fixture
def roster_runtime(engine: Engine) -> Runtime:
    """The real plan and the demo roster (98 municipalities), no progress yet, on ``engine``
    (a SQLite file and PostgreSQL)."""
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    made = open_runtime(settings, FixedClock.at(DEMO_DAY), migrate=False, engine=engine)
    roster = read_demo_roster(settings.demo_roster_path, settings.municipalities_path)
    admin = Actor("anna", "Anna", is_admin=True)
    made.store.save_municipalities(roster, change=made.context().change(Invocation("", admin, "cli")))
    return made


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded demo database, built once per test run and copied for each test."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    runtime = open_runtime(settings, FixedClock.at(DEMO_DAY))
    seed_demo(runtime, settings)
    with runtime.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    runtime.engine.dispose()
    return path


@pytest.fixture
def demo_runtime(tmp_path: Path, demo_template: Path) -> Runtime:
    """The quick-start bot: SQLite file, SF1590 plan, demo roster and progress, on 2020-01-21."""
    shutil.copy(demo_template, tmp_path / "demo.db")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    return open_runtime(settings, FixedClock.at(DEMO_DAY))
