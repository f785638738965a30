"""``sf1590 serve``: one web process for every chat platform that is configured.

Slack (``POST /slack/events``) and Teams (``POST /api/messages``) share one starlette app under
uvicorn, one runtime and one database. Each route checks its own platform's signature or token;
nothing app-wide. Slack alone, Teams alone or both: the same path, the same worker settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.clock import SystemClock
from bot.files import FileLinks, file_links
from bot.files import routes as file_routes
from bot.health import Health, database_check, scheduler_check
from bot.lifecycle import Closers
from bot.metrics import route as metrics_route
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.slack.settings import ConfigError, SlackSettings
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
    closers: Closers = field(default_factory=Closers)  # worker processes, listener threads


def build_web(env: Mapping[str, str], teams: TeamsSettings | None, *, runtime: Runtime | None = None) -> Web:
    """Every configured platform on one runtime: the Teams route when Teams is configured, and
    Slack's (HTTP mode) or a Slack Socket Mode connection when Slack is; the same worker
    processes (SF1590_WORKERS) for Slack whatever else runs; /healthz, /metrics, /files and the
    board (/board)."""
    settings = Settings.from_env(env)
    runtime = runtime or open_runtime(settings, SystemClock())
    health = _health(runtime, teams, env)
    route_lists: list[list[BaseRoute]] = [[metrics_route(runtime.engine, runtime.clock.now)]]
    route_lists.append(_board(runtime, env))
    closers = Closers()
    host, port = env.get("HOST") or "0.0.0.0", 3000
    if teams is not None:
        from bot.teams.server import routes

        # Teams shows a reply's files under signed links that this process serves (GET /files/…).
        links = file_links(SqlFileStore(runtime.engine), runtime.clock, env)
        route_lists += [routes(teams_service(runtime, teams, links)), file_routes(links)]
        port = teams.port
    if env.get("SLACK_BOT_TOKEN"):
        slack_routes = _slack(env, runtime, settings, health, closers)
        route_lists.append(slack_routes)
        if slack_routes:
            port = SlackSettings.from_env(env).port
    web = web_app(*route_lists, health=health)
    log.info("serving %s on %s:%s", ", ".join(sorted(getattr(r, "path", "") for r in web.routes)), host, port)
    return Web(web, host, port, closers)


def _board(runtime: Runtime, env: Mapping[str, str]) -> list[BaseRoute]:
    """The live board's read-only pages (GET /board…), and `board` links minted for them."""
    from bot.board import board_links
    from bot.board import routes as board_routes

    links = board_links(runtime, env)
    if not links.base_url:
        log.warning("SF1590_PUBLIC_URL is not set: board links are relative; chat clients cannot open them")
    runtime.board_link = links.mint
    return board_routes(runtime, links)


def _health(runtime: Runtime, teams: TeamsSettings | None, env: Mapping[str, str]) -> Health:
    """The database and the scheduler's last sweep; Teams' token set-up (Slack adds its own)."""
    health = Health()
    health.add("database", database_check(runtime.engine))
    raw = env.get("SF1590_SCHEDULER_MAX_AGE") or "0"
    try:
        max_age = float(raw)
    except ValueError as exc:
        raise ConfigError(f"SF1590_SCHEDULER_MAX_AGE must be a number of seconds, not {raw!r}.") from exc
    check = scheduler_check(runtime.engine, runtime.clock.now, max_age)
    (health.add if max_age > 0 else health.note)("scheduler", check)
    if teams is not None:
        said = (
            "anonymous: tokens are NOT checked (local testing only)"
            if teams.anonymous
            else f"tokens checked for app {teams.app_id}"
        )
        health.note("teams", lambda: said)
    return health


def _slack(
    env: Mapping[str, str], runtime: Runtime, settings: Settings, health: Health, closers: Closers
) -> list[BaseRoute]:
    """Slack's routes (HTTP mode), or none after connecting in Socket Mode; the app is built with
    SF1590_WORKERS worker processes either way (stopped by ``closers``)."""
    from bot.slack.server import SlackStartup, asgi_app, builder, socket_mode_handler, worker_processes
    from storage.seen import SqlSeenRequests

    slack = SlackSettings.from_env(env)
    build = builder(runtime, settings, slack, processes=worker_processes(env), closers=closers)
    if slack.socket_mode:
        log.info("Slack in Socket Mode (SLACK_APP_TOKEN is set)")
        socket_mode_handler(build(), slack).connect()  # type: ignore[no-untyped-call]
        return []
    # Built in the background: a Slack that does not answer yet must not stop the rest.
    startup = SlackStartup(build).start()
    closers.add("the Slack listeners", startup.close)
    app = asgi_app(
        startup, seen=SqlSeenRequests(runtime.engine), signing_secret=slack.signing_secret, health=health
    )
    return [r for r in app.routes if getattr(r, "path", "") != "/healthz"]


def serve(env: Mapping[str, str] | None = None) -> int:
    """One serve path for any mix of Slack and Teams (Slack alone in Socket Mode: no web)."""
    env = os.environ if env is None else env
    teams = TeamsSettings.from_env(env)
    if teams is None and env.get("SLACK_APP_TOKEN"):
        from bot.slack.server import serve as serve_slack

        return serve_slack(env)
    if teams is None:
        SlackSettings.from_env(env)  # neither platform configured: say which variables are missing
    web = build_web(env, teams)
    if teams is not None and teams.anonymous:
        from bot.teams.server import ANONYMOUS_WARNING

        log.warning(ANONYMOUS_WARNING)  # again, last thing before serving: hard to miss
    from bot.slack.server import run_http

    run_http(web.app, web.host, web.port, closers=web.closers)
    return 0
