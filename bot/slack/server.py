"""``sf1590 serve``: the Slack app over HTTP (one ASGI app under uvicorn) or in Socket Mode."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.error import BoltError
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.clock import SystemClock
from bot.health import Health
from bot.lifecycle import Closers, stop_on_signals
from bot.logs import json_logs
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.deferred import collecting, submit_all
from bot.slack.guard import Refused, Signed, read_body, verify
from bot.slack.guard import bolt_request as _bolt_request
from bot.slack.settings import ConfigError, SlackSettings
from bot.slack.workers import ProcessRunner
from storage.seen import SeenRequests, SqlSeenRequests

__all__ = [
    "SlackStartup",
    "asgi_app",
    "build_from_env",
    "builder",
    "one_line",
    "run_http",
    "serve",
    "socket_mode_handler",
    "wire",
    "worker_processes",
]

log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005
GRACE_SECONDS = 10  # on SIGTERM, requests in flight get this long to finish


def asgi_app(
    app: App | SlackStartup, *, seen: SeenRequests, signing_secret: str, health: Health | None = None
) -> Starlette:
    """POST /slack/events (commands, interactivity, events) and GET /healthz.

    Our guard refuses what is too big, unsigned or not a Slack payload, and answers a replay
    (a signature seen before) without running it again. Bolt's dispatch then runs on the event
    loop: that is only its own signature check, the routing and our one-line ack; the work is
    deferred until the response has been sent (bot.slack.deferred). Until Slack has answered
    auth.test (``SlackStartup``) the route answers 503 and /healthz says why.
    """
    startup = app if isinstance(app, SlackStartup) else SlackStartup.ready(app)
    health = health or Health()
    health.add("slack", startup.check)

    async def events(request: Request) -> Response:
        bolt_app = startup.app
        if bolt_app is None:
            return PlainTextResponse(
                f"Slack is not ready: {startup.problem}", status_code=503, headers={"Retry-After": "5"}
            )
        try:
            body = await read_body(request)
            signed = verify(request, body, signing_secret)
            if not await _first_time(seen, signed):
                log.warning(
                    "slack: a replayed request (timestamp %s) was answered, not run", signed.timestamp
                )
                return Response(status_code=200)
            bolt_request = _bolt_request(request, signed.text)
        except Refused as refused:
            return refused.response()
        with collecting() as work:
            response = to_starlette_response(bolt_app.dispatch(bolt_request))
        if work:  # the listeners' work starts once the ack has been sent
            response.background = BackgroundTask(submit_all, work)
        return response

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"]), health.route()])


async def _first_time(seen: SeenRequests, signed: Signed) -> bool:
    """Whether the request is new; 503 (Slack retries) when the database cannot say."""
    try:
        return await run_in_threadpool(seen.first_time, signed.signature, signed.timestamp)
    except SQLAlchemyError as err:
        log.error(
            "slack: cannot record the request (%s: %s); answered 503",
            type(err).__name__,
            one_line(getattr(err, "orig", None) or err),
        )
        raise Refused(503, "The database is not available; please try again.") from err


class SlackStartup:
    """The Bolt app, built in the background until Slack answers the auth.test Bolt makes.

    A Slack that does not answer at start-up must not kill the web process: /healthz stays up
    and says so, and the build is retried with backoff (``first_wait`` doubling to ``max_wait``).
    """

    def __init__(self, build: Callable[[], App], *, first_wait: float = 1.0, max_wait: float = 60.0) -> None:
        self.build, self.first_wait, self.max_wait = build, first_wait, max_wait
        self.app: App | None = None
        self.problem = "starting (auth.test not answered yet)"
        self._stop = threading.Event()

    @classmethod
    def ready(cls, app: App) -> SlackStartup:
        startup = cls(lambda: app)
        startup.app = app
        return startup

    def check(self) -> str | None:
        """None once the app is built; else why not, in one line (for /healthz)."""
        return None if self.app is not None else self.problem

    def start(self) -> SlackStartup:
        threading.Thread(target=self._run, name="sf1590-slack-start", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop retrying, and let the work of commands already acked finish (their answers go
        out through the response URL) before the worker processes are stopped."""
        self._stop.set()
        app = self.app
        executor = getattr(app.listener_runner, "listener_executor", None) if app is not None else None
        if executor is not None:
            executor.shutdown(wait=True)

    def _run(self) -> None:
        wait = self.first_wait
        while self.app is None and not self._stop.is_set():
            try:
                self.app = self.build()
            except Exception as err:  # unreachable, refused, invalid_auth: all say one line
                answered = isinstance(err, BoltError)  # Slack answered, and said no
                self.problem = (
                    f"{'auth.test failed' if answered else 'not reachable yet'}: {one_line(err)}; retrying"
                )
                log.warning("Slack auth.test failed (%s); retrying in %.0f s", one_line(err), wait)
                self._stop.wait(wait)
                wait = min(wait * 2, self.max_wait)
        if self.app is not None:
            log.info("Slack answered auth.test: /slack/events is ready")


