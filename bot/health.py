"""GET /healthz: "ok" (200) when every part is up; otherwise 503 and one line per part that is not.

Each part registers a check that returns None when it is fine, or why it is not, in one line.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["Health"]

Check = Callable[[], str | None]


class Health:
    """The parts of one web process and how to ask each whether it is up."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, part: str, check: Check) -> None:
        self._checks[part] = check

    def problems(self) -> list[str]:
        """One line per part that is not up, named: ``slack: not reachable yet (…)``."""
        found = ((part, check()) for part, check in self._checks.items())
        return [f"{part}: {problem}" for part, problem in found if problem]

    async def endpoint(self, _request: Request) -> Response:
        problems = self.problems()
        if problems:
            return PlainTextResponse("\n".join(problems), status_code=503)
        return PlainTextResponse("ok")

    def route(self) -> Route:
        return Route("/healthz", self.endpoint, methods=["GET"])
