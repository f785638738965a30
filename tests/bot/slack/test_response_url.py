"""Answers reach the response URL over kept connections, and a connection the server dropped
still delivers each answer exactly once; the worker processes run at the configured niceness."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.app import FILES
from bot.slack.hooks import ResponsePoster
from bot.slack.workers import ProcessRunner
from tests.bot.slack.conftest import SUPPLIER, SlackUser


@dataclass
class Hooks:
    """A response-URL server speaking HTTP/1.1 (keep-alive, as hooks.slack.com does) that counts
    the connections made to it and records each answer with the connection it came on.

    ``drop``: after answering, close the connection without telling the client ("idle timeout");
    ``drop_next``: read the next request on a kept connection, then close it unanswered (the
    server's idle timer fired just as the request arrived: it never handled it)."""

    drop: bool = False
    drop_next: bool = False
    connections: int = 0
    answers: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)  # connection, path, body
    proxy_auth: list[str | None] = field(default_factory=list)  # Proxy-Authorization of each answer
    unanswered: int = 0  # requests read and then dropped (drop_next)
    cond: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""
    server: ThreadingHTTPServer | None = None

    def start(self) -> Hooks:
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with hooks.cond:
                    hooks.connections += 1
                    self.number = hooks.connections
                self.served = 0

            def do_POST(self) -> None:
                import json

                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.served += 1
                if hooks.drop_next and self.served > 1:
                    with hooks.cond:
                        hooks.unanswered += 1
                    self.close_connection = True  # closed without a status line: nothing handled
                    return
                with hooks.cond:  # delivered: recorded before the client can hear so
                    hooks.answers.append((self.number, self.path, json.loads(raw)))
                    hooks.proxy_auth.append(self.headers.get("Proxy-Authorization"))
                    hooks.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                self.wfile.flush()
                if hooks.drop:
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> list[tuple[int, str, dict[str, Any]]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.answers) >= count, timeout), self.answers
            return list(self.answers)


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    server = Hooks().start()
    yield server
    server.stop()


