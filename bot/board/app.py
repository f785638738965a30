"""The board's pages: the rollout, a wave's grid, a municipality, a gate; read-only.

Every page needs a valid token (a cookie, traded for the link's token by ``/board/open``);
anything else gets a bare 403 with no data. Pages are complete server-rendered HTML; htmx (served
from the package) polls the same URL with ``since=<change marker>`` every few seconds: the
server answers 204 while nothing changed (one small query) and the page's main part otherwise.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.board.links import BoardLinks
from bot.clock import COPENHAGEN
from bot.files import PUBLIC_URL_VAR, SECRET_VAR
from bot.runtime import Runtime
from commands.board import (
    CELL_MARKS,
    WaveBoard,
    board_snapshot,
    gate_board,
    municipality_board,
    rollout_board,
    wave_board,
)
from commands.charts.data import STATES
from commands.context import CommandContext
from commands.messages import speaking, t
from commands.parse import find_municipality, match_wave
from rollout.status import Rollout
from storage.changes import change_marker
from storage.files import SqlFileStore

__all__ = ["COOKIE", "FILTERS", "HEADERS", "POLL_SECONDS", "RedactTokens", "board_links", "routes"]

COOKIE = "sf1590_board"
FILTERS = ("diagram", "role", "state")  # the query a page is built from; anything else is ignored
POLL_SECONDS = 2
STATIC = Path(__file__).parent / "static"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_TARGET = re.compile(
    r"(wave/[A-Za-z0-9-]{1,20}|municipality/[a-z0-9-]{1,60}|gate/[A-Za-z0-9-]{1,20}/[A-Za-z0-9-]{1,20})?"
)
_FORBIDDEN = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>403</title>'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>'
    '<h1>403</h1><p>{en}</p><p lang="da">{da}</p></main></body></html>'
)


def board_links(runtime: Runtime, env: Mapping[str, str], *, base_url: str | None = None) -> BoardLinks:
    """Links for this deployment, signed with the file links' key (``SF1590_FILES_SECRET`` or
    the database's), to ``base_url`` or ``SF1590_PUBLIC_URL``."""
    secret = env.get(SECRET_VAR, "")
    key = secret.encode() if secret else SqlFileStore(runtime.engine).link_key()
    base = base_url if base_url is not None else env.get(PUBLIC_URL_VAR, "")
    return BoardLinks(key, runtime.clock, base.rstrip("/"))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.board", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=t, marks=CELL_MARKS, states=STATES, grid_rows=grid_rows)
    return env


def grid_rows(board: WaveBoard) -> Markup:
    """The grid's body rows: thousands of cells, so built here rather than in the template
    (several times faster); every text from data is escaped."""
    refs = [escape(board.grid.columns[c]) for c in board.columns]
    out = []
    for row in board.rows:
        name = escape(row.name)
        counts = ""
        if row.late or row.blocked:
            late = f"{row.late}/" if row.late else ""
            blocked = f" {row.blocked}×" if row.blocked else ""
            counts = f' <span class="counts">{late}{blocked}</span>'
        cells = "".join(
            f'<td class="{cell.state or "none"}{" req" if cell.required else ""}" title="{name} · {ref}">'
            f"{CELL_MARKS[cell.state]}</td>"
            for cell, ref in zip(row.cells, refs, strict=True)
        )
        out.append(
            f'<tr><th scope="row"><a href="/board/municipality/{escape(row.slug)}">{name}</a>{counts}</th>'
            f"{cells}</tr>"
        )
    return Markup("\n".join(out))


def forbidden() -> Response:
    """The same bare answer for a missing, forged and expired link: nothing about the rollout."""
    with speaking("en"):
        en = t("board.forbidden")
    with speaking("da"):
        da = t("board.forbidden")
    return HTMLResponse(_FORBIDDEN.format(en=en, da=da), status_code=403, headers=HEADERS)


_TOKEN_IN_PATH = re.compile(r"([?&]token=)[^&\s]+")


