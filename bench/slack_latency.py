"""Latency of signed `/sf1590` slash commands over HTTP, against a bare Bolt app that only acks.

    .venv/bin/python bench/slack_latency.py [--requests 200]

Both apps run as separate uvicorn processes on 127.0.0.1, served the same way (Bolt's starlette
adapter); "ours" has the full demo roster (98 municipalities, every task instance) on SQLite and
answers through a response_url served by this script. For 1 and 20 concurrent clients it prints
p50/p99 to the ack (the HTTP 200) and to the answer (the response_url POST), and our/floor ratio.
`python -m bench.run` includes it (with fewer requests).

Our client waits for each answer before its next command; the floor never answers. So the floor
is also measured with the same pauses between its requests as ours had ("floor, same pauses":
request i waits as long as ours' request i waited from ack to answer), the like-for-like floor;
and each server reports the CPU its event-loop thread spent per request (``/bench/loop-cpu``).

The client (both apps' commands and the response URL) is one thread running one asyncio loop, so
that it takes as little of the two cores as it can: in production Slack is not on our cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import Figure, machine, percentile, table  # noqa: E402 - run as a script, too

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
USER = "U0BENCH"
COMMANDS = ["next aarhus", "next P2", "status P2", "blocked randers", "next me", "gate KP-3 P2"]


class _Backlogged(ThreadingHTTPServer):
    # The default listen backlog (5) makes the 21st concurrent client wait for the kernel's 1 s
    # SYN retry, which the figures would then show as the bot's latency.
    request_queue_size = 128


# -- the servers (run in child processes) ------------------------------------------------------


def _fake_api() -> str:
    """A minimal Web API for auth.test (the App calls it once at start-up)."""

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps({"ok": True, "team_id": "T0", "user_id": "U0BOT", "bot_id": "B0"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = _Backlogged(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/api/"


def serve(kind: str, port: int, db: str) -> None:
    import logging
    from dataclasses import replace

    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.clock import FixedClock
    from bot.runtime import open_runtime
    from bot.settings import Settings
    from bot.slack.server import asgi_app, run_http, wire
    from bot.slack.settings import SlackSettings
    from storage.engine import make_engine
    from storage.seen import SqlSeenRequests

    logging.basicConfig(level=logging.WARNING)
    api = _fake_api()
    if kind == "floor":
        app = App(
            client=WebClient(token=TOKEN, base_url=api), signing_secret=SECRET, process_before_response=True
        )

        def ack_only(ack: Ack) -> None:
            ack()

        app.command("/sf1590")(ack_only)
    else:
        from datetime import date

        # SF1590_WORKER_NICE and the rest as `sf1590 serve` reads them, on the bench's database
        settings = replace(Settings.from_env(), database_url=db)
        runtime = open_runtime(settings, FixedClock.at(date(2020, 1, 21)), migrate=False)
        app = wire(
            runtime,
            settings,
            SlackSettings(bot_token=TOKEN, signing_secret=SECRET, api_url=api),
            processes=int(os.environ.get("SF1590_WORKERS") or os.cpu_count() or 1),
        )
    seen = SqlSeenRequests(make_engine(db))  # both pay for the replay check, as in production
    web = asgi_app(app, seen=seen, signing_secret=SECRET)
    web.router.routes.append(Route("/bench/loop-cpu", _loop_cpu))
    run_http(web, "127.0.0.1", port, log_level="warning")


async def _loop_cpu(_request: Request) -> JSONResponse:
    """CPU seconds the event-loop thread has used so far (read on that thread: it runs there)."""
    return JSONResponse({"seconds": time.thread_time()})


def prepare(folder: Path, template: Path | None = None) -> str:
    """The demo database (a copy of ``template`` if given) with the benchmark's supplier."""
    from datetime import UTC, datetime

    from bench.demo import demo_database
    from storage.engine import make_engine
    from storage.people import Person, SqlPeopleStore
    from storage.ports import Change

    db = demo_database(folder, template)
    engine = make_engine(db)
    SqlPeopleStore(engine).register(
        "slack",
        USER,
        Person(
            "bench",
            "Bench Supplier",
            roles=frozenset({"bookkeeping_supplier"}),
            municipalities=frozenset({751}),
        ),
        change=Change("bench", "bench", datetime.now(UTC)),
    )
    engine.dispose()
    return db


