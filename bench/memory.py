"""Memory of `sf1590 serve` with its worker processes, idle and after many Slack commands.

    .venv/bin/python -m bench.memory [--factor 10] [--commands 10000] [--clients 4]

Builds the synthetic roster (bench/synthetic.py; 10x: 980 municipalities) in a SQLite file,
starts a real ``sf1590 serve`` (Slack over HTTP on 127.0.0.1, SF1590_WORKERS worker processes,
a local stand-in for Slack's Web API) and sends it signed ``/sf1590`` slash commands from a few
concurrent clients, each waiting for its answer on a local ``response_url``: one municipality's
``next``/``status``/``blocked``/``show``, a pilot wave's ``next``/``status``/``gate``, and now and
then K91's ``next``. Reads the resident memory of the server and every process under it from
/proc (the sum of RSS, as the target is stated, and of PSS, which counts shared pages once):
after start-up and a warm-up, and after all the commands. Target: < 400 MB at 10x
after 10,000 commands (issue 13).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import contains
from pathlib import Path
from typing import ClassVar

import httpx

from bench import synthetic
from bench.figures import Figure, table
from bench.slack_latency import signed, stop_group
from storage.engine import make_engine
from storage.people import Person, SqlPeopleStore
from storage.ports import Change

__all__ = ["figures", "per_process_mb", "tree_rss_mb"]

SECRET = "bench-memory-secret"
USER = "U0MEMORY"
TARGET_MB = 400.0
PAGE = os.sysconf("SC_PAGE_SIZE")


class _Backlogged(ThreadingHTTPServer):
    # The default listen backlog (5) makes the 21st concurrent client wait for the kernel's 1 s
    # SYN retry, which the figures would then show as the bot's latency.
    request_queue_size = 128


def _tree(root: int) -> list[int]:
    """``root`` and every process under it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_rss_mb(root: int) -> tuple[float, float, int]:
    """Resident memory of ``root`` and all its descendants in MB: the sum of their RSS (pages
    shared between them count once per process), the sum of their PSS (shared pages split
    between the processes that share them: what the tree costs the machine), and how many."""
    each = per_process_mb(root)
    return sum(rss for _, rss, _ in each), sum(pss for _, _, pss in each), len(each)


