"""A board over real HTTP on 127.0.0.1, on the demo database, and a way to open it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.board import BoardLinks, board_links, routes
from bot.board.local import board_app
from bot.clock import FixedClock
from bot.runtime import Runtime
from commands.context import Actor
from tests.asgi_server import serve

ADA = Actor("ada", "Ada Admin", is_admin=True)


@dataclass
class Board:
    runtime: Runtime
    links: BoardLinks
    base: str

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.runtime.clock, FixedClock)
        return self.runtime.clock

    def ask(self, text: str, *, language: str = "en", actor: Actor = ADA) -> list[str]:
        """A command typed in the console as ``actor``; the reply's lines."""
        return self.runtime.answer(
            "console", actor.handle, None, text, language=language, actor=actor
        ).reply.text_lines()

    def link(self, text: str = "board", **kwargs: object) -> str:
        """The link a `board` command answers with."""
        found = [line.strip() for line in self.ask(text, **kwargs) if "/board/open?" in line]  # type: ignore[arg-type]
        assert len(found) == 1, self.ask(text)
        return found[0]

    def opened(self, link: str) -> httpx.Client:
        """A browser-like client that followed ``link`` (and holds its cookie)."""
        client = httpx.Client(timeout=30)
        response = client.get(link)
        assert response.status_code == 200, response.text
        return client


@pytest.fixture
def board(demo_runtime: Runtime) -> Iterator[Board]:
    links = board_links(demo_runtime, {})
    demo_runtime.board_link = links.mint
    for base in serve(board_app(demo_runtime, links)):
        links.base_url = base
        yield Board(demo_runtime, links, base)


__all__ = ["ADA", "Board", "routes"]
