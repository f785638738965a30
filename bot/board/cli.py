"""``sf1590 board``: a board link from a shell, and ``--open`` a local read-only board server.

    sf1590 board [K91|aarhus|KP-3 P2] [--open] [--port 8159] [--db URL] [--today DATE] [--as NAME]

With ``--open`` the board is served on 127.0.0.1 (read-only: no command runs there) until
Ctrl-C, on the replayed date with ``--today``, and the link printed opens it. Without it, the link
is to the deployed ``sf1590 serve`` at ``SF1590_PUBLIC_URL``. ``console --board PORT`` (the demo)
serves the board beside the console the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.board.app import board_links
from bot.board.local import DEFAULT_PORT, local_board
from bot.cli_help import command, db_option
from bot.clock import ReplayClock, SystemClock
from bot.files import PUBLIC_URL_VAR
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from commands.context import Actor
from commands.messages import LANGUAGES
from commands.reply import Tone

__all__ = ["add_board_parser", "board_line", "console_board", "run_board"]


def add_board_parser(sub: Any, date_type: Callable[[str], date]) -> None:
    board = command(
        sub,
        "board",
        "a link to the live board (--open: serve it read-only on 127.0.0.1)",
        [
            "sf1590 board K91 --db sqlite:///sf1590.db",
            "sf1590 board --open --today 2020-03-20 --db sqlite:///sf1590-demo.db",
            "sf1590 board KP-3 P2 --as anna",
        ],
    )
    board.add_argument(
        "target", nargs="*", metavar="TARGET", help="a wave, a municipality, or a gate and its wave"
    )
    board.add_argument("--open", action="store_true", help="serve the board here, read-only, until Ctrl-C")
    board.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"with --open (default {DEFAULT_PORT})")
    db_option(board)
    board.add_argument("--today", type=date_type, help="show the plan replayed on this date (YYYY-MM-DD)")
    board.add_argument("--as", dest="user", default="console-admin", help="whom the link is for")
    board.add_argument("--language", choices=LANGUAGES, help="the board's language (default: en)")


def board_line(runtime: Runtime, user: str, words: list[str], language: str) -> tuple[bool, list[str]]:
    """The `board` command's answer for ``user``: (a link was made, its lines)."""
    actor = Actor(user, user, is_admin=True)
    text = " ".join(["board", *words])
    reply = runtime.answer("console", user, None, text, language=language, actor=actor).reply
    return reply.tone not in (Tone.ERROR, Tone.WARNING), reply.text_lines()


def run_board(args: argparse.Namespace, settings: Settings) -> int:
    clock = ReplayClock(args.today) if args.today else SystemClock()
    runtime = open_runtime(settings, clock)  # read-only: never seeds a roster
    language = args.language or runtime.language
    if args.open:
        board = local_board(runtime, args.port)
    else:
        base = os.environ.get(PUBLIC_URL_VAR, "")
        if not base:
            say = f"sf1590 board: set {PUBLIC_URL_VAR} to where `sf1590 serve` answers, or use --open"
            print(say, file=sys.stderr)
            return 2
        runtime.board_link = board_links(runtime, os.environ).mint
    made, lines = board_line(runtime, args.user, args.target, language)
    print("\n".join(lines), file=sys.stdout if made else sys.stderr, flush=True)
    if not made:
        return 2
    if args.open:
        when = f", the plan replayed on {args.today.isoformat()}" if args.today else ""
        print(f"Serving the board read-only on {board.url}{when}; Ctrl-C stops it.", flush=True)
        board.run()
    return 0


def console_board(runtime: Runtime, port: int, user: str, language: str) -> None:
    """Serve the board beside the console (a daemon thread) and print a link to it."""
    try:
        board = local_board(runtime, port)
    except OSError as err:
        print(f"The board is not served: port {port} on 127.0.0.1 is taken ({err.strerror}).")
        return
    board.start()
    made, lines = board_line(runtime, user, [], language)
    if made:
        print(f"Live board (read-only, on {board.url}): {lines[1].strip()}")