# -- the client --------------------------------------------------------------------------------
#
# The client is the instrument, not the system under test: in production the far end (Slack and
# hooks.slack.com) is not on our cores. So it runs as lightly as we can make it: one thread, one
# event loop, the clients as tasks over one keep-alive session, the response URL a plain asyncio
# server on the same loop. (It used to be a thread per client plus a thread per response-URL
# connection: 43% of the CPU at 20 clients, and each arrival noted only once its thread got the GIL.)


class Sink:
    """The response URL: an HTTP/1.1 server on the running loop that keeps connections open (as
    hooks.slack.com does), counts them, and notes when each answer (a POST) was read in full."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # request path -> time.perf_counter() when read
        self.connections = 0  # made to it so far: one per answer unless the bot keeps them open
        self.url = ""
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._server: asyncio.Server | None = None
        self._open: dict[asyncio.StreamWriter, asyncio.Task[object]] = {}  # connection -> its handler

    async def start(self) -> None:
        # backlog 128: the default would make the 21st concurrent connection wait for the
        # kernel's 1 s SYN retry, which the figures would then show as the bot's latency
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=128)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            handlers = list(self._open.values())
            for writer in list(self._open):  # kept connections: their handlers end on the close
                writer.close()
            # awaited, not left to asyncio.run to cancel (Python 3.11 logs a cancelled handler)
            await asyncio.gather(*handlers, return_exceptions=True)
            await self._server.wait_closed()

    async def __aenter__(self) -> Sink:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._open[writer] = task
        try:
            while await self._one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection (between requests, or at the end)
        finally:
            self._open.pop(writer, None)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request on a connection; False when the connection is to be closed."""
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, path, version = head[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:])
        }
        if "chunked" in headers.get("transfer-encoding", "").lower():
            # the bot sends a Content-Length; anything else is refused, not guessed at
            writer.write(b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return False
        await reader.readexactly(int(headers.get("content-length") or 0))
        now = time.perf_counter()  # the answer has arrived: noted before anything else runs
        if method == "POST":
            self.arrived[path] = now
            waiter = self._waiting.pop(path, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            + (b"" if keep else b"Connection: close\r\n")
            + b"\r\nok"
        )
        await writer.drain()
        return keep

    async def wait(self, path: str, timeout: float = 10) -> float | None:
        """When the answer to ``path`` arrived, waiting up to ``timeout`` seconds; None if not."""
        if path in self.arrived:
            return self.arrived[path]
        waiter = self._waiting.setdefault(path, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            self._waiting.pop(path, None)
            return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(kind: str, db: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    # a session of its own: stopping the server stops its worker processes too (see _stop)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--db", db],
        cwd=ROOT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{kind} server did not start")


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """Stop a server started in a session of its own, and the worker processes it spawned
    (they outlive a plain terminate()): SIGTERM to the group, SIGKILL after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


@dataclass
class Run:
    acks: list[float] = field(default_factory=list)  # seconds from sending to the HTTP 200
    answers: list[float] = field(default_factory=list)  # seconds from sending to the answer
    waits: dict[int, float] = field(default_factory=dict)  # request number -> ack to next send
    loop_cpu: float = math.nan  # the server's event-loop CPU seconds per request
    server_cpu: float = math.nan  # CPU seconds per request of the server and its worker processes
    web_cpu: float = math.nan  # of that, the web process's own (HTTP, Bolt, replay check, the POST)
    client_cpu: float = math.nan  # CPU seconds per request of this client (and its response URL)
    connections: float = math.nan  # connections made to the response URL per answer


def session(clients: int) -> aiohttp.ClientSession:
    """One keep-alive session for all the clients: a connection each, no cookies, 10 s timeout."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(clients, 4)),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=10),
    )


async def loop_cpu(http: aiohttp.ClientSession, base: str) -> float:
    """The server's event-loop CPU seconds so far (``/bench/loop-cpu``)."""
    async with http.get(f"{base}/bench/loop-cpu") as response:
        return float((await response.json())["seconds"])


def signed(
    n: int, response_url: str, *, text: str | None = None, user: str = USER, secret: str = SECRET
) -> tuple[str, dict[str, str]]:
    """Body and headers of the ``n``-th slash command (``text``, else the command mix in
    turn), signed with ``secret``."""
    body = urlencode(
        {
            "team_id": "T0",
            "channel_id": "C0",
            "user_id": user,
            "user_name": "bench",
            "command": "/sf1590",
            "text": COMMANDS[n % len(COMMANDS)] if text is None else text,
            "api_app_id": "A0",
            "response_url": response_url,
            "trigger_id": str(n),
        }
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
    return body, headers


async def run(
    http: aiohttp.ClientSession,
    base: str,
    sink: Sink | None,
    clients: int,
    requests: int,
    tag: str,
    *,
    think: float = 0.0,
    pauses: dict[int, float] | None = None,
    server: int | None = None,
) -> Run:
    """``requests`` commands from ``clients`` clients; each waits for its answer (with a sink),
    then ``think`` seconds; ``pauses``: instead, request n waits ``pauses[n]`` after its ack;
    ``server``: the server's pid, whose CPU (with its worker processes') is counted per request."""
    counter = itertools.count()
    out = Run()

    async def one() -> None:
        n = next(counter)
        path = f"/hook/{tag}/{n}"
        body, headers = signed(n, (sink.url if sink else "http://127.0.0.1:9") + path)
        started = time.perf_counter()
        async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
            await response.read()
            acked = time.perf_counter()
            assert response.status == 200, response.status
        if pauses is not None:
            await asyncio.sleep(pauses.get(n, 0.0))  # as long as the other app's client waited here
            arrived = None
        else:
            arrived = await sink.wait(path) if sink else None
            if think:
                await asyncio.sleep(think)  # a person reads the answer before typing the next command
        out.acks.append(acked - started)
        out.waits[n] = time.perf_counter() - acked
        if arrived is not None:
            out.answers.append(arrived - started)

    async def client(count: int) -> None:
        for _ in range(count):
            await one()

    per = max(1, requests // clients)
    connections_before = sink.connections if sink else 0
    before = await loop_cpu(http, base)
    server_before = tree_cpu(server) if server else math.nan
    web_before = tree_cpu(server, children=False) if server else math.nan
    client_before = time.process_time()
    await asyncio.gather(*(client(per) for _ in range(clients)))
    out.client_cpu = (time.process_time() - client_before) / (per * clients)
    if server:
        out.server_cpu = (tree_cpu(server) - server_before) / (per * clients)
        out.web_cpu = (tree_cpu(server, children=False) - web_before) / (per * clients)
    out.loop_cpu = (await loop_cpu(http, base) - before) / (per * clients)
    if sink and out.answers:
        out.connections = (sink.connections - connections_before) / len(out.answers)
    return out


def tree_cpu(pid: int, *, children: bool = True) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and (``children``) its live
    children (its worker processes), from /proc; NaN where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(p: int | str) -> list[str]:
        with open(f"/proc/{p}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()

    try:
        own = stat(pid)
    except OSError:
        return math.nan
    total = (int(own[11]) + int(own[12])) / tick
    if not children:
        return total
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = stat(entry)
                if int(fields[1]) == pid:
                    total += (int(fields[11]) + int(fields[12])) / tick
    return total


def worker_nice(pid: int) -> float:
    """The highest niceness among process ``pid``'s children (its worker processes; 0 when they
    run at the web process's priority), from /proc; NaN where there is no /proc."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    with open(f"/proc/{entry}/stat") as file:
                        fields = file.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == pid:
                        found.append(int(fields[16]))
    return float(max(found)) if found else math.nan


def _pct(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def figures(
    requests: int = 200,
    *,
    think_ms: float = 0.0,
    clients: tuple[int, ...] = (1, 20),
    template: Path | None = None,
) -> list[Figure]:
    """Start both servers on a fresh demo database, warm them up, and measure each client count."""
    with tempfile.TemporaryDirectory() as tmp:
        db = prepare(Path(tmp), template)
        procs = []
        try:
            floor_proc, floor = _start("floor", db)
            procs.append(floor_proc)
            ours_proc, ours = _start("ours", db)
            procs.append(ours_proc)
            return asyncio.run(_measure(floor, ours, ours_proc.pid, requests, think_ms / 1000, clients))
        finally:
            for proc in procs:
                stop_group(proc)


async def _measure(
    floor: str, ours: str, pid: int, requests: int, think: float, clients: tuple[int, ...]
) -> list[Figure]:
    """The runs, on one loop: the floor and ours with the same client, the sink on that loop."""
    out: list[Figure] = []
    async with Sink() as sink, session(max(clients)) as http:
        await run(http, floor, None, 4, 40, "warm-floor")
        await run(http, ours, sink, 4, 40, "warm-ours")
        nice = worker_nice(pid)
        out.append(Figure("slack", "ours", "worker niceness", nice, "", note="SF1590_WORKER_NICE"))
        for count in clients:
            floor_run = await run(http, floor, None, count, requests, f"f{count}", think=think)
            ours_run = await run(http, ours, sink, count, requests, f"o{count}", think=think, server=pid)
            same = await run(http, floor, None, count, requests, f"s{count}", pauses=ours_run.waits)
            out += _client_figures(count, floor_run, ours_run, same)
    return out


def _client_figures(clients: int, floor: Run, ours: Run, same: Run) -> list[Figure]:
    case = f"{clients} client(s)"
    acks, answers = ours.acks, ours.answers
    answered = f"{len(answers)}/{len(acks)} answered"
    return [
        Figure("slack", f"{case}, floor", "ack p50", _pct(floor.acks, 0.5)),
        Figure("slack", f"{case}, floor", "ack p99", _pct(floor.acks, 0.99)),
        Figure("slack", f"{case}, floor, same pauses", "ack p50", _pct(same.acks, 0.5)),
        Figure("slack", f"{case}, ours", "ack p50", _pct(acks, 0.5)),
        Figure("slack", f"{case}, ours", "ack p99", _pct(acks, 0.99)),
        Figure("slack", f"{case}, ours", "answer p50", _pct(answers, 0.5), note=answered),
        Figure(
            "slack", f"{case}, ours", "answer p99", _pct(answers, 0.99), note="target < 150 ms at 20 clients"
        ),
        Figure(
            "slack",
            f"{case}, ours",
            "answer max",
            max(answers, default=math.nan) * 1000,
            note="Slack allows 3 s",
        ),
        Figure("slack", f"{case}, floor", "event-loop CPU per request", floor.loop_cpu * 1000),
        Figure("slack", f"{case}, ours", "event-loop CPU per request", ours.loop_cpu * 1000),
        Figure(
            "slack",
            f"{case}, ours",
            "CPU per answer",
            ours.server_cpu * 1000,
            note="web process and its workers",
        ),
        Figure(
            "slack",
            f"{case}, ours",
            "web process CPU per answer",
            ours.web_cpu * 1000,
            note="of the above, the web process alone (the acks' CPU)",
        ),
        Figure("slack", f"{case}, ours", "client CPU per answer", ours.client_cpu * 1000, note="this script"),
        Figure(
            "slack",
            f"{case}, ours",
            "response-URL connections per 100 answers",
            ours.connections * 100,
            "",
            note="100: a new connection (in production a TLS handshake) per answer",
        ),
        Figure(
            "slack",
            f"{case}, ours",
            "answer p50 if CPU-bound",
            (ours.server_cpu + ours.client_cpu) * clients / (os.cpu_count() or 1) * 1000,
            note=f"(CPU per answer + client's) x {clients} / {os.cpu_count()} cores",
        ),
        Figure(
            "slack",
            case,
            "ack p50 ours/floor",
            _pct(acks, 0.5) / _pct(floor.acks, 0.5),
            "x",
            note="floor back to back (its client never waits for an answer)",
        ),
        Figure(
            "slack",
            case,
            "ack p50 ours/floor, same pauses",
            _pct(acks, 0.5) / _pct(same.acks, 0.5),
            "x",
            note="target <= 1.2x",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=["ours", "floor"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--db")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="pause after each answer before the next command (default: none)",
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 20], help="client counts")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.db)
        return 0
    print(machine(), "(before)")
    print(table(figures(args.requests, think_ms=args.think_ms, clients=tuple(args.clients))))
    print(machine(), "(after)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