class RedactTokens(logging.Filter):
    """Keeps board tokens out of the access log (uvicorn logs each request's path and query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


class _Pages:
    """Each page's main part as rendered, until the change marker moves, the day turns or the
    page is asked in another language: one build however many boards show it. Builds are one at
    a time, so boards asking together after a change wait for the first instead of each
    computing it."""

    def __init__(self, size: int = 32) -> None:
        self._building = threading.Lock()
        self._pages: OrderedDict[tuple[object, ...], tuple[str, str, int]] = OrderedDict()
        self._size = size

    def get(self, key: tuple[object, ...], build: Callable[[], tuple[str, str, int]]) -> tuple[str, str, int]:
        found = self._pages.get(key)  # a built page is served without waiting for another's build
        if found is not None:
            return found
        with self._building:
            found = self._pages.get(key)
            if found is None:
                found = self._pages[key] = build()
                while len(self._pages) > self._size:
                    self._pages.popitem(last=False)
            return found


# A page: (template, title, values), or None for no such page; from one snapshot of the rollout.
Page = tuple[str, str, dict[str, Any]]
Render = Callable[[Request, CommandContext, Rollout], Page | None]


def routes(runtime: Runtime, links: BoardLinks) -> list[BaseRoute]:
    """``/board/open`` (trades a link's token for a cookie), the four pages, the static files."""
    templates = _environment()
    pages = _Pages()
    _redact_access_log()

    def snapshot(marker: str) -> tuple[CommandContext, Rollout]:
        del marker  # the store's kept snapshot is brought up to date by the database itself
        ctx = runtime.context()
        return ctx, board_snapshot(ctx)

    def page(render: Render) -> Any:
        def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            viewer = links.viewer(request.cookies.get(COOKIE))
            if viewer is None:
                return forbidden()
            today = runtime.clock.today()
            # A new day changes days-left and late even when nothing was recorded.
            marker = f"{change_marker(runtime.engine)}.{today.isoformat()}"
            if request.query_params.get("since") == marker:
                return Response(status_code=204, headers=HEADERS)  # nothing new: htmx keeps the page
            query = sorted((k, v) for k, v in request.query_params.items() if k in FILTERS)
            key = (request.url.path, tuple(query), viewer.language, marker)
            with speaking(viewer.language):
                title, main, status = pages.get(key, lambda: build(request, render, today, marker))
                shell = templates.get_template("shell.html").render(
                    viewer=viewer,
                    language=viewer.language,
                    until=_minute(viewer.expires),
                    title=title,
                    main=Markup(main),
                    live_url=f"{request.url.path}?{urlencode([*query, ('since', marker)])}",
                    poll=POLL_SECONDS,
                    path=request.url.path,
                    waves=list(runtime.graph.plan.waves),
                )
            took = (time.perf_counter() - started) * 1000
            timing = {"Server-Timing": f"render;dur={took:.1f}"}  # what bench/board.py reads
            return HTMLResponse(shell, status_code=status, headers={**HEADERS, **timing})

        return endpoint

    def build(request: Request, render: Render, today: date, marker: str) -> tuple[str, str, int]:
        common = {
            "today": today,
            "replayed": callable(getattr(runtime.clock, "real_now", None)),
            "updated": runtime.clock.now().astimezone(COPENHAGEN).strftime("%H:%M:%S"),
        }
        found = render(request, *snapshot(marker))
        if found is None:
            what = request.url.path.removeprefix("/board/")
            main = templates.get_template("missing.html").render(common, what=what)
            return t("board.not_found", what=what), main, 404
        name, title, values = found
        return title, templates.get_template(name).render({**common, **values}), 200

    def rollout_page(request: Request, ctx: CommandContext, rollout: Rollout) -> Page:
        return "rollout.html", t("board.rollout.heading"), {"board": rollout_board(ctx, rollout)}

    def wave_page(request: Request, ctx: CommandContext, rollout: Rollout) -> Page | None:
        wave = match_wave(request.path_params["wave"], ctx.graph.plan)
        if wave is None:
            return None
        query = request.query_params
        plan = ctx.graph.plan
        diagram = query.get("diagram", "")
        role = query.get("role", "")
        state = query.get("state", "")
        chosen = wave_board(
            ctx,
            wave,
            diagram=diagram if diagram in plan.diagrams else "",
            role=role if role in plan.roles else "",
            state=state if state in STATES else "",
            rollout=rollout,
        )
        danish = t("board.language") == "da"
        phases = {p.id: p.name_da if danish else p.name_en for p in plan.phases.values()}
        roles = {r.id: r.name_da if danish else r.name_en for r in plan.roles.values()}
        titles = {
            ref: (plan.task(ref).title_da if danish else plan.task(ref).title_en)
            for ref in chosen.grid.columns
        }
        return (
            "wave.html",
            t("board.wave.heading", wave=wave),
            {
                "board": chosen,
                "phase_names": phases,
                "role_names": roles,
                "titles": titles,
                "chosen": {"diagram": diagram, "role": role, "state": state},
            },
        )

    def municipality_page(request: Request, ctx: CommandContext, rollout: Rollout) -> Page | None:
        found = find_municipality([request.path_params["slug"]], rollout.municipalities)
        if found is None:
            return None
        return "municipality.html", found.name, {"board": municipality_board(ctx, found, rollout)}

    def gate_page(request: Request, ctx: CommandContext, rollout: Rollout) -> Page | None:
        wave = match_wave(request.path_params["wave"], ctx.graph.plan)
        if wave is None:
            return None
        found = gate_board(ctx, request.path_params["gate"], wave, rollout)
        return None if found is None else ("gate.html", f"{found.gate} {found.wave}", {"board": found})

    def open_link(request: Request) -> Response:
        token = request.query_params.get("token")
        viewer = links.viewer(token)
        if viewer is None or token is None:
            return forbidden()
        target = request.query_params.get("to", "")
        clean = "/board/" + target if _TARGET.fullmatch(target) and target else "/board"
        with speaking(viewer.language):
            body = templates.get_template("open.html").render(
                viewer=viewer, language=viewer.language, to=clean
            )
        response = HTMLResponse(body, headers=HEADERS)
        seconds = int((viewer.expires - links_now()).total_seconds())
        response.set_cookie(
            COOKIE,
            token,
            max_age=max(seconds, 0),
            path="/board",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    def links_now() -> datetime:
        real = getattr(runtime.clock, "real_now", None)
        moment: datetime = real() if callable(real) else runtime.clock.now()
        return moment

    def root_redirect(request: Request) -> Response:
        return RedirectResponse("/board", status_code=308)

    return [
        Route("/board/open", open_link, methods=["GET"]),
        Route("/board", page(rollout_page), methods=["GET"]),
        Route("/board/", root_redirect, methods=["GET"]),
        Route("/board/wave/{wave}", page(wave_page), methods=["GET"]),
        Route("/board/municipality/{slug}", page(municipality_page), methods=["GET"]),
        Route("/board/gate/{gate}/{wave}", page(gate_page), methods=["GET"]),
        Mount("/board/static", StaticFiles(directory=STATIC), name="board-static"),
    ]


def _minute(at: datetime) -> str:
    return at.astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M")
