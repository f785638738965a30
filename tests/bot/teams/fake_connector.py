"""A fake Bot Framework connector service (stdlib only) that records what the bot sends.

The bot answers on ``{serviceUrl}v3/conversations/{id}/activities[/{replyToId}]`` (POST) and
updates a message with PUT on ``…/activities/{id}``; every call is recorded, and answered with a
fresh activity id, as the real connector does.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass
class Call:
    method: str
    path: str
    authorization: str
    body: dict[str, Any]
    status: int = 200  # what the fake answered


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    server: ThreadingHTTPServer | None = None
    fail_status: int = 0  # answer every call with this HTTP status when set
    refused: dict[str, int] = field(default_factory=dict)  # conversation id -> status of its posts
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # Teams user id -> account

    def start(self) -> FakeConnector:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _record(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                conversation = unquote(self.path).split("/v3/conversations/", 1)[-1].split("/")[0]
                status = fake.fail_status or fake.refused.get(conversation.split(";")[0], 200)
                with fake.lock:
                    fake.calls.append(
                        Call(
                            self.command,
                            self.path,
                            self.headers.get("Authorization", ""),
                            json.loads(raw or "{}"),
                            status,
                        )
                    )
                    number = len(fake.calls)
                body = json.dumps(
                    {"id": f"act-{number}"}
                    if status == 200
                    else {"error": {"code": "Fake", "message": "failing on purpose"}}
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            do_POST = _record
            do_PUT = _record

            def do_GET(self) -> None:  # GET /v3/conversations/{id}/members/{userId}: the roster
                member = fake.members.get(self.path.rsplit("/", 1)[-1])
                body = json.dumps(member or {"error": {"code": "MemberNotFound"}})
                self.send_response(200 if member else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def messages(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.body.get("type") == "message"]

    def wait_for(self, count: int, timeout: float = 30) -> list[Call]:
        """At least ``count`` messages (replies, posts and updates), waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages()
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(
            f"expected {count} messages at the fake connector, got "
            f"{[(c.method, c.path) for c in self.messages()]}"
        )
