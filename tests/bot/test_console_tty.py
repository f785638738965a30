"""The console in a real pseudo-terminal (pexpect), as a person types: line editing, history kept
between runs, Tab completion, Ctrl-C and Ctrl-D. Every step waits on the console's output."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
SF1590 = "from bot.cli import main; raise SystemExit(main())"
UP, CTRL_C, CTRL_D = "\x1b[A", "\x03", "\x04"
EDITING = "\x1b[?2004h"  # the line editor turns bracketed paste on as it starts reading a line


def _prompt(child: pexpect.spawn) -> str:
    """Wait until the line editor reads keys (the terminal is raw: Ctrl-C is a key, not a
    signal); what was printed before it."""
    child.expect_exact(EDITING)
    return str(child.before)


def _console(db: Path, history: Path) -> pexpect.spawn:
    env = {
        **os.environ,
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect's terminal does not answer cursor-position requests
        "SF1590_HISTORY": str(history),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    child = pexpect.spawn(
        sys.executable,
        ["-c", SF1590, "console", "--db", f"sqlite:///{db}", "--today", "2020-01-21"],
        cwd=str(db.parent),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    child.expect_exact("Ctrl-D or `exit` leaves.")
    _prompt(child)
    return child


@pytest.fixture
def db(tmp_path: Path, demo_template: Path) -> Path:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return path


def test_typing_tab_up_ctrl_c_and_ctrl_d_in_a_terminal(db: Path, tmp_path: Path) -> None:
    history = tmp_path / "state" / "history"
    child = _console(db, history)
    seen = []
    child.send("status aar\t")  # Tab completes the municipality: the rest of it is drawn
    child.expect_exact("hus")
    child.send("\r")
    seen.append(_prompt(child))
    assert "Status: Aarhus (P2)" in seen[-1]
    child.send(UP + "\r")  # Up recalls the last line: it runs again
    seen.append(_prompt(child))
    assert "Status: Aarhus (P2)" in seen[-1]
    child.send("done TS213 aar")  # half a line, then Ctrl-C: dropped, not run, no traceback
    child.send(CTRL_C)
    seen.append(_prompt(child))
    child.send("wave P2\r")  # the console keeps running
    seen.append(_prompt(child))
    assert "P2 — Pilot 2" in seen[-1]
    child.send(CTRL_D)  # leaves
    child.expect(pexpect.EOF)
    seen.append(str(child.before))
    child.close()
    assert child.exitstatus == 0, child.exitstatus
    assert seen[-1].endswith("\r\n")  # it leaves the shell's prompt on a line of its own
    typed = "".join(seen)
    assert "Traceback" not in typed and "KeyboardInterrupt" not in typed
    assert "✗" not in typed  # neither `status aar` nor the dropped `done TS213 aar` ran
    lines = [line[1:] for line in history.read_text(encoding="utf-8").splitlines() if line.startswith("+")]
    assert lines == ["status aarhus", "wave P2"]  # a line run again is kept once

    again = _console(db, history)  # the history is kept between runs
    again.send(UP + "\r")
    assert "P2 — Pilot 2" in _prompt(again)
    again.send("exit\r")
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 0


def test_a_history_that_cannot_be_kept_still_leaves_a_working_console(db: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the history's folder would be", encoding="utf-8")
    child = pexpect.spawn(
        sys.executable,
        ["-c", SF1590, "console", "--db", f"sqlite:///{db}", "--history", str(blocker / "history")],
        env={**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    child.expect_exact("Cannot keep the history in")
    _prompt(child)
    child.send("status aarhus\r")
    assert "Status: Aarhus (P2)" in _prompt(child)
    child.send(CTRL_D)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_piped_input_reads_plain_lines_without_the_line_editor(db: Path) -> None:
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SF1590, "console", "--db", f"sqlite:///{db}"],
        input="status aarhus\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Status: Aarhus (P2)")
    assert "Ctrl-D" not in done.stdout and "\x1b[" not in done.stdout