def one_line(err: BaseException) -> str:
    """The first line of an error, with its type when the text alone would say too little."""
    text = (str(err).strip().splitlines() or [""])[0][:200]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


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
        raise ConfigError(f"SF1590_WORKERS must be a number, not {env.get('SF1590_WORKERS')!r}.") from exc


def wire(runtime: Runtime, settings: Settings, slack: SlackSettings, *, processes: int) -> App:
    """The app, with the core in ``processes`` worker processes (0: in the web process)."""
    return builder(runtime, settings, slack, processes=processes)()


def builder(
    runtime: Runtime,
    settings: Settings,
    slack: SlackSettings,
    *,
    processes: int,
    closers: Closers | None = None,
) -> Callable[[], App]:
    """What builds the app (and calls auth.test), as often as it takes; workers start once (and
    are stopped by ``closers`` when the process stops)."""
    if processes <= 0:
        return lambda: build_app(runtime, slack)
    runner = ProcessRunner(settings, runtime.clock, processes)
    if closers is not None:
        closers.add("the worker processes", runner.close)
    return lambda: build_app(runtime, slack, workers=max(8, 4 * processes), processes=runner)


def serve(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    slack = SlackSettings.from_env(env)
    settings = Settings.from_env(env)
    runtime = open_runtime(settings, SystemClock())
    closers = Closers()
    build = builder(runtime, settings, slack, processes=worker_processes(env), closers=closers)
    if slack.socket_mode:
        log.info("starting in Socket Mode (SLACK_APP_TOKEN is set)")
        try:
            socket_mode_handler(build(), slack).start()  # type: ignore[no-untyped-call]
        finally:
            closers.close()
        return 0
    startup = SlackStartup(build).start()
    closers.add("the Slack listeners", startup.close)
    run_http(
        asgi_app(startup, seen=SqlSeenRequests(runtime.engine), signing_secret=slack.signing_secret),
        slack.host,
        slack.port,
        closers=closers,
    )
    return 0


def run_http(
    app: Starlette, host: str, port: int, *, log_level: str = "info", closers: Closers | None = None
) -> None:
    """Serve under uvicorn until SIGTERM or SIGINT, then close ``closers`` and return (exit code
    0). The command work runs in threads next to the event loop; a short GIL switch interval lets
    the loop send acks while they compute (fewer slow acks at load)."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    log.info("listening on %s:%s", host, port)
    # JSON logs: uvicorn's loggers go through the root logger's JSON handler, not their own.
    config = None if json_logs() else uvicorn.config.LOGGING_CONFIG
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            proxy_headers=True,
            log_config=config,
            timeout_graceful_shutdown=GRACE_SECONDS,
        )
    )

    def stop(_signum: int) -> None:
        server.should_exit = True

    # uvicorn handles the signals while it runs and re-raises the one it caught into these.
    with stop_on_signals(stop):
        try:
            server.run()
        finally:
            if closers is not None:
                closers.close()
    if not server.started:  # the port is taken, or the app did not start: as uvicorn.run does
        raise SystemExit(3)
    log.info("stopped: requests in flight answered, worker processes ended")
