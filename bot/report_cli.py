"""``sf1590 report v2 P2 --format docx --out FILE``: the Udrulningsrapport from the command line.

The same builder as the chat verb (commands.report); the file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli_help import command, db_option
from bot.clock import ReplayClock, SystemClock
from bot.runtime import open_runtime
from bot.settings import Settings
from commands.messages import LANGUAGES
from commands.parse import UserError
from commands.report import DEFAULT_LANGUAGE, make_report, parse_report
from commands.report_render import FORMATS

__all__ = ["add_report_parser", "run_report"]


def add_report_parser(sub: Any, day: Callable[[str], date]) -> None:
    """The ``report`` subcommand; ``day`` parses --today (the CLI's own date type)."""
    report = command(
        sub,
        "report",
        "write the Udrulningsrapport v1, v2 or v3 of a wave",
        [
            "sf1590 report v2 P2",
            "sf1590 report v1 K91 --format pdf --out k91-v1.pdf --today 2020-03-20",
            "sf1590 report v3 P1 --format md --language en --db sqlite:///sf1590.db",
        ],
    )
    report.add_argument("version", help="v1 (parat), v2 (godkendte og afrapportering) or v3 (evaluering)")
    report.add_argument("wave", help="the wave, e.g. P2 or K91")
    report.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="docx",
        help="Word, PDF, Markdown or Excel (default: docx)",
    )
    report.add_argument(
        "--out", type=Path, help="the file to write (default: a name with the version, wave and date, here)"
    )
    report.add_argument(
        "--language", choices=LANGUAGES, default=DEFAULT_LANGUAGE, help="the report's language (default: da)"
    )
    report.add_argument("--today", type=day, help="the report as of this date (YYYY-MM-DD)")
    db_option(report)


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    """Build the report and write it; a bad version or wave is one line on stderr (exit 2)."""
    clock = ReplayClock(args.today) if args.today else SystemClock()
    runtime = open_runtime(settings, clock)
    try:
        ctx = runtime.context()
        if not ctx.store.municipalities():
            print(
                f"sf1590 report: {settings.database_url} has no municipalities; import a "
                "roster first (`sf1590 roster import FILE`).",
                file=sys.stderr,
            )
            return 2
        try:
            ask = parse_report(ctx, [args.version, args.wave, args.format, args.language], None)
        except UserError as err:
            print(f"sf1590 report: {err.message} {err.hint}".rstrip(), file=sys.stderr)
            return 2
        facts, doc, attachment = make_report(ctx, ask)
        out = args.out or Path(attachment.filename)
        _write_whole(out, attachment.content)
        print(
            f"Wrote {out} ({args.format}, {len(attachment.content):,} bytes): {doc.title}, "
            f"as of {ctx.today.isoformat()}; {len(facts.members)} municipalities, "
            f"{len(facts.decisions)} decisions, {len(facts.moves)} moves."
        )
        return 0
    finally:
        runtime.engine.dispose()


def _write_whole(path: Path, content: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it: never half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
