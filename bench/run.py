"""Every benchmark, one table: `make bench` (or `python -m bench.run [--quick]`).

Runs the in-process command timings (bench/commands.py), the reminder sweep's computation
(bench/reminder_sweep.py) and the Slack HTTP latency against a bare Bolt app
(bench/slack_latency.py), then prints one table of figures under the machine's core count and
load average (figures from a loaded machine are not comparable with a quiet one's).
``--quick`` runs fewer repetitions, the 1x roster only and fewer Slack requests: under a minute
on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import board, charts, commands, reminder_sweep, report, slack_latency
from bench.demo import demo_database
from bench.figures import Figure, machine, table


@dataclass(frozen=True)
class Effort:
    command_runs: int
    sweep_repeat: int
    sweep_factors: tuple[int, ...]
    slack_requests: int
    report_repeat: int


FULL = Effort(command_runs=20, sweep_repeat=7, sweep_factors=(1, 5, 10), slack_requests=100, report_repeat=3)
QUICK = Effort(command_runs=3, sweep_repeat=3, sweep_factors=(1,), slack_requests=40, report_repeat=1)


def benchmarks(effort: Effort, template: Path) -> dict[str, Callable[[], list[Figure]]]:
    """Each benchmark, on its own copy of the seeded demo database ``template``."""
    return {
        "commands": lambda: commands.figures(effort.command_runs, template),
        "sweep": lambda: reminder_sweep.figures(effort.sweep_repeat, effort.sweep_factors, template),
        "slack": lambda: slack_latency.figures(effort.slack_requests, template=template),
        "report": lambda: report.figures(effort.report_repeat, template),
        "charts": lambda: charts.figures(effort.report_repeat, template),
        "board": lambda: board.figures(effort.report_repeat * 3, max(effort.command_runs * 3, 40), template),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: under a minute")
    parser.add_argument(
        "--only",
        action="append",
        choices=["commands", "sweep", "slack", "report", "charts", "board"],
        help="run only this benchmark (repeatable)",
    )
    args = parser.parse_args(argv)
    effort = QUICK if args.quick else FULL
    before = machine()
    started = time.perf_counter()
    results: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        print("bench: seeding the demo database…", file=sys.stderr, flush=True)
        seeded = Path(tmp) / "seeded"
        seeded.mkdir()
        demo_database(seeded)
        for name, bench in benchmarks(effort, seeded / "demo.db").items():
            if args.only and name not in args.only:
                continue
            print(f"bench: {name}…", file=sys.stderr, flush=True)
            results += bench()
    took = time.perf_counter() - started
    print(
        f"SF1590 benchmarks ({'quick' if args.quick else 'full'}), Python "
        f"{platform.python_version()}, SQLite; took {took:.0f} s"
    )
    print(f"machine before: {before}")
    print(f"machine after:  {machine()}")
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
