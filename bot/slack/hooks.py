"""Answers POSTed to Slack's response URLs over connections kept open between answers (urllib3).

slack_sdk's ``WebhookClient`` opens a new connection, and makes a new TLS context, for every
answer. Here each process keeps one urllib3 pool manager: idle connections kept per origin (one
found closed by the server is replaced before use), one TLS context, and urllib3's ``Retry`` for
rate limits (429, as Retry-After asks), a connection that could not be made (once more), and an
answer whose connection went down before any reply came back (once more: the server's idle close
raced it). Proxies are read from the environment as urllib does (HTTPS_PROXY, NO_PROXY, ...).
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import urllib3
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry, make_headers, parse_url

__all__ = ["HookResponse", "ResponsePoster", "shared_poster"]

USER_AGENT = "sf1590-bot"
# How a connection goes down before the server sent a status line (RemoteDisconnected is a
# ConnectionResetError): typically a kept connection the server closed as the request went out.
_DROPS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


@dataclass(frozen=True)
class HookResponse:
    status: int
    body: str


class _AnswerRetry(Retry):
    """urllib3's Retry, but a POST is sent again only when the server cannot have handled it:
    never after a read timeout or a broken reply (the answer would show twice in Slack)."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError | ProtocolError) and not _unanswered(error):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _unanswered(error: Exception) -> bool:
    """Whether urllib3's "Connection aborted." error says the connection went down before any
    reply (the body is read outside urllib3's retries, so a reply cut short never gets here)."""
    return isinstance(error, ProtocolError) and any(isinstance(cause, _DROPS) for cause in error.args[1:])


class ResponsePoster:
    """POSTs JSON to response URLs, keeping up to ``max_idle`` idle connections per origin.

    Thread-safe (urllib3's pools are). Errors are urllib3's (``MaxRetryError`` when no connection
    could be made).
    """

    def __init__(self, *, timeout: float = 10.0, max_idle: int = 16, rate_limit_retries: int = 2) -> None:
        # One TLS context for the process: loading the CA store costs milliseconds, and urllib3
        # would make one per connection without it.
        self._tls = ssl.create_default_context()
        retries = _AnswerRetry(
            total=None,
            connect=1,
            read=1,  # narrowed to drops before any reply by _AnswerRetry
            status=rate_limit_retries,
            other=0,
            redirect=0,
            allowed_methods=frozenset({"POST"}),
            status_forcelist=frozenset({429}),
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 429 is the answer
        )
        self._pool_kw: dict[str, Any] = {
            "maxsize": max_idle,
            "retries": retries,
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
            "ssl_context": self._tls,
            "headers": {"Content-Type": "application/json;charset=utf-8", "User-Agent": USER_AGENT},
        }
        self._direct = urllib3.PoolManager(**self._pool_kw)
        self._proxied: dict[str, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()

    def post(self, url: str, message: dict[str, Any]) -> HookResponse:
        """Send ``message`` as JSON to ``url``; the last response (after any retries)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        response = self._manager(parts.scheme, parts.hostname).request(
            "POST",
            url,
            body=json.dumps(message).encode(),
            redirect=False,
            preload_content=False,  # the body is read below, outside the retries (never resent)
        )
        try:
            body = response.read().decode("utf-8", "replace")
        finally:
            response.release_conn()
        return HookResponse(response.status, body)

    def close(self) -> None:
        """Close every idle connection (those in use close when their answer is in)."""
        with self._lock:
            managers = [self._direct, *self._proxied.values()]
            self._proxied = {}
        for manager in managers:
            manager.clear()

    def _manager(self, scheme: str, host: str) -> urllib3.PoolManager:
        proxy = _proxy_for(scheme, host)
        if proxy is None:
            return self._direct
        with self._lock:
            manager = self._proxied.get(proxy)
            if manager is None:
                auth = parse_url(proxy).auth
                manager = self._proxied[proxy] = urllib3.ProxyManager(
                    proxy,
                    proxy_headers=make_headers(proxy_basic_auth=unquote(auth)) if auth else None,
                    proxy_ssl_context=self._tls,
                    **self._pool_kw,
                )
            return manager


def _proxy_for(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme`` (as urllib reads it: https_proxy,
    HTTPS_PROXY, ...), unless NO_PROXY exempts ``host``."""
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"  # "proxy:3128" means plain HTTP, as urllib


_shared: ResponsePoster | None = None
_shared_lock = threading.Lock()


def shared_poster() -> ResponsePoster:
    """This process's poster: one pool of kept connections for all its answers."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ResponsePoster()
        return _shared
