"""A local, read-only board server on 127.0.0.1 for the console, the demo and ``sf1590 board``."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette

from bot.board.app import board_links, routes
from bot.board.links import BoardLinks
from bot.runtime import Runtime

__all__ = ["DEFAULT_PORT", "LocalBoard", "board_app", "local_board"]

DEFAULT_PORT = 8159
HOST = "127.0.0.1"  # never another interface: this server checks no platform's signature


def board_app(runtime: Runtime, links: BoardLinks) -> Starlette:
    """Only the board's pages: nothing here writes."""
    return Starlette(routes=routes(runtime, links))


@dataclass
class LocalBoard:
    """The board on a bound local socket: :meth:`start` in a thread or :meth:`run` here."""

    url: str  # http://127.0.0.1:PORT
    links: BoardLinks
    server: uvicorn.Server
    sock: socket.socket
    thread: threading.Thread | None = field(default=None)

    def run(self) -> None:
        """Serve in this thread until interrupted."""
        self.server.run(sockets=[self.sock])

    def start(self) -> LocalBoard:
        self.thread = threading.Thread(target=self.run, name="board", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.sock.close()


def local_board(runtime: Runtime, port: int = DEFAULT_PORT) -> LocalBoard:
    """Bind 127.0.0.1:``port`` (0: any free port) for the board; the runtime's `board` command
    then links there. OSError when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(128)  # connections wait in the backlog until uvicorn accepts: the link works at once
    except OSError:
        sock.close()
        raise
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    links = board_links(runtime, os.environ, base_url=url)
    runtime.board_link = links.mint
    config = uvicorn.Config(board_app(runtime, links), log_level="warning", lifespan="off")
    return LocalBoard(url, links, uvicorn.Server(config), sock)
