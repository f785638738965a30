"""A clean process life: `sf1590 serve` (with worker processes, Slack alone or with Teams) and
`sf1590 scheduler`, run as real processes, stop on SIGTERM and SIGINT with exit code 0, answer
the command acked just before, and leave no child process behind (the multiprocessing resource
tracker included). A sweep told to stop finishes the row in hand and hands the rest back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from bot.clock import FixedClock
from bot.notify import Posted
from bot.runtime import open_runtime
from bot.scheduler import SweepConfig, Sweeper
from bot.scheduler.service import STOP_GRACE
from bot.settings import Settings
from bot.teams.settings import APP_ID_VAR, SECRET_VAR
from commands.reply import Reply
from storage.outbox import SqlOutbox
from tests.bot.recording_slack import RecordingSlack
from tests.bot.slack.conftest import BOT_TOKEN, SECRET, SlackUser
from tests.bot.slack.fake_slack import FakeSlack, closed_port
from tests.bot.test_scheduler import at, notifier, seed

ROOT = Path(__file__).resolve().parents[2]
SF1590 = [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())"]
TEAMS_ENV = {APP_ID_VAR: "00000000-0000-0000-0000-0000000000aa", SECRET_VAR: "test-secret"}


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, their children …), from /proc."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return set()
    found = {int(c) for c in children}
    for child in list(found):
        found |= descendants(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class Output:
    """A process's merged stdout and stderr, read on a thread: waits for a line, keeps them all."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._new = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()

    def wait_for(self, text: str, timeout: float = 90) -> None:
        with self._new:
            found = self._new.wait_for(lambda: any(text in line for line in self.lines), timeout)
        assert found, f"no line with {text!r} in:\n{''.join(self.lines)}"

    def text(self) -> str:
        with self._new:
            return "".join(self.lines)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


def start(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], Output]:
    process = subprocess.Popen(
        [*SF1590, *argv], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return process, Output(process.stdout)  # type: ignore[arg-type]


def base_env(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{fake.url}/api/",
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'life.db'}",
    }
    env.pop(APP_ID_VAR, None)
    return env


@pytest.mark.parametrize(
    "stop, workers, platforms",
    [(signal.SIGTERM, "2", {}), (signal.SIGINT, "1", TEAMS_ENV)],
    ids=["sigterm-slack-two-workers", "sigint-slack-and-teams-one-worker"],
)
def test_serve_stops_on_a_signal_with_exit_0_answers_what_it_acked_and_leaves_no_process(
    tmp_path: Path, fake: FakeSlack, stop: signal.Signals, workers: str, platforms: dict[str, str]
) -> None:
    port = closed_port()
    env = {**base_env(tmp_path, fake), "PORT": str(port), "SF1590_WORKERS": workers, **platforms}
    server, output = start(["serve"], env)
    tree: set[int] = set()
    try:
        output.wait_for("Uvicorn running on")
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=10) as http:
            output.wait_for("Slack answered auth.test")
            assert http.get(f"{base}/healthz").status_code == 200
            tree = descendants(server.pid)
            assert len(tree) >= int(workers)  # the worker processes (and the resource tracker)
            user = SlackUser(base, fake, http)
            assert user.command("help", "U0NOBODY").status_code == 200  # acked ...
            server.send_signal(stop)  # ... and the stop comes before the answer went out
            assert server.wait(30) == 0, output.text()
        assert [c.body for c in fake.of("response_url")], "the acked command was never answered"
        assert "/sf1590" in str(fake.of("response_url")[0].body)
        # The worker processes were joined before the exit; the resource tracker ends when it
        # reads the end of its pipe, a moment after: wait for that (a bounded wait, no sleep race).
        deadline = time.monotonic() + 10
        while [pid for pid in tree if running(pid)] and time.monotonic() < deadline:
            time.sleep(0.02)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:120] for pid in tree if running(pid)}
        assert left == {}, f"still running after exit: {left}"
        assert "Traceback" not in output.text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        for pid in tree:  # a failed run must not leave its workers behind for the next test
            if running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_the_scheduler_stops_on_a_signal_with_exit_0(
    tmp_path: Path, fake: FakeSlack, stop: signal.Signals
) -> None:
    env = base_env(tmp_path, fake)
    subprocess.run([*SF1590, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    scheduler, output = start(["scheduler", "--every", "1"], env)  # on a database it must not create
    try:
        output.wait_for("sweeping every 1 s")
        scheduler.send_signal(stop)
        try:  # a sweep in flight may take up to STOP_GRACE (30 s) to hand its rows back
            code = scheduler.wait(STOP_GRACE + 15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the scheduler did not stop:\n{output.text()}")
        assert code == 0, output.text()
        assert "stopped" in output.text() and "Traceback" not in output.text()
        assert descendants(scheduler.pid) == set()
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait(10)


def test_a_sweep_told_to_stop_finishes_the_row_in_hand_and_hands_the_rest_back(tmp_path: Path) -> None:
    slack = RecordingSlack().start()
    try:
        rt = open_runtime(
            Settings(database_url=f"sqlite:///{tmp_path / 's.db'}"), FixedClock(at("2019-09-01"))
        )
        seed(rt)
        now = at("2019-11-26")
        inner = notifier(slack)

        class StopAfterOne:
            """Slack's notifier; SIGTERM arrives while the first post is on its way."""

            platform = "slack"

            def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
                sweeper.stopping.set()
                return inner.post(channel_id, reply, key=key)

            def find_posted(self, channel_id: str, key: str) -> Posted | None:
                return inner.find_posted(channel_id, key)

        sweeper = Sweeper(rt, {"slack": StopAfterOne()}, config=SweepConfig(min_interval=0))
        report = sweeper.sweep(now)
        outbox = SqlOutbox(rt.engine)
        pending = [r for r in outbox.rows() if r.status == "pending"]
        assert len(report.sent) == 1 and pending  # one finished, the rest not started
        assert all(r.claimed_by is None and r.lease_until is None and r.attempts == 0 for r in pending)

        again = Sweeper(rt, {"slack": inner}, config=SweepConfig(min_interval=0)).sweep(now)
        assert sorted(again.sent) == sorted(r.key for r in pending)  # the next scheduler sends them
        assert len(slack.posted_keys()) == len(set(slack.posted_keys()))  # each once
    finally:
        slack.stop()


def test_serve_killed_outright_leaves_no_worker_behind(tmp_path: Path, fake: FakeSlack) -> None:
    port = closed_port()
    env = {**base_env(tmp_path, fake), "PORT": str(port), "SF1590_WORKERS": "2"}
    server, output = start(["serve"], env)
    tree: set[int] = set()
    try:
        output.wait_for("Uvicorn running on")
        tree = descendants(server.pid)
        assert len(tree) >= 2
        server.send_signal(signal.SIGKILL)  # no chance to stop its workers itself
        server.wait(10)
        deadline = time.monotonic() + 10
        while [pid for pid in tree if running(pid)] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [pid for pid in tree if running(pid)] == []
    finally:
        for pid in tree:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
