"""The live board: the K91 wave page's server-side render time on the full roster (target
< 300 ms), and a command's p99 while 20 open boards poll (target: still < 300 ms).

    .venv/bin/python -m bench.board [--runs 10] [--commands 60]

The demo database (98 municipalities, 91 in K91) on 2020-01-21. The board runs under uvicorn on
127.0.0.1 in this process, as ``sf1590 serve`` runs it beside the command core. The render time
is the server's own (its Server-Timing header): the link check, the change marker, the Rollout
snapshot, the view model and both templates. "after a change" is the page built afresh, as every
board fetches it once a command changed something (the target); "cached" the same page for the
next board. Then commands run
(questions such as `next aarhus`, `status P2`, `next K91`, and every tenth a `done`/`reopen`
A/TS101 ballerup, which makes every board fetch the page again), four a second, first with no
board open, then with 20 boards polling every 2 s as htmx does.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.demo import DAY, demo_database
from bench.figures import Figure, percentile, table
from bot.board.local import local_board
from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from commands.context import Actor

TARGET_MS = 300.0
BOARDS = 20
POLL_S = 2.0
ADMIN = Actor("bench", "Bench Admin", is_admin=True)
PAGE = "/board/wave/K91"
# Mostly questions, and a change now and then (every 2.5 s at the pace below) that makes every
# board fetch the page again.
READS = ("next aarhus", "status P2", "gate KP-3 P2", "blocked aarhus", "next K91")
CHANGES = ("done A/TS101 ballerup", "reopen A/TS101 ballerup -- bench")


def _server_ms(response: httpx.Response) -> float:
    timing = response.headers["server-timing"]  # render;dur=123.4
    return float(timing.split("dur=")[1])


def _client(runtime: Runtime, base: str) -> httpx.Client:
    assert runtime.board_link is not None
    client = httpx.Client(timeout=60)
    opened = client.get(runtime.board_link(ADMIN.handle, ADMIN.name, "wave/K91", "en").url)
    if opened.status_code != 200:
        raise SystemExit(f"the board link was refused: {opened.status_code}")
    return client


def render_times(runtime: Runtime, base: str, runs: int) -> dict[str, list[float]]:
    """Server-side milliseconds of the K91 page: built after a change, and cached."""
    client = _client(runtime, base)
    times: dict[str, list[float]] = {"after a change": [], "cached": []}
    client.get(base + PAGE)  # warm-up: imports, templates compiled, plan caches
    for run in range(runs):
        verb = "done" if run % 2 == 0 else "reopen"
        runtime.answer("console", ADMIN.handle, None, f"{verb} A/TS101 ballerup -- bench", actor=ADMIN)
        times["after a change"].append(_server_ms(client.get(base + PAGE)))
        times["cached"].append(_server_ms(client.get(base + PAGE)))
    client.close()
    return times


class Boards:
    """``count`` boards polling the page every ``POLL_S`` seconds, fetching it when it changed."""

    def __init__(self, runtime: Runtime, base: str, count: int) -> None:
        self.runtime, self.base, self.count = runtime, base, count
        self.stop = threading.Event()
        self.fetches = 0
        self.polls = 0
        self.threads = [threading.Thread(target=self._poll, args=(i,), daemon=True) for i in range(count)]

    def _poll(self, index: int) -> None:
        client = _client(self.runtime, self.base)
        page = client.get(self.base + PAGE)
        marker = page.text.split("since=", 1)[1].split('"', 1)[0]
        self.stop.wait(POLL_S * index / self.count)  # spread out, as boards opened at different times
        while not self.stop.is_set():
            response = client.get(self.base + PAGE, params={"since": marker})
            self.polls += 1
            if response.status_code == 200:
                self.fetches += 1
                marker = response.text.split("since=", 1)[1].split('"', 1)[0]
            self.stop.wait(POLL_S)
        client.close()

    def __enter__(self) -> Boards:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def command_times(runtime: Runtime, count: int, pause: float) -> list[float]:
    """Milliseconds per command through the chat seam, ``count`` of them, ``pause`` s apart."""
    out = []
    for i in range(count):
        text = CHANGES[(i // 10) % 2] if i % 10 == 9 else READS[i % len(READS)]
        start = time.perf_counter()
        runtime.answer("console", ADMIN.handle, None, text, actor=ADMIN)
        out.append((time.perf_counter() - start) * 1000)
        time.sleep(pause)
    return out


def figures(runs: int = 10, commands: int = 60, template: Path | None = None) -> list[Figure]:
    """The board's figures for bench.run."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=demo_database(Path(tmp), template))
        runtime = open_runtime(settings, FixedClock.at(DAY, 9))
        board = local_board(runtime, 0).start()
        while not board.server.started:
            time.sleep(0.01)
        try:
            for case, ms in render_times(runtime, board.url, runs).items():
                target = f", target < {TARGET_MS:.0f} ms" if case == "after a change" else ""
                note = f"{runs} runs{target}"
                out += [
                    Figure("board", f"K91 page {case}", "median", statistics.median(ms), note=note),
                    Figure("board", f"K91 page {case}", "max", max(ms)),
                ]
            pause = POLL_S / 8
            alone = command_times(runtime, commands, pause)
            with Boards(runtime, board.url, BOARDS) as boards:
                busy = command_times(runtime, commands, pause)
            note = f"{commands} commands; {boards.polls} polls, {boards.fetches} page fetches"
            for case, ms in (("no board open", alone), (f"{BOARDS} boards polling", busy)):
                out += [
                    Figure("board", f"command, {case}", "p50", percentile(ms, 0.5)),
                    Figure(
                        "board",
                        f"command, {case}",
                        "p99",
                        percentile(ms, 0.99),
                        note=f"target < {TARGET_MS:.0f} ms" + (f"; {note}" if "boards" in case else ""),
                    ),
                ]
        finally:
            board.stop()
            runtime.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--commands", type=int, default=60)
    args = parser.parse_args()
    print(table(figures(args.runs, args.commands)))


if __name__ == "__main__":
    main()