def per_process_mb(root: int) -> list[tuple[str, float, float]]:
    """(role, RSS MB, PSS MB) of ``root`` ("serve") and each process under it: a multiprocessing
    "worker" or "tracker" (its resource tracker), else "other"."""
    found: list[tuple[str, float, float]] = []
    for pid in _tree(root):
        try:
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:  # it ended meanwhile
            continue
        pss = next(
            (int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")), 0
        )
        role = (
            "serve"
            if pid == root
            else "tracker"
            if "resource_tracker" in command
            else "worker"
            if "multiprocessing" in command
            else "other"
        )
        found.append((role, rss / 1e6, pss / 1e6))
    return found


def _breakdown(each: list[tuple[str, float, float]]) -> str:
    """RSS per process, e.g. "serve 82 + worker 137 + worker 137 + tracker 12 MB"."""
    order = {"serve": 0, "worker": 1, "tracker": 2, "other": 3}
    parts = sorted(each, key=lambda p: order[p[0]])
    return " + ".join(f"{role} {rss:,.0f}" for role, rss, _ in parts) + " MB"


class _Far(BaseHTTPRequestHandler):
    """Slack's far end: auth.test for the app's start-up, and the response URLs (counted)."""

    arrived: ClassVar[set[str]] = set()
    cond: ClassVar[threading.Condition] = threading.Condition()

    def log_message(self, *_args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/hook/"):
            with _Far.cond:
                _Far.arrived.add(self.path)
                _Far.cond.notify_all()
        data = json.dumps({"ok": True, "team_id": "T0", "user_id": "U0BOT", "bot_id": "B0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(
    url: str, plan: Path, far: str, workers: int, log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A real `sf1590 serve` on 127.0.0.1, until the block ends (its whole process group then)."""
    port = _free_port()
    script = Path(sys.executable).with_name("sf1590")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SF1590_PLAN": str(plan),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{far}/api/",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SF1590_WORKERS": str(workers),
    }
    proc = subprocess.Popen(
        [*command, "serve"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),  # a file, not a pipe: nobody reads a pipe while it serves
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # the port answers once uvicorn has started (a wait on a signal, not a guess)
            if proc.poll() is not None:
                raise SystemExit(f"bench: sf1590 serve ended: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                    break
            if time.monotonic() > deadline:
                raise SystemExit("bench: sf1590 serve did not answer in 120 s")
            time.sleep(0.1)
        yield proc, base
    finally:
        stop_group(proc, grace=15)


def _commands(slugs: list[str]) -> Iterator[str]:
    """An endless, fixed mix: mostly one municipality's answers, some pilot waves, a little K91."""
    for n in itertools.count():
        slug = slugs[n % len(slugs)]
        if n % 200 == 199:
            yield "next K91"
        elif n % 20 == 19:
            yield ("next P2", "status P1", "gate KP-3 P2", "status P2")[n // 20 % 4]
        else:
            yield ("next", "status", "blocked", "next")[n % 4] + f" {slug}"


def _send(base: str, far: str, texts: list[str], clients: int, counter: Iterator[int]) -> None:
    """Send each text as a signed slash command; each client waits for its answer."""
    lock = threading.Lock()
    queue = iter(texts)

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                with lock:
                    text = next(queue, None)
                    n = next(counter)
                if text is None:
                    return
                if n and n % 1000 == 0:
                    print(f"bench: memory: {n:,} commands sent", file=sys.stderr, flush=True)
                body, headers = signed(n, f"{far}/hook/{n}", text=text, user=USER, secret=SECRET)
                response = http.post(f"{base}/slack/events", content=body, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"bench: {text!r} got HTTP {response.status_code}")
                path = f"/hook/{n}"
                with _Far.cond:  # the answer comes back on the response URL
                    _Far.cond.wait_for(partial(contains, _Far.arrived, path), timeout=60)

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()


def figures(factor: int = 10, commands: int = 10_000, clients: int = 4, workers: int = 2) -> list[Figure]:
    """RSS of the serve process tree after start-up and after ``commands`` commands."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'memory.db'}"
        settings = synthetic.build(url, factor, folder=Path(tmp))
        engine = make_engine(url)
        municipalities = synthetic.roster(factor)
        SqlPeopleStore(engine).register(
            "slack",
            USER,
            Person("bench", "Bench Manager", roles=frozenset({"municipality"}), manages=frozenset({"K91"})),
            change=Change("bench", "console", datetime(2020, 1, 1, tzinfo=UTC)),
        )
        engine.dispose()
        far_server = _Backlogged(("127.0.0.1", 0), _Far)
        threading.Thread(target=far_server.serve_forever, daemon=True).start()
        far = f"http://127.0.0.1:{far_server.server_address[1]}"
        mix = _commands([m.slug for m in municipalities])
        counter = itertools.count()
        case = f"serve, {workers} workers, {len(municipalities)} mun. ({factor}x)"
        try:
            log = Path(tmp) / "serve.log"
            with _serving(url, settings.plan_path, far, workers, log) as (proc, base):
                _send(base, far, [next(mix) for _ in range(40)], clients, counter)
                idle_each = per_process_mb(proc.pid)
                answered = len(_Far.arrived)
                started = time.perf_counter()
                _send(base, far, [next(mix) for _ in range(commands)], clients, counter)
                took = time.perf_counter() - started
                after_each = per_process_mb(proc.pid)
                answered = len(_Far.arrived) - answered
        finally:
            far_server.shutdown()
    idle, idle_pss = sum(p[1] for p in idle_each), sum(p[2] for p in idle_each)
    after, after_pss = sum(p[1] for p in after_each), sum(p[2] for p in after_each)
    note = (
        f"PSS {after_pss:,.0f} MB; {_breakdown(after_each)}; "
        f"{answered:,}/{commands:,} answered in {took:.0f} s"
    )
    target = TARGET_MB if factor >= 10 and commands >= 10_000 else None
    return [
        Figure(
            "memory",
            case,
            "RSS after start and 40 commands",
            idle,
            unit="MB",
            note=f"PSS {idle_pss:,.0f} MB; {_breakdown(idle_each)}",
        ),
        Figure(
            "memory", case, f"RSS after {commands:,} commands", after, unit="MB", note=note, target=target
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(table(figures(args.factor, args.commands, args.clients, args.workers)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
