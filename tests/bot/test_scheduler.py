"""The scheduler end to end: real plan, a fresh small roster, the outbox on SQLite or PostgreSQL,
and the Slack notifier talking HTTP to a fake Slack Web API, with a controlled clock."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.scheduler import SweepConfig, Sweeper
from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from commands.context import Actor, Invocation
from rollout.model import Municipality
from rollout.reminders import due_on
from storage.outbox import SqlOutbox
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from storage.reminders import SqlReminderSettings
from storage.tables import OutboxRow
from tests.bot.recording_slack import RecordingSlack
from tests.conftest import _postgres_engine

CPH = ZoneInfo("Europe/Copenhagen")
ROOT = Path(__file__).resolve().parents[2]
AARHUS = Municipality(751, "Aarhus", "aarhus", "P2")
RANDERS = Municipality(730, "Randers", "randers", "P2")
ASSENS = Municipality(420, "Assens", "assens", "P1")
SEEDED = datetime(2019, 9, 1, tzinfo=UTC)
ADMIN = Actor("ada", "Ada Admin", is_admin=True)


def at(day: str, hour: int = 8, minute: int = 0, second: int = 30) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute, second), CPH)


def seed(runtime: Runtime, *, p1: bool = False) -> None:
    """Three municipalities, nothing done; P2 (and P1) linked to channels; Bo maps to U0BO."""
    change = Change("test", "test", SEEDED)
    runtime.store.save_municipalities([AARHUS, RANDERS, ASSENS], change=change)
    people = SqlPeopleStore(runtime.engine)
    people.link_channel("slack", "C0P2", "P2", change=change)
    if p1:
        people.link_channel("slack", "C0P1", "P1", change=change)
    people.register(
        "slack",
        "U0BO",
        Person(
            "bo",
            "Bo Supplier",
            roles=frozenset({"bookkeeping_supplier"}),
            municipalities=frozenset({AARHUS.code}),
        ),
        change=change,
    )


@pytest.fixture
def fake() -> Iterator[RecordingSlack]:
    server = RecordingSlack().start()
    yield server
    server.stop()


def runtime_on(engine: Engine, day: str = "2019-09-01") -> Runtime:
    return open_runtime(Settings(database_url=str(engine.url)), FixedClock(at(day)), engine=engine)


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'sched.db'}")
    rt = open_runtime(settings, FixedClock(at("2019-09-01")))
    seed(rt)
    return rt


def notifier(fake: RecordingSlack) -> SlackNotifier:
    return SlackNotifier(WebClient(token="xoxb-test", base_url=f"{fake.url}/api/", retry_handlers=[]))


def sweeper(runtime: Runtime, fake: RecordingSlack, **config: object) -> Sweeper:
    return Sweeper(runtime, {"slack": notifier(fake)}, config=SweepConfig(min_interval=0, **config))  # type: ignore[arg-type]


def live(rows: list[OutboxRow]) -> list[OutboxRow]:
    """Rows not dropped (a first sweep drops what was due too long ago)."""
    return [r for r in rows if r.status != "dropped"]


def texts(body: dict[str, object]) -> str:
    return str(body.get("blocks"))


# -- the P2 wave, October to February ----------------------------------------------------------


def test_p2_simulation_posts_exactly_the_expected_messages_on_working_days(
    runtime: Runtime, fake: RecordingSlack
) -> None:
    # the channel is linked the evening before the simulation starts: nothing earlier is owed
    SqlPeopleStore(runtime.engine).link_channel(
        "slack", "C0P2", "P2", change=Change("test", "test", at("2019-09-30", 20))
    )
    sweep = sweeper(runtime, fake)
    rollout = sweep.snapshot()
    targets = SqlReminderSettings(runtime.engine).targets()
    day = date(2019, 10, 1)
    by_day: dict[date, list[str]] = {}
    while day <= date(2020, 2, 15):
        before = len(fake.posted())
        assert not sweep.sweep(at(day.isoformat(), 7, 59)).sent  # nothing before 08:00
        sweep.sweep(at(day.isoformat(), 8, 0, 30))
        by_day[day] = fake.posted_keys()[before:]
        expected = [i.key for i in due_on(rollout, targets, day)]
        assert sorted(by_day[day]) == sorted(expected), day
        day += timedelta(days=1)
    calendar = runtime.graph.calendar
    assert all(keys == [] for d, keys in by_day.items() if not calendar.is_working_day(d))
    for closed in ("2019-12-24", "2019-12-25", "2019-12-26", "2019-12-31", "2020-01-01"):
        assert by_day[date.fromisoformat(closed)] == []
    assert all(
        any(k.startswith("digest|") for k in keys) for d, keys in by_day.items() if calendar.is_working_day(d)
    )
    keys = fake.posted_keys()
    assert len(keys) == len(set(keys))  # each once
    countdown = next(
        b
        for b in fake.posted("C0P2")
        if b["metadata"]["event_payload"]["key"] == "countdown|P2|slack:C0P2|KP-3|2020-01-21"
    )
    assert "KP-3 Go/no-go for P2 on 2020-01-28: 5 working days left" in texts(countdown)
    assert "Aarhus: lacks" in texts(countdown)
    deadlines = [b for b in fake.posted() if b["metadata"]["event_payload"]["key"].startswith("deadline|")]
    assert any("<@U0BO>" in texts(b) for b in deadlines)  # Bo owns Aarhus's bookkeeping tasks
    assert all("done " in texts(b) for b in deadlines)  # Done buttons
    assert all(r.status == "sent" for r in SqlOutbox(runtime.engine).rows())


def test_a_task_marked_done_before_its_reminder_fires_gets_none(
    runtime: Runtime, fake: RecordingSlack
) -> None:
    sweep = sweeper(runtime, fake)
    sweep.sweep(at("2020-01-21"))  # 5 working days before 2020-01-28
    (five,) = [b for b in fake.posted() if b["metadata"]["event_payload"]["key"].startswith("deadline|")]
    assert "done C/TS103@751" in texts(five) and "done C/TS103@730" in texts(five)
    runtime.clock = FixedClock(at("2020-01-23", 15))
    reply = runtime.run(Invocation("done C/TS103 aarhus", ADMIN, "console"))
    assert reply.changed
    sweep.sweep(at("2020-01-27"))  # 1 working day before
    (one,) = [
        b
        for b in fake.posted()
        if b["metadata"]["event_payload"]["key"] == "deadline|P2|slack:C0P2|deadlines|2020-01-27"
    ]
    assert "done C/TS103@751" not in texts(one) and "done C/TS103@730" in texts(one)


# -- failures: crash, Slack errors, downtime ---------------------------------------------------


def run_worker(
    db: str, fake: RecordingSlack, start: datetime, *more: str, schema: str | None = None, wait: bool = True
) -> subprocess.Popen[str]:
    argv = [
        sys.executable,
        "-m",
        "tests.bot.scheduler_worker",
        "--db",
        db,
        "--slack",
        fake.url,
        "--start",
        start.isoformat(),
        *more,
    ]
    if schema:
        argv += ["--schema", schema]
    proc = subprocess.Popen(
        argv, cwd=ROOT, text=True, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    if wait:
        proc.wait(120)
    return proc


@pytest.mark.parametrize("moment", ["after-claim", "after-post"])
def test_killed_between_claim_and_send_then_restarted_sends_once(
    runtime: Runtime, fake: RecordingSlack, moment: str
) -> None:
    db = str(runtime.engine.url)
    lease = ["--lease-seconds", "60"]  # leases count wall time; a loaded machine is slow to start
    first = run_worker(db, fake, at("2020-01-21"), "--crash", moment, *lease)
    assert first.returncode == -9  # SIGKILL, for real
    outbox = SqlOutbox(runtime.engine)
    held = [r for r in outbox.rows() if r.claimed_by and r.status == "pending"]
    assert len(held) == 1 and held[0].attempts == 1
    assert len(fake.posted()) == (1 if moment == "after-post" else 0)
    # restarted within the lease: the held message, and those after it in its channel, wait
    run_worker(db, fake, at("2020-01-21", 8, 2), *lease)
    assert len(fake.posted()) == (1 if moment == "after-post" else 0)
    # after the lease: taken over; Slack's history is searched for the key before posting again
    last = run_worker(db, fake, at("2020-01-21", 8, 10), *lease, "--wall-ahead-seconds", "61")
    assert last.returncode == 0, last.stderr.read() if last.stderr else ""
    keys = fake.posted_keys()
    rows = [r for r in outbox.rows() if r.status != "dropped"]
    assert sorted(keys) == sorted(r.key for r in rows) and len(keys) == len(set(keys))
    assert all(r.status == "sent" for r in rows)
    assert fake.of("conversations.history")  # looked before re-sending
    assert keys == [r.key for r in sorted(rows, key=lambda r: (r.due_at, r.id))]  # in order


def test_slack_500_then_429_then_200_arrives_once_in_order_and_nothing_is_lost(
    tmp_path: Path, fake: RecordingSlack
) -> None:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'f.db'}"), FixedClock(at("2019-09-01")))
    seed(rt, p1=True)
    fake.answer_next("chat.postMessage", 500)
    fake.answer_next("chat.postMessage", 429, retry_after=120)
    now = at("2019-11-26")  # P1: KP-3 day; P2: deadlines and its digest
    wall = [now]  # the wall clock moves with the rollout's clock here
    sweep = Sweeper(rt, {"slack": notifier(fake)}, config=SweepConfig(min_interval=0), wall=lambda: wall[0])
    first = sweep.sweep(now)
    assert len(first.failed) == 2 and not first.sent  # both channels' first messages failed
    statuses = [c.status for c in fake.calls if c.method == "chat.postMessage"]
    assert statuses == [500, 429]
    wall[0] = now + timedelta(seconds=60)
    later = sweep.sweep(wall[0])  # the 500 is retried (backoff 30 s) ...
    retried = [k for k in later.sent]
    assert retried and not any(k.split("|")[2] == second_channel(first) for k in retried)
    wall[0] = now + timedelta(seconds=121)
    sweep.sweep(wall[0])  # ... the 429 only after its Retry-After
    outbox = live(SqlOutbox(rt.engine).rows())
    assert all(r.status == "sent" for r in outbox)
    for channel in ("C0P1", "C0P2"):
        planned = [r.key for r in sorted(outbox, key=lambda r: (r.due_at, r.id)) if r.channel_id == channel]
        assert fake.posted_keys(channel) == planned  # once each, in order
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"][:2] == [500, 429]


def second_channel(report: object) -> str:
    failed = report.failed  # type: ignore[attr-defined]
    return str(failed[1].split("|")[2])


def test_after_downtime_missed_messages_come_once_marked_late_and_stale_ones_are_dropped(
    runtime: Runtime, fake: RecordingSlack, caplog: pytest.LogCaptureFixture
) -> None:
    sweep = sweeper(runtime, fake)
    caplog.set_level(logging.WARNING)
    report = sweep.sweep(at("2020-01-21", 11))  # down since Friday; 3 hours late today
    assert report.dropped and all(
        k.endswith("2020-01-17") or k.endswith("2020-01-20") for k in report.dropped
    )
    assert any("dropped" in r.message and "too old" in r.message for r in caplog.records)
    posted = fake.posted()
    assert posted and all(b["metadata"]["event_payload"]["key"].endswith("2020-01-21") for b in posted)
    assert all("(late)" in texts(b) and "planned for 2020-01-21 08:00" in texts(b) for b in posted)
    assert not sweep.sweep(at("2020-01-21", 12)).sent  # once


def test_channel_settings_pause_resume_time_and_personal_messages(
    runtime: Runtime, fake: RecordingSlack
) -> None:
    runtime.clock = FixedClock(at("2020-01-20", 17))

    def say(text: str, user: Actor = ADMIN) -> str:
        inv = Invocation(text, user, "slack", "P2", channel="C0P2")
        return runtime.run(inv).headline

    assert "paused" in say("remind pause 3d")
    sweep = sweeper(runtime, fake)
    sweep.sweep(at("2020-01-21"))
    assert fake.posted() == []
    runtime.clock = FixedClock(at("2020-01-21", 12))
    assert "resumed" in say("remind resume")
    assert "09:15" in say("remind time 09:15")
    assert "deadline, countdown" in say("remind kinds deadline,countdown")
    bo = Actor(
        "bo",
        "Bo Supplier",
        roles=frozenset({"bookkeeping_supplier"}),
        municipalities=frozenset({AARHUS.code}),
    )
    assert "Every working day" in say("remind me on", bo)
    assert "Only an admin" in say("remind pause 1d", bo)
    sweep.sweep(at("2020-01-21", 23))  # held back while paused: never sent later
    assert fake.posted() == []
    sweep.sweep(at("2020-01-22", 9, 0))
    assert fake.posted("C0P2") == [] and fake.posted("U0BO")  # 08:00 personal, 09:15 channel
    sweep.sweep(at("2020-01-22", 9, 15))
    kinds = {k.split("|")[0] for k in fake.posted_keys("C0P2")}
    assert "countdown" in kinds and kinds <= {"deadline", "countdown"}
    assert "tasks can start now" in texts(fake.posted("U0BO")[0])


def test_a_wave_manager_gets_the_overdue_escalation(runtime: Runtime, fake: RecordingSlack) -> None:
    change = Change("test", "test", SEEDED)
    SqlPeopleStore(runtime.engine).register(
        "slack", "U0MGR", Person("mia", "Mia Manager", manages=frozenset({"P2"})), change=change
    )
    # the weekly escalation of the late tasks that could be done (nothing they wait on is
    # open) falls on Wednesday 2020-01-22; tasks that still wait are not escalated
    sweeper(runtime, fake).sweep(at("2020-01-22"))
    assert [k.split("|")[0] for k in fake.posted_keys("U0MGR")] == ["overdue"]


def test_posts_to_one_channel_are_spaced_by_the_throttle(runtime: Runtime, fake: RecordingSlack) -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    sweep = Sweeper(
        runtime,
        {"slack": notifier(fake)},
        config=SweepConfig(min_interval=1.0),
        sleep=sleep,
        monotonic=lambda: clock[0],
    )
    sent = sweep.sweep(at("2020-01-21")).sent
    assert len(sent) > 2 and len(slept) == len(sent) - 1 and all(s == 1.0 for s in slept)


# -- two scheduler processes on one PostgreSQL database ----------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("lock", ["advisory-lock", "no-lock"])
def test_two_schedulers_on_postgres_for_a_week_send_each_notification_once(
    postgres_url: str, fake: RecordingSlack, lock: str
) -> None:
    for engine in _postgres_engine(postgres_url):
        rt = runtime_on(engine)
        seed(rt, p1=True)
        schema = engine.dialect.default_schema_name
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("select current_schema()").scalar() or schema
        week = ["--end", at("2020-01-26", 23).isoformat(), "--step-minutes", "60"]
        extra = ["--no-lock"] if lock == "no-lock" else []
        procs = [
            run_worker(postgres_url, fake, at("2020-01-20", 0), *week, *extra, schema=schema, wait=False)
            for _ in range(2)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err
        rows = live(SqlOutbox(engine).rows())
        keys = fake.posted_keys()
        assert len(rows) > 20 and all(r.status == "sent" for r in rows)
        assert sorted(keys) == sorted(r.key for r in rows) and len(keys) == len(set(keys))
        if lock == "advisory-lock":  # one leads the whole week; the other waits its turn
            assert len({r.claimed_by for r in rows}) == 1
        days = {r.due_date for r in rows}
        assert days == {date(2020, 1, d) for d in (20, 21, 22, 23, 24)}  # no weekend
        rt.engine.dispose()


@pytest.mark.postgres
def test_only_one_scheduler_leads_on_postgres(postgres_url: str) -> None:
    from storage.outbox import Leadership

    for engine in _postgres_engine(postgres_url):
        first, second = Leadership(engine), Leadership(engine)
        assert first.acquire() and first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
        second.release()
