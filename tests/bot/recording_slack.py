"""The fake Slack Web API, extended for the scheduler's tests (the base stays as it is):
GET methods, scripted answers (500, 429 with Retry-After) and a channel history that keeps each
posted message's metadata, as ``conversations.history`` with ``include_all_metadata`` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.bot.slack.fake_slack import Call, FakeSlack


@dataclass
class RecordingSlack(FakeSlack):
    script: dict[str, list[tuple[int, int | None, str]]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def answer_next(
        self, method: str, status: int, *, retry_after: int | None = None, error: str = ""
    ) -> None:
        """Answer the next call of ``method`` with this HTTP status and ``ok: false`` (queued in
        order); ``error`` defaults to what Slack says for that status."""
        self.script.setdefault(method, []).append((status, retry_after, error))

    def handle(self, request: BaseHTTPRequestHandler, raw: str) -> None:
        method = request.path.split("/api/", 1)[-1].split("?")[0]
        with self.lock:
            queue = self.script.get(method) or []
            scripted = queue.pop(0) if queue else None
            if scripted is not None:
                self.calls.append(
                    Call(
                        method, request.path, dict(request.headers.items()), dict(parse_qsl(raw)), scripted[0]
                    )
                )
        if scripted is None:
            super().handle(request, raw)
            return
        status, after, error = scripted
        error = error or ("ratelimited" if status == 429 else "internal_error")
        self._send(
            request,
            status,
            {"ok": False, "error": error},
            {"Retry-After": str(after)} if after is not None else None,
        )

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.history":
            with self.lock:
                messages = list(self.history.get(str(body.get("channel")), []))
            full = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
            limit = int(body.get("limit") or 100)
            return {
                "ok": True,
                "messages": [
                    m if full else {k: v for k, v in m.items() if k != "metadata"} for m in messages[:limit]
                ],
            }
        answer = super()._answer(method, body)
        if method == "chat.postMessage" and answer.get("ok"):
            channel = str(body.get("channel"))
            if channel[:1] in ("U", "W"):  # a post to a user lands in their DM (conversations.open)
                channel = "D" + channel[1:]
            with self.lock:
                self.history.setdefault(channel, []).insert(
                    0,
                    {
                        "type": "message",
                        "ts": answer["ts"],
                        "text": body.get("text"),
                        "metadata": body.get("metadata"),
                    },
                )
        return answer

    # -- reading ---------------------------------------------------------------------------------

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Bodies of accepted chat.postMessage calls, in arrival order."""
        return [
            c.body for c in self.of("chat.postMessage") if channel is None or c.body.get("channel") == channel
        ]

    def posted_keys(self, channel: str | None = None) -> list[str]:
        return [b["metadata"]["event_payload"]["key"] for b in self.posted(channel)]
