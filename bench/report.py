"""How long the Udrulningsrapport of K91 takes on the full roster, in each format.

    .venv/bin/python -m bench.report [--repeat 3] [--version v2]

The demo (98 municipalities, 91 in K91, demo progress) replayed on 2020-03-20, read from a
SQLite file as the CLI and the chat verb read it. Per format: the first report (cold: the
renderer's library is imported, the plan's caches are empty) and the median of the next ones,
each the whole of it (read the rollout and the decisions, build the document, render it).
Target: < 5 s per report.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.demo import demo_database
from bench.figures import Figure, table
from bot.clock import FixedClock
from bot.runtime import open_runtime
from bot.settings import Settings
from commands.report import ReportAsk, make_report
from commands.report_render import FORMATS

DAY = date(2020, 3, 20)  # K91 in progress: 91 municipalities, late tasks by the thousand
TARGET_S = 5.0


def figures(
    repeat: int = 3, template: Path | None = None, version: str = "v2", wave: str = "K91"
) -> list[Figure]:
    """Cold and warm milliseconds of the whole report, per format."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        url = demo_database(Path(tmp), template)
        runtime = open_runtime(Settings(database_url=url), FixedClock.at(DAY))
        for name in FORMATS:
            times, size, rows = [], 0, 0
            for _ in range(1 + repeat):
                started = time.perf_counter()
                _, doc, attachment = make_report(runtime.context(), ReportAsk(version, wave, name))
                times.append((time.perf_counter() - started) * 1000)
                size, rows = len(attachment.content), sum(len(t.rows) for _, t in doc.tables())
            case = f"{version} {wave} {DAY}, {name}"
            out += [
                Figure(
                    "report", case, "first (cold)", times[0], note=f"{size / 1024:.0f} KiB, {rows} table rows"
                ),
                Figure(
                    "report",
                    case,
                    "median",
                    statistics.median(times[1:]),
                    note=f"{repeat} runs, target < {TARGET_S:.0f} s",
                ),
            ]
        runtime.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--version", default="v2", choices=("v1", "v2", "v3"))
    args = parser.parse_args()
    results = figures(args.repeat, version=args.version)
    print(table(results))
    worst = max(f.value for f in results) / 1000
    verdict = "OK" if worst < TARGET_S else "TOO SLOW"
    print(f"slowest report: {worst:.2f} s (target < {TARGET_S:.0f} s): {verdict}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