def _command(slack: SlackUser, text: str, response_url: str) -> httpx.Response:
    body = urlencode(
        {
            "team_id": "T0FAKE",
            "channel_id": "C0DEMO",
            "user_id": SUPPLIER,
            "user_name": "bo",
            "command": "/sf1590",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    return slack.post(body, "application/x-www-form-urlencoded")


def test_answers_go_over_one_kept_connection(slack: SlackUser, hooks: Hooks) -> None:
    for n in range(4):
        assert _command(slack, "next aarhus", f"{hooks.url}/hook/{n}").status_code == 200
        hooks.wait_for(n + 1)  # one after the other, as a person types them
        slack.settle()  # and the connection is back in the pool
    answers = hooks.wait_for(4)
    assert [path for _, path, _ in answers] == [f"/hook/{n}" for n in range(4)]
    assert all("Aarhus" in str(body["blocks"]) for _, _, body in answers)
    assert hooks.connections == 1
    assert {connection for connection, _, _ in answers} == {1}


def test_a_connection_the_server_closed_still_delivers_the_answer_once(
    slack: SlackUser, hooks: Hooks
) -> None:
    for n in range(3):
        # from the second answer on, the server ends each connection after its answer without
        # saying so, as an idle timeout would: the answer after it finds the kept one closed
        hooks.drop = n >= 1
        assert _command(slack, "next aarhus", f"{hooks.url}/hook/{n}").status_code == 200
        hooks.wait_for(n + 1)
        slack.settle()
    slack.settle()  # nothing more is coming
    assert [(c, path) for c, path, _ in hooks.answers] == [(1, "/hook/0"), (1, "/hook/1"), (2, "/hook/2")]
    assert hooks.connections == 2


def test_a_drop_racing_the_request_sends_it_again_on_a_new_connection_once(hooks: Hooks) -> None:
    hooks.drop_next = True  # the kept connection is closed as the second answer arrives on it
    poster = ResponsePoster(timeout=10)
    try:
        assert poster.post(f"{hooks.url}/hook/1", {"text": "one"}).status == 200
        assert poster.post(f"{hooks.url}/hook/2", {"text": "two"}).status == 200
    finally:
        poster.close()
    assert [(c, path, body["text"]) for c, path, body in hooks.answers] == [
        (1, "/hook/1", "one"),
        (2, "/hook/2", "two"),
    ]
    assert hooks.unanswered == 1  # it went on the kept connection first
    assert hooks.connections == 2


def test_a_request_the_server_may_be_handling_is_not_sent_again() -> None:
    """A read timeout is not a drop: the server has the answer and may post it, so it is not
    resent (the user would see it twice)."""
    import socket

    import urllib3

    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    release = threading.Event()

    def serve() -> None:  # takes every request and answers none until released
        listener.settimeout(30)
        conns = []
        try:
            while not release.is_set():
                conn, _ = listener.accept()
                conns.append(conn)
                received.append(conn.recv(65536))
        except OSError:  # the listener closed: the test is over
            pass
        finally:
            for conn in conns:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    poster = ResponsePoster(timeout=0.5)
    try:
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            poster.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook/1", {"text": "one"})
    finally:
        release.set()
        listener.close()
        poster.close()
    assert len(received) == 1 and b"/hook/1" in received[0]


def test_answers_go_through_the_proxy_the_environment_names_unless_no_proxy(
    monkeypatch: pytest.MonkeyPatch, hooks: Hooks
) -> None:
    import base64

    from tests.bot.slack.fake_slack import closed_port

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    # the hooks server plays the proxy, with a user and password to send
    monkeypatch.setenv("http_proxy", hooks.url.replace("http://", "http://bo:s%40fe@"))
    monkeypatch.setenv("no_proxy", "direct.invalid")
    poster = ResponsePoster(timeout=10)
    try:
        assert poster.post("http://hooks.invalid/hook/1", {"text": "one"}).status == 200
        assert poster.post("http://hooks.invalid/hook/2", {"text": "two"}).status == 200
        # NO_PROXY: straight to the host (here a proxy that cannot be reached would fail it)
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
        monkeypatch.setenv("no_proxy", "direct.invalid,127.0.0.1")
        assert poster.post(f"{hooks.url}/hook/3", {"text": "three"}).status == 200
    finally:
        poster.close()
    assert [(c, path) for c, path, _ in hooks.answers] == [
        (1, "http://hooks.invalid/hook/1"),  # absolute: a request to a proxy
        (1, "http://hooks.invalid/hook/2"),  # over the kept connection to the proxy
        (2, "/hook/3"),
    ]
    basic = "Basic " + base64.b64encode(b"bo:s@fe").decode()
    assert hooks.proxy_auth == [basic, basic, None]


def test_a_rate_limit_waits_as_asked_over_the_same_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    import types

    import urllib3.util.retry

    waited: list[float] = []  # urllib3's Retry waits with its module's time.sleep
    clock = types.SimpleNamespace(sleep=waited.append, time=time.time)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    poster = ResponsePoster()
    server = _RateLimited(times=1).start()
    try:
        response = poster.post(f"{server.url}/hook/1", {"text": "one"})
    finally:
        server.stop()
        poster.close()
    assert response.status == 200
    assert waited == [2.0]  # Retry-After
    assert server.statuses == [429, 200]
    assert server.connections == 1


class _RateLimited:
    """An HTTP/1.1 server answering 429 (Retry-After: 2) ``times`` times, then 200."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.statuses: list[int] = []
        self.connections = 0
        self.server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> _RateLimited:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                outer.connections += 1  # one client, one connection at a time

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 429 if len(outer.statuses) < outer.times else 200
                outer.statuses.append(status)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "2")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def _nice_of(pid: int) -> int:
    """The niceness the kernel has for ``pid`` (field 19 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as file:
        return int(file.read().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
@pytest.mark.parametrize("nice", [0, 7])
def test_the_worker_processes_run_at_the_configured_niceness(demo_runtime: Runtime, nice: int) -> None:
    settings = Settings(database_url=str(demo_runtime.engine.url), worker_nice=nice)
    runner = ProcessRunner(settings, demo_runtime.clock, 2)
    try:
        pids = list(runner.pool._processes)  # the real pool's processes
        assert len(pids) == 2
        own = os.nice(0)
        assert [_nice_of(pid) for pid in pids] == [min(19, own + nice)] * 2
        assert _nice_of(os.getpid()) == own  # the web process keeps its priority
        # and they still answer
        message = runner.message("next aarhus", SUPPLIER, "bo", "C0DEMO")
        assert "Aarhus" in str(message["blocks"])
    finally:
        runner.close()


def test_worker_niceness_is_read_from_the_environment(caplog: pytest.LogCaptureFixture) -> None:
    assert Settings.from_env({}).worker_nice == 10
    assert Settings.from_env({"SF1590_WORKER_NICE": "0"}).worker_nice == 0
    assert Settings.from_env({"SF1590_WORKER_NICE": " 19 "}).worker_nice == 19
    for bad in ("-1", "20", "low"):  # said in the log, and the default used
        caplog.clear()
        assert Settings.from_env({"SF1590_WORKER_NICE": bad}).worker_nice == 10
        assert f"SF1590_WORKER_NICE={bad!r} is not a whole number from 0 to 19" in caplog.text


def test_https_answers_share_one_tls_context_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk's client made a TLS context (loading the CA store, tens of ms of CPU on a busy
    machine) for every answer; the poster makes one and keeps it."""
    import ssl

    import urllib3

    import bot.slack.hooks

    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted() -> ssl.SSLContext:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(bot.slack.hooks.ssl, "create_default_context", counted)
    tried: list[object] = []  # connections tried (urllib3 makes each one here)
    connect = urllib3.util.connection.create_connection

    def counted_connect(*args: Any, **kwargs: Any) -> Any:
        tried.append(args[0])
        return connect(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counted_connect)
    from tests.bot.slack.fake_slack import closed_port

    poster = ResponsePoster(timeout=5)
    url = f"https://127.0.0.1:{closed_port()}/hook"
    for _ in range(3):
        with pytest.raises(urllib3.exceptions.MaxRetryError) as refused:
            poster.post(url, {"text": "x"})
        assert isinstance(refused.value.reason, urllib3.exceptions.NewConnectionError)
    assert len(made) == 1
    assert len(tried) == 6  # each answer tried twice (a refused connection is tried once more)


def test_a_worker_posts_a_plain_answer_itself_and_hands_back_one_with_files(
    demo_runtime: Runtime, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web process only verifies, acks and hands over: a worker posts the answer (its
    posting, 1 ms or more of CPU per answer, held the web process's interpreter from the next
    acks); an answer with files comes back, as the web process uploads them."""

    def web_process_posts(url: str, message: dict[str, Any]) -> None:
        raise AssertionError(f"the web process posted to {url}")

    monkeypatch.setattr("bot.slack.app.post", web_process_posts)  # this process only
    settings = Settings(database_url=str(demo_runtime.engine.url))
    runner = ProcessRunner(settings, demo_runtime.clock, 1)
    try:
        assert runner.answer_to(f"{hooks.url}/plain", "next aarhus", SUPPLIER, "bo", "C0DEMO") is None
        ((_, path, body),) = hooks.wait_for(1)
        assert path == "/plain" and "Aarhus" in str(body["blocks"])
        with_files = runner.answer_to(f"{hooks.url}/files", "export csv aarhus", SUPPLIER, "bo", "C0DEMO")
        assert with_files is not None and with_files[FILES]  # for the web process to upload
        assert len(hooks.answers) == 1  # nothing posted for it yet
    finally:
        runner.close()
