"""``sf1590 export csv|xlsx|ics|history [TARGET] --out FILE``: the chat's `export` from a shell.

The command runs through the same seam as every chat (``Runtime.answer``), so the file is the
one `/sf1590 export …` would upload.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli_help import command, db_option
from bot.clock import ReplayClock, SystemClock
from bot.runtime import open_runtime
from bot.settings import Settings
from commands.context import Actor
from commands.exports import FORMATS
from commands.messages import LANGUAGES
from commands.reply import Tone

__all__ = ["add_parser", "run_export"]

PLATFORM = "cli"


def add_parser(sub: Any, date_type: Any) -> None:
    """The ``export`` subcommand (``date_type`` parses --today like the console's)."""
    export = command(
        sub,
        "export",
        "write tasks (csv/xlsx), a calendar (ics) or the history (csv) of a wave or municipality to a file",
        [
            "sf1590 export csv K91 --out k91.csv",
            "sf1590 export xlsx aarhus --today 2020-03-20",
            "sf1590 export ics P2 --out - > p2.ics",
            "sf1590 export history K91 --db sqlite:///sf1590.db",
        ],
    )
    export.add_argument(
        "format",
        choices=FORMATS,
        help="csv or xlsx: one row per task; ics: gates, deadlines and report days; history: the audit trail",
    )
    export.add_argument("target", nargs="*", help="a wave or a municipality (default: all)")
    export.add_argument(
        "--out",
        type=Path,
        help="the file to write (default: its own name in this folder; - for standard output)",
    )
    db_option(export)
    export.add_argument("--today", type=date_type, help="as of this date (YYYY-MM-DD)")
    export.add_argument(
        "--language",
        choices=LANGUAGES,
        help="headings in English or Danish (default: $SF1590_LANGUAGE or en)",
    )


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Run `export` and write its file; a bad target is one line on stderr and exit 2."""
    clock = ReplayClock(args.today) if args.today else SystemClock()
    runtime = open_runtime(settings, clock)
    text = " ".join(["export", args.format, *args.target])
    actor = Actor(PLATFORM, PLATFORM)
    answer = runtime.answer(PLATFORM, PLATFORM, None, text, language=args.language, actor=actor)
    reply = answer.reply
    if reply.tone == Tone.ERROR or not reply.files:
        hint = f" {reply.footer}" if reply.footer else ""
        print(f"sf1590 export: {reply.headline}{hint}", file=sys.stderr)
        return 2
    attachment = reply.files[0]
    if args.out is not None and str(args.out) == "-":
        sys.stdout.buffer.write(attachment.content)
        sys.stdout.buffer.flush()
        return 0
    out: Path = args.out or Path(attachment.filename)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(attachment.content)
    partial.replace(out)  # whole or not at all: an interrupted export leaves no half file
    print(f"{reply.headline} → {out}")
    return 0
