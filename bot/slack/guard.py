"""What POST /slack/events checks before Bolt sees a request: size, signature, encoding, shape.

Hostile input gets a short 4xx, never a 500 or a traceback: a body over MAX_BODY is refused from
its Content-Length or while it streams in (413, never read whole); a missing, malformed or wrong
signature or timestamp gets 401; a body that is not UTF-8 or not a Slack payload gets 400.
"""

from __future__ import annotations

import re

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

__all__ = ["MAX_BODY", "Refused", "Signed", "bolt_request", "read_body", "verify"]

MAX_BODY = 1_000_000  # bytes; Slack's own payloads stay far below this
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # seconds since 1970; re's [0-9] excludes "²" and "٣"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """A request answered with ``status`` and a one-line reason, before any work is done."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason

    def response(self) -> Response:
        return PlainTextResponse(self.reason, status_code=self.status)


class Signed:
    """A request whose signature is valid: its signature and timestamp (the replay key)."""

    def __init__(self, signature: str, timestamp: int, text: str) -> None:
        self.signature, self.timestamp, self.text = signature, timestamp, text


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, refused (413) as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isascii() or not declared.isdigit()):
        raise Refused(400, "Bad Content-Length.")
    if declared is not None and (len(declared) > 12 or int(declared) > limit):
        raise Refused(413, f"Request body too large (at most {limit} bytes).")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # chunked or lying about its length
            raise Refused(413, f"Request body too large (at most {limit} bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


def verify(request: Request, body: bytes, secret: str) -> Signed:
    """Check Slack's signature (401 if missing or wrong) and that the body is UTF-8 (400)."""
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "Missing or malformed Slack signature.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "The body is not UTF-8.") from exc
    # The library compares in constant time and refuses timestamps over five minutes off.
    if not SignatureVerifier(secret).is_valid(text, timestamp, signature):
        raise Refused(401, "Invalid or expired Slack signature.")
    return Signed(signature, int(timestamp), text)


def bolt_request(request: Request, text: str) -> BoltRequest:
    """Bolt's request for this body, or 400 when the body is not a Slack payload at all."""
    try:
        bolt = BoltRequest(body=text, query=str(request.url.query), headers=dict(request.headers))
    except Exception as exc:  # Bolt parses the body here: bad JSON, a list, a number…
        raise Refused(400, "The body is not a Slack payload.") from exc
    if not isinstance(bolt.body, dict) or not _well_formed(bolt.body):
        raise Refused(400, "The body is not a Slack payload.")
    return bolt


def _is(value: object, kind: type, *keys: str) -> bool:
    """``value`` is a ``kind``; if a dict, with a string at each of ``keys``."""
    return isinstance(value, kind) and all(
        isinstance(value.get(k), str)  # type: ignore[attr-defined]
        for k in keys
    )


_NEEDS = {  # payload type -> top-level strings Bolt's matchers index without looking first
    "shortcut": ("callback_id",),
    "message_action": ("callback_id",),
    "interactive_message": ("callback_id",),
    "dialog_submission": ("callback_id",),
    "dialog_cancellation": ("callback_id",),
    "dialog_suggestion": ("callback_id",),
    "block_suggestion": ("action_id",),
    "workflow_step_edit": ("callback_id",),
}


def _well_formed(body: dict[str, object]) -> bool:
    """What Bolt's middleware, routing and logging index without looking first has the type
    it expects.

    Slack always sends these; a body without them is not from Slack, and Bolt would answer it
    with a 500 (a TypeError or AttributeError deep in its matchers or its own log line).
    """
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return False
    if "command" in body and not _is(body, dict, "command", "user_id"):
        return False
    if "event" in body and not _is(body["event"], dict, "type"):
        return False
    if "view" in body and not _is(body["view"], dict, "callback_id"):
        return False
    actions = body.get("actions", [])
    if not isinstance(actions, list) or not all(_is(a, dict, "action_id") for a in actions):
        return False
    if kind == "block_actions":
        return _is(body.get("user"), dict, "id") and bool(actions)
    if kind in ("view_submission", "view_closed"):
        return _is(body.get("user"), dict, "id") and "view" in body
    if kind == "event_callback":
        return "event" in body
    return _is(body, dict, *_NEEDS.get(kind or "", ()))
