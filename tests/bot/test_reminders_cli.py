"""`sf1590 channel link`, `sf1590 reminders preview|send` and `sf1590 scheduler`."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from bot.cli import main
from storage.engine import make_engine
from storage.people import SqlPeopleStore
from tests.bot.recording_slack import RecordingSlack
from tests.bot.test_scheduler import fake  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def seeded(db: str) -> str:
    assert main(["roster", "import", str(ROOT / "plans" / "demo-roster.yaml"), "--db", db]) == 0
    assert main(["channel", "link", "P2", "--slack", "C0123", "--db", db]) == 0
    return db


def test_channel_link_links_a_wave_without_opening_slack(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    seeded(db)
    assert "C0123 now follows wave P2" in capsys.readouterr().out
    assert SqlPeopleStore(make_engine(db)).channel_wave("slack", "C0123") == "P2"
    assert main(["channel", "link", "P9", "--slack", "C0123", "--db", db]) == 2


def test_preview_prints_each_day_without_sending(
    db: str,
    capsys: pytest.CaptureFixture[str],
    fake: RecordingSlack,  # noqa: F811 - the fixture imported above
) -> None:
    seeded(db)
    capsys.readouterr()
    assert (
        main(["reminders", "preview", "--wave", "P2", "--today", "2020-01-21", "--days", "6", "--db", db])
        == 0
    )
    out = capsys.readouterr().out
    assert "2020-01-21 Tue:" in out and "message(s)" in out
    assert "KP-3 Go/no-go for P2 on 2020-01-28: 5 working days left" in out
    assert "2020-01-25 Sat: nothing (weekend)" in out
    assert "slack:C0123" in out
    assert fake.calls == []
    main(
        ["reminders", "preview", "--wave", "P2", "--today", "2020-01-21", "--days", "1", "--full", "--db", db]
    )
    assert "Aarhus: lacks" in capsys.readouterr().out
    main(["reminders", "preview", "--today", "2019-12-24", "--days", "1", "--db", db])
    assert "2019-12-24 Tue: nothing (Juleaftensdag)" in capsys.readouterr().out


def test_send_runs_one_sweep_through_the_outbox(
    db: str,
    capsys: pytest.CaptureFixture[str],
    fake: RecordingSlack,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded(db)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["reminders", "send", "--now", "2020-01-21T08:05", "--db", db]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", f"{fake.url}/api/")
    assert main(["reminders", "send", "--now", "2020-01-21T08:05", "--db", db]) == 0
    out = capsys.readouterr().out
    sent = len(fake.posted("C0123"))
    assert sent and f"{sent} sent" in out
    assert main(["reminders", "send", "--now", "2020-01-21T08:06", "--db", db]) == 0
    assert " 0 sent" in capsys.readouterr().out and len(fake.posted("C0123")) == sent


def test_the_scheduler_process_ticks_and_stops_on_sigterm(
    db: str,
    fake: RecordingSlack,  # noqa: F811
) -> None:
    seeded(db)
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": f"{fake.url}/api/",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler", "--every", "1"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = StderrLines(proc)
    try:
        err.wait_for("executed successfully", count=2, timeout=60)  # two ticks, then stop it
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    text = err.all(timeout=10)
    assert proc.returncode == 0, text
    assert "sweeping every 1 s" in text
    assert "sweep failed" not in text
    assert "Scheduler has been shut down" in text


class StderrLines:
    """A process's stderr read on a thread of its own, so a test waits for a line with a
    deadline (a silent or hung process cannot block it)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc.stderr,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line)

    def wait_for(self, marker: str, *, count: int = 1, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while sum(marker in line for line in self.seen) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {count}x {marker!r} within {timeout} s: {''.join(self.seen)}"
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.queue.get(timeout=min(remaining, 0.5)))

    def all(self, *, timeout: float) -> str:
        """Everything it wrote, once the stream closed."""
        self.thread.join(timeout)
        while not self.queue.empty():
            self.seen.append(self.queue.get())
        return "".join(self.seen)


def test_reminders_speak_danish_when_the_bot_does(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(db)
    capsys.readouterr()
    monkeypatch.setenv("SF1590_LANGUAGE", "da")
    assert (
        main(["reminders", "preview", "--wave", "P2", "--today", "2020-01-21", "--days", "1", "--db", db])
        == 0
    )
    out = capsys.readouterr().out
    assert "KP-3 Go/no-go for P2 den 2020-01-28: 5 arbejdsdage tilbage" in out
    assert "Godmorgen, P2: tirsdag 2020-01-21" in out
