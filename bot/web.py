"""``sf1590 serve``: one web process for every chat platform that is configured.

Slack (``POST /slack/events``) and Teams (``POST /api/messages``) share one starlette app under
uvicorn, one runtime and one database. Each route checks its own platform's signature or token;
nothing app-wide. With Slack alone this is exactly ``bot.slack.server.serve``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.clock import SystemClock
from bot.files import FileLinks, file_links
from bot.files import routes as file_routes
from bot.health import Health
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.teams.settings import TeamsSettings
from storage.files import SqlFileStore

if TYPE_CHECKING:
    from bot.teams.server import TeamsService

__all__ = ["Web", "build_web", "serve", "teams_service", "web_app"]

log = logging.getLogger(__name__)


def teams_service(runtime: Runtime, settings: TeamsSettings, links: FileLinks | None = None) -> TeamsService:
    """The Teams side (the Agents SDK is imported only here: the ``teams`` extra)."""
    from bot.teams.server import build_service
    from storage.conversations import SqlConversationRefStore

    return build_service(runtime, SqlConversationRefStore(runtime.engine), settings, links)


def web_app(*route_lists: list[BaseRoute], health: Health | None = None) -> Starlette:
    """One app with these routes (and GET /healthz, over ``health``, when none brought one)."""
    all_routes = [r for rs in route_lists for r in rs]
    if not any(getattr(r, "path", "") == "/healthz" for r in all_routes):
        all_routes.append((health or Health()).route())
    return Starlette(routes=all_routes)


@dataclass
class Web:
    app: Starlette
    host: str
    port: int


def build_web(env: Mapping[str, str], teams: TeamsSettings, *, runtime: Runtime | None = None) -> Web:
    """The Teams route, plus Slack's (HTTP mode) or a Slack Socket Mode connection when Slack is
    configured too, on one runtime."""
    from bot.teams.server import routes

    runtime = runtime or open_runtime(Settings.from_env(env), SystemClock())
    health = Health()
    # Teams shows a reply's files under signed links that this process serves (GET /files/…).
    links = file_links(SqlFileStore(runtime.engine), runtime.clock, env)
    route_lists: list[list[BaseRoute]] = [routes(teams_service(runtime, teams, links)), file_routes(links)]
    host, port = teams.host, teams.port
    if env.get("SLACK_BOT_TOKEN"):
        from bot.slack.app import build_app
        from bot.slack.server import SlackStartup, asgi_app, socket_mode_handler
        from bot.slack.settings import SlackSettings
        from storage.seen import SqlSeenRequests

        slack = SlackSettings.from_env(env)
        if slack.socket_mode:
            log.info("Slack in Socket Mode (SLACK_APP_TOKEN is set)")
            app = build_app(runtime, slack)
            socket_mode_handler(app, slack).connect()  # type: ignore[no-untyped-call]
        else:  # built in the background: a Slack that does not answer yet must not stop Teams
            startup = SlackStartup(lambda: build_app(runtime, slack)).start()
            route_lists.append(
                list(
                    asgi_app(
                        startup,
                        seen=SqlSeenRequests(runtime.engine),
                        signing_secret=slack.signing_secret,
                        health=health,
                    ).routes
                )
            )
            host, port = slack.host, slack.port
    web = web_app(*route_lists, health=health)
    log.info("serving %s on %s:%s", ", ".join(sorted(getattr(r, "path", "") for r in web.routes)), host, port)
    return Web(web, host, port)


def serve(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    teams = TeamsSettings.from_env(env)
    if teams is None:
        from bot.slack.server import serve as serve_slack

        return serve_slack(env)
    web = build_web(env, teams)
    if teams.anonymous:
        from bot.teams.server import ANONYMOUS_WARNING

        log.warning(ANONYMOUS_WARNING)  # again, last thing before serving: hard to miss
    uvicorn.run(web.app, host=web.host, port=web.port, log_level="info", proxy_headers=True)
    return 0
