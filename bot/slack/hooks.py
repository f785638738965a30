"""Answers POSTed to Slack's response URLs over connections kept open between answers.

slack_sdk's ``WebhookClient`` opens a new connection for every answer (in production a TCP and
TLS handshake to hooks.slack.com each time, and a fresh TLS context), on the web process that
also has to ack the next commands. Here each process keeps its idle connections per origin and
reuses them. A kept connection the server has closed meanwhile is noticed before it is used, or,
when the close races the request, by a failure before any answer came back: the answer is then
sent once more on a new connection (the server never read it). Rate limits are retried as Slack
asks (Retry-After); a connection that cannot be made is tried once more.
"""

from __future__ import annotations

import http.client
import json
import logging
import select
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HookResponse", "ResponsePoster", "proxied", "shared_poster"]

log = logging.getLogger(__name__)

Origin = tuple[str, str, int]  # scheme, host, port

USER_AGENT = "sf1590-bot"
# Errors that say the server closed a kept connection before it read the request: nothing was
# delivered, so it is safe to send the same answer again on a new connection.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
# Errors that say no connection could be made (the answer was not sent): try once more.
_UNREACHED = (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected)


@dataclass(frozen=True)
class HookResponse:
    status: int
    body: str


class ResponsePoster:
    """POSTs JSON to response URLs, keeping up to ``max_idle`` idle connections per origin.

    Thread-safe: a connection is used by one thread at a time and goes back to the pool after
    its answer has been read in full.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_idle: int = 16,
        rate_limit_retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout, self.max_idle, self.rate_limit_retries = timeout, max_idle, rate_limit_retries
        self._sleep = sleep
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None  # made once: loading the CA store costs milliseconds
        self.opened = 0  # connections made so far (for tests and the bench)

    def post(self, url: str, message: dict[str, Any]) -> HookResponse:
        """Send ``message`` as JSON to ``url``; the last response (after any retries)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        origin: Origin = (parts.scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = json.dumps(message).encode()
        rate_limited = 0
        unreached = 0
        while True:
            try:
                response = self._once(origin, target, body)
            except _UNREACHED:
                if unreached >= 1:
                    raise
                unreached += 1
                continue
            if response.status == 429 and rate_limited < self.rate_limit_retries:
                rate_limited += 1
                self._sleep(_retry_after(response))
                continue
            return HookResponse(response.status, response.body)

    def close(self) -> None:
        """Close every idle connection (those in use close when their answer is in)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # -- one request ------------------------------------------------------------------------

    def _once(self, origin: Origin, target: str, body: bytes) -> _Answered:
        headers = {
            "Content-Type": "application/json;charset=utf-8",
            "User-Agent": USER_AGENT,
            "Content-Length": str(len(body)),
        }
        connection = self._take(origin)
        if connection is not None:
            try:
                return self._exchange(origin, connection, target, body, headers)
            except _STALE:
                # The server dropped the kept connection as the request went out (its idle timer
                # won the race): it read nothing, so the answer goes again on a new connection.
                log.debug("a kept connection to %s was closed by the server; sending anew", origin[1])
        return self._exchange(origin, self._open(origin), target, body, headers)

    def _exchange(
        self,
        origin: Origin,
        connection: http.client.HTTPConnection,
        target: str,
        body: bytes,
        headers: dict[str, str],
    ) -> _Answered:
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            answered = _Answered(
                response.status,
                response.read().decode("utf-8", "replace"),
                response.getheader("Retry-After"),
            )
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._give_back(origin, connection)
        return answered

    def _open(self, origin: Origin) -> http.client.HTTPConnection:
        scheme, host, port = origin
        with self._lock:
            self.opened += 1
            if scheme == "https" and self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=tls)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _take(self, origin: Origin) -> http.client.HTTPConnection | None:
        """The most recently used idle connection that is still open, if any."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection = idle.pop()
            if _still_open(connection):
                return connection
            connection.close()

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self.max_idle:
                idle.append(connection)
                return
        connection.close()


@dataclass(frozen=True)
class _Answered:
    status: int
    body: str
    retry_after: str | None


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection can carry a request: readable while idle means the server sent
    its close (or stray bytes), and either way the connection cannot be trusted."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):  # any descriptor number, where select() stops at 1024
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed under us
        return False
    return not readable


def _retry_after(response: _Answered) -> float:
    try:
        return max(0.0, float(response.retry_after or 1))
    except ValueError:
        return 1.0


_shared: ResponsePoster | None = None
_shared_lock = threading.Lock()


def shared_poster() -> ResponsePoster:
    """This process's poster: one pool of kept connections for all its answers."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ResponsePoster()
        return _shared


def proxied(url: str) -> bool:
    """Whether the environment sends ``url`` through a proxy (HTTPS_PROXY and the like, less
    NO_PROXY): the kept connections go direct, so such answers go through slack_sdk instead."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if parts.scheme not in proxies:
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")
