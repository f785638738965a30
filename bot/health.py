"""GET /healthz: 200 when every part is up, else 503; one line per part either way.

Each part registers a check that returns None when it is fine, or why it is not, in one line.
A note (the scheduler's last sweep, when nobody asked for it to be checked) is shown, never
fails. Down parts come first: ``slack: not reachable yet (…)``, then ``database: ok``.
``?format=json`` gives ``{"status": "ok"|"down", "parts": {part: "ok"|why}}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from storage.heartbeat import last_sweep

__all__ = ["CHECK_SECONDS", "Health", "database_check", "scheduler_check"]

Check = Callable[[], str | None]
CHECK_SECONDS = 1.5  # each part answers within this, or is down: /healthz answers within 2 s


class Health:
    """The parts of one web process and how to ask each whether it is up."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._notes: dict[str, Check] = {}

    def add(self, part: str, check: Check) -> None:
        self._checks[part] = check

    def note(self, part: str, say: Check) -> None:
        """A part shown for information only (it never makes /healthz 503)."""
        self._notes[part] = say

    def problems(self) -> list[str]:
        """One line per part that is not up, named: ``slack: not reachable yet (…)``."""
        found = ((part, check()) for part, check in self._checks.items())
        return [f"{part}: {problem}" for part, problem in found if problem]

    async def parts(self) -> tuple[dict[str, str], dict[str, str]]:
        """(down parts and why, the other parts' lines), each check in a thread with a timeout."""
        names = [*self._checks, *self._notes]
        checks = [*self._checks.values(), *self._notes.values()]
        answers = await asyncio.gather(*(_ask(check) for check in checks))
        down = {n: a for n, a in zip(names, answers, strict=True) if n in self._checks and a}
        rest = {n: a or "ok" for n, a in zip(names, answers, strict=True) if n not in down}
        return down, rest

    async def endpoint(self, request: Request) -> Response:
        down, rest = await self.parts()
        status = 503 if down else 200
        if request.query_params.get("format") == "json":
            body = {"status": "down" if down else "ok", "parts": {**down, **rest}}
            return JSONResponse(body, status_code=status)
        lines = [f"{part}: {why}" for part, why in {**down, **rest}.items()]
        return PlainTextResponse("\n".join(lines if down else ["ok", *lines]), status_code=status)

    def route(self) -> Route:
        return Route("/healthz", self.endpoint, methods=["GET"])


async def _ask(check: Check) -> str | None:
    try:
        return await asyncio.wait_for(run_in_threadpool(check), CHECK_SECONDS)
    except TimeoutError:
        return f"did not answer within {CHECK_SECONDS} s"
    except Exception as err:  # a check that fails says so; /healthz itself stays up
        return f"check failed: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"


def database_check(engine: Engine) -> Check:
    """A real ``SELECT 1``; down with the driver's first line when it fails."""

    def check() -> str | None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as err:
            return f"SELECT 1 failed: {type(err).__name__}: {(str(err).splitlines() or [''])[0][:200]}"
        return None

    return check


def scheduler_check(engine: Engine, now: Callable[[], datetime], max_age: float) -> Check:
    """When a scheduler last finished a sweep; with ``max_age`` > 0, older (or none) is down."""

    def check() -> str | None:
        swept = last_sweep(engine)
        if swept is None:
            return "no sweep recorded yet (is `sf1590 scheduler` running?)"
        age = (now() - swept).total_seconds()
        said = f"last sweep {age:.0f} s ago ({swept.isoformat(timespec='seconds')})"
        if max_age > 0 and age > max_age:
            return f"{said}, more than SF1590_SCHEDULER_MAX_AGE={max_age:.0f} s"
        return said if max_age <= 0 else None

    return check
