"""``sf1590 serve``: the Slack app over HTTP (one ASGI app under uvicorn) or in Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette import SlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.clock import SystemClock
from bot.runtime import open_runtime
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.settings import SlackSettings
from storage.people import SqlPeopleStore

__all__ = ["asgi_app", "build_from_env", "serve", "socket_mode_handler"]

log = logging.getLogger(__name__)


def asgi_app(app: App) -> Starlette:
    """POST /slack/events (commands, interactivity, events) and GET /healthz.

    Bolt's starlette handler runs the sync App's dispatch on the event loop: that is only the
    signature check, the routing and our one-line ack; the work runs in lazy listeners.
    """
    handler = SlackRequestHandler(app)

    async def events(request: Request) -> Response:
        response: Response = await handler.handle(request)
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
    slack = SlackSettings.from_env(env)
    settings = Settings.from_env(env)
    runtime = open_runtime(settings, SystemClock())
    return build_app(runtime, SqlPeopleStore(runtime.engine), slack), slack


def serve(env: Mapping[str, str] | None = None) -> int:
    app, slack = build_from_env(env)
    if slack.socket_mode:
        log.info("starting in Socket Mode (SLACK_APP_TOKEN is set)")
        socket_mode_handler(app, slack).start()  # type: ignore[no-untyped-call]
        return 0
    log.info("serving POST /slack/events and GET /healthz on %s:%s", slack.host, slack.port)
    uvicorn.run(asgi_app(app), host=slack.host, port=slack.port, log_level="info",
                proxy_headers=True)
    return 0
