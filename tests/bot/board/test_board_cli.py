"""`sf1590 board --open` serves the board read-only on 127.0.0.1 and prints a link that opens it
on the replayed date; `console --board PORT` (the demo) prints one too; without a public URL and
without --open, `sf1590 board` says what to set."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    assert proc.stdout is not None
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            found.put(line)

    threading.Thread(target=read, daemon=True).start()
    return found


def _wait_for(lines: queue.Queue[str], marker: str) -> list[str]:
    seen = []
    while True:
        line = lines.get(timeout=60)  # a line on stdout, not a sleep
        seen.append(line)
        if marker in line:
            return seen


def test_board_open_serves_the_replayed_day_until_stopped(tmp_path: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, tmp_path / "demo.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "board", "K91", "--open", "--port", "0", "--today", "2020-03-20"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        seen = _wait_for(_lines(proc), "Serving the board read-only on http://127.0.0.1:")
        link = next(line.strip() for line in seen if "/board/open?token=" in line)
        with httpx.Client(timeout=30) as client:  # closed before the server is stopped
            assert client.get(link).status_code == 200
            base = link.split("/board/")[0]
            page = client.get(f"{base}/board/wave/K91")
            assert page.status_code == 200
            assert "Plan date 2020-03-20 (replayed)" in page.text
            assert client.post(f"{base}/board/wave/K91").status_code == 405  # read-only
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def test_board_without_open_needs_the_public_url(
    tmp_path: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(demo_template, tmp_path / "demo.db")
    monkeypatch.delenv("SF1590_PUBLIC_URL", raising=False)
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["board", "--db", db]) == 2
    assert "SF1590_PUBLIC_URL" in capsys.readouterr().err
    monkeypatch.setenv("SF1590_PUBLIC_URL", "https://bot.example.dk/")
    assert main(["board", "aarhus", "--db", db]) == 0
    assert "https://bot.example.dk/board/open?token=" in capsys.readouterr().out
    assert main(["board", "aarhsu", "--db", db]) == 2
    assert "Did you mean `Aarhus`?" in capsys.readouterr().err


def test_the_demo_console_prints_a_board_link(tmp_path: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, tmp_path / "demo.db")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--today", "2020-01-21", "--board", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "PYTHONPATH": str(ROOT)},
        input="board P2\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Live board (read-only, on http://127.0.0.1:" in done.stdout
    assert "/board/open?token=" in done.stdout and "&to=wave/P2" in done.stdout
