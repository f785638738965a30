"""Every benchmark, one table: `make bench` (or `python -m bench.run [--quick] [--only SECTION]`).

Sections, in order (each a function of the effort and the seeded demo database, returning
figures; see SECTIONS):

- commands: in-process command timings on the demo roster (bench/commands.py);
- sweep: the reminder sweep's computation on the demo roster and copies of it
  (bench/reminder_sweep.py);
- scaling: the synthetic roster at 1x, 5x, 10x on SQLite and PostgreSQL: the sweep's worst day,
  the K91 countdown readiness, wave-wide `next`/`status`/`gate`/`blocked`, and log-log exponents
  (bench/scaling.py);
- slack: signed slash commands over HTTP, ours against a bare Bolt app in the same run
  (bench/slack_latency.py);
- memory: a real `sf1590 serve` with its workers after many Slack commands (bench/memory.py);
- report, charts: the Udrulningsrapport and the charts of K91 (bench/report.py, bench/charts.py).

One table of figures, targets and ratios (value / target; above 1 misses), headed with the core
count, the load average before and after and the Python version: figures from a loaded machine
are not comparable with a quiet one's. ``--quick``: fewer runs, the 1x rosters and SQLite only,
fewer requests and commands: about a minute on a quiet 2-core machine.

To add a section (e.g. bench/board.py): one entry in SECTIONS, a function
``(effort, template) -> list[Figure]``; ``--only`` offers it at once.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from bench import board, charts, commands, memory, reminder_sweep, report, scaling, slack_latency
from bench.demo import demo_database
from bench.figures import Figure, machine, table


@dataclass(frozen=True)
class Effort:
    command_runs: int
    sweep_repeat: int
    sweep_factors: tuple[int, ...]
    scaling_runs: int
    scaling_sizes: tuple[scaling.Size, ...]
    scaling_databases: tuple[str, ...]
    slack_requests: int
    memory_factor: int
    memory_commands: int
    report_repeat: int


FULL = Effort(
    command_runs=20,
    sweep_repeat=7,
    sweep_factors=(1, 5, 10),
    scaling_runs=3,
    scaling_sizes=(scaling.Size(1), scaling.Size(5), scaling.Size(10), scaling.Size(1, connections=True)),
    scaling_databases=("sqlite", "postgres"),
    slack_requests=100,
    memory_factor=10,
    memory_commands=10_000,
    report_repeat=3,
)
QUICK = Effort(
    command_runs=3,
    sweep_repeat=3,
    sweep_factors=(1,),
    scaling_runs=1,
    scaling_sizes=(scaling.Size(1),),
    scaling_databases=("sqlite",),
    slack_requests=40,
    memory_factor=1,
    memory_commands=300,
    report_repeat=1,
)

Section = Callable[[Effort, Path], list[Figure]]
SECTIONS: dict[str, Section] = {
    "commands": lambda e, template: commands.figures(e.command_runs, template),
    "sweep": lambda e, template: reminder_sweep.figures(e.sweep_repeat, e.sweep_factors, template),
    "scaling": lambda e, _: scaling.figures(e.scaling_runs, e.scaling_sizes, e.scaling_databases),
    "slack": lambda e, template: slack_latency.figures(e.slack_requests, template=template),
    "memory": lambda e, _: memory.figures(e.memory_factor, e.memory_commands),
    "report": lambda e, template: report.figures(e.report_repeat, template),
    "charts": lambda e, template: charts.figures(e.report_repeat, template),
    "board": lambda e, template: board.figures(e.report_repeat * 3, max(e.command_runs * 3, 40), template),
}

# Targets (issue 13) for figures whose benchmark does not state its own: (bench, measure) ->
# target in the figure's unit; the Slack figures come from bench/slack_latency.py as they are.
# A case prefix narrows a target to the cases it is stated for.
TARGETS: dict[tuple[str, str, str], float] = {
    ("slack", "20 client", "answer p99"): 150.0,  # ms, on the full roster
    ("slack", "", "answer max"): 3000.0,  # ms: Slack's own limit
    ("slack", "", "ack p50 ours/floor"): 1.2,  # at 1 and 20 clients
    ("report", "", "median"): 5000.0,  # ms per report
    ("charts", "", "median"): 2000.0,  # ms per chart
}


def with_targets(figures: Iterable[Figure]) -> list[Figure]:
    """Each figure with its target from TARGETS when it came without one; a note that only
    restated a target gives way to the target column."""
    out = []
    for f in figures:
        found = [
            target
            for (bench, case, measure), target in TARGETS.items()
            if (bench, measure) == (f.bench, f.measure) and f.case.startswith(case)
        ]
        if f.target is None and found:
            f = replace(f, target=found[0], note=_without_target(f.note))
        out.append(f)
    return out


def _without_target(note: str) -> str:
    parts = [p.strip() for p in note.split(",")]
    return ", ".join(p for p in parts if not p.startswith(("target", "Slack allows")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, 1x rosters: about a minute")
    parser.add_argument(
        "--only", action="append", choices=list(SECTIONS), help="run only this section (repeatable)"
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
        for name, section in SECTIONS.items():
            if args.only and name not in args.only:
                continue
            print(f"bench: {name}…", file=sys.stderr, flush=True)
            section_started = time.perf_counter()
            results += section(effort, seeded / "demo.db")
            print(f"bench: {name} took {time.perf_counter() - section_started:.0f} s", file=sys.stderr)
    took = time.perf_counter() - started
    print(
        f"SF1590 benchmarks ({'quick' if args.quick else 'full'}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.machine()}; took {took:.0f} s"
    )
    print(f"machine before: {before}")
    print(f"machine after:  {machine()}")
    print()
    final = with_targets(results)
    print(table(final))
    missed = [f for f in final if f.ratio is not None and f.ratio > 1]
    if missed:
        print(f"\n{len(missed)} figure(s) miss their target (ratio above 1).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
