"""A fake Slack Web API server (stdlib only) that records every call, for offline tests.

``/api/<method>`` answers like Slack's Web API; any other path is a response_url sink. It can
answer 429 with Retry-After a given number of times per method (``"response_url"`` for the sink).
Uploads follow ``files_upload_v2``: ``files.getUploadURLExternal`` hands out ``/upload/<file id>``,
the bytes POSTed there are kept (recorded as method ``"upload"``), and
``files.completeUploadExternal`` shares them into a channel (see :meth:`FakeSlack.uploaded`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    method: str  # auth.test, chat.postMessage, ... or "response_url"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int


def closed_port() -> int:
    """A local port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    limits: dict[str, tuple[int, int]] = field(default_factory=dict)  # method -> (times, after)
    failures: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    server: ThreadingHTTPServer | None = None
    socket_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # file id -> the uploaded bytes

    def start(self, port: int = 0) -> FakeSlack:
        """Serve on ``port`` (any free one by default)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/upload/"):
                    fake.upload(self, raw)
                    return
                fake.handle(self, raw.decode())

            def do_GET(self) -> None:  # Web API methods may be called with GET and a query
                fake.handle(self, urlsplit(self.path).query)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.socket_url = f"ws://127.0.0.1:{closed_port()}/link"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def fail(self, method: str, error: str = "internal_error") -> None:
        """Answer ``method`` with ``ok: false`` from now on."""
        self.failures[method] = error

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        self.limits[method] = (times, retry_after)

    def handle(self, request: BaseHTTPRequestHandler, raw: str) -> None:
        path = request.path
        method = path.split("/api/", 1)[1].split("?")[0] if path.startswith("/api/") else "response_url"
        ctype = request.headers.get("Content-Type", "")
        if "json" in ctype:
            body: dict[str, Any] = json.loads(raw or "{}")
        else:
            body = dict(parse_qsl(raw))
            for key in ("blocks", "view", "files"):
                if isinstance(body.get(key), str):
                    body[key] = json.loads(body[key])
        status = 200
        with self.lock:
            times, after = self.limits.get(method, (0, 0))
            if times:
                self.limits[method] = (times - 1, after)
                status = 429
            self.calls.append(Call(method, path, dict(request.headers.items()), body, status))
        if status == 429:
            self._send(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(after)})
            return
        if method == "response_url":
            self._send(request, 200, None)
            return
        self._send(request, 200, self._answer(method, body))

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method in self.failures:
            return {"ok": False, "error": self.failures[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "sf1590",
                "team_id": "T0FAKE",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            }
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": "V0FAKE", **(body.get("view") or {})}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", ""))[1:]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.of(method)):04d}{body.get('length', '')}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title")} for f in body.get("files") or []],
            }
        return {"ok": True}

    def upload(self, request: BaseHTTPRequestHandler, raw: bytes) -> None:
        """The upload URL of ``files.getUploadURLExternal``: keep the bytes, answer 200."""
        file_id = request.path.rsplit("/", 1)[1]
        with self.lock:
            self.files[file_id] = raw
            self.calls.append(
                Call(
                    "upload",
                    request.path,
                    dict(request.headers.items()),
                    {"file_id": file_id, "length": len(raw)},
                    200,
                )
            )
        self._send(request, 200, None)

    def uploaded(self) -> list[tuple[str, str, bytes]]:
        """Files shared into a conversation: (channel id, title, bytes), in order."""
        out = []
        for call in self.of("files.completeUploadExternal"):
            for item in call.body.get("files") or []:
                out.append((call.body.get("channel_id", ""), item.get("title", ""), self.files[item["id"]]))
        return out

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = b"ok" if payload is None else json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain" if payload is None else "application/json")
        request.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    # -- reading what was recorded ------------------------------------------------------------

    def of(self, method: str, *, ok_only: bool = True) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(
            f"expected {count} {method} call(s), got {len(self.of(method))}: {[c.method for c in self.calls]}"
        )
