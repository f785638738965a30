"""``sf1590 serve``: the Slack app over HTTP (one ASGI app under uvicorn) or in Socket Mode."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette import SlackRequestHandler
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.clock import SystemClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.deferred import collecting, submit_all
from bot.slack.settings import ConfigError, SlackSettings
from bot.slack.workers import ProcessRunner

__all__ = ["asgi_app", "build_from_env", "run_http", "serve", "socket_mode_handler", "wire",
           "worker_processes"]

log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005


def asgi_app(app: App) -> Starlette:
    """POST /slack/events (commands, interactivity, events) and GET /healthz.

    Bolt's starlette handler runs the sync App's dispatch on the event loop: that is only the
    signature check, the routing and our one-line ack; the work is deferred until the response
    has been sent (bot.slack.deferred).
    """
    handler = SlackRequestHandler(app)

    async def events(request: Request) -> Response:
        with collecting() as work:
            response: Response = await handler.handle(request)
        if work:  # the listeners' work starts once the ack has been sent
            response.background = BackgroundTask(submit_all, work)
        return response

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])


def socket_mode_handler(app: App, settings: SlackSettings) -> SocketModeHandler:
    """Socket Mode over the app's own Web API client (so SLACK_API_URL applies to it too)."""
    assert settings.app_token
    return SocketModeHandler(app, settings.app_token, web_client=app.client)


def build_from_env(env: Mapping[str, str] | None = None) -> tuple[App, SlackSettings]:
    """Read the settings (failing with the missing variable's name), migrate, wire the app."""
    env = os.environ if env is None else env
    slack = SlackSettings.from_env(env)
    settings = Settings.from_env(env)
    clock = SystemClock()
    runtime = open_runtime(settings, clock)
    return wire(runtime, settings, slack, processes=worker_processes(env)), slack


def worker_processes(env: Mapping[str, str]) -> int:
    """SF1590_WORKERS processes run the command core (default: one per CPU; 0: in threads)."""
    try:
        return int(env.get("SF1590_WORKERS") or os.cpu_count() or 1)
    except ValueError as exc:
        raise ConfigError(f"SF1590_WORKERS must be a number, not {env.get('SF1590_WORKERS')!r}."
                          ) from exc


def wire(runtime: Runtime, settings: Settings, slack: SlackSettings, *, processes: int) -> App:
    """The app, with the core in ``processes`` worker processes (0: in the web process)."""
    if processes <= 0:
        return build_app(runtime, slack)
    runner = ProcessRunner(settings, runtime.clock, processes)
    return build_app(runtime, slack, workers=max(8, 4 * processes), processes=runner)


def serve(env: Mapping[str, str] | None = None) -> int:
    app, slack = build_from_env(env)
    if slack.socket_mode:
        log.info("starting in Socket Mode (SLACK_APP_TOKEN is set)")
        socket_mode_handler(app, slack).start()  # type: ignore[no-untyped-call]
        return 0
    run_http(app, slack.host, slack.port)
    return 0


def run_http(app: App, host: str, port: int, *, log_level: str = "info") -> None:
    """Serve under uvicorn. The command work runs in threads next to the event loop; a short
    GIL switch interval lets the loop send acks while they compute (fewer slow acks at load)."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    log.info("serving POST /slack/events and GET /healthz on %s:%s", host, port)
    uvicorn.run(asgi_app(app), host=host, port=port, log_level=log_level, proxy_headers=True)
