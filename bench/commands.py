"""In-process timings of commands through the command core, on the full demo roster on SQLite.

    .venv/bin/python -m bench.commands [--runs 20]

Seeds a SQLite file with the demo (98 municipalities, every task instance, demo progress on
2020-01-21) and runs each command ``--runs`` times as an admin from the console, as of
2020-01-21 09:00 (no network, no chat platform): wave-wide answers for K91, the biggest wave
(91 municipalities), and one municipality's `next`. Prints p50/p95 per command. Commands that
change nothing only: the database is the same for every run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.demo import DAY, demo_database
from bench.figures import Figure, percentile, table
from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from commands.context import Actor, Invocation

COMMANDS = ("next K91", "blocked K91", "status K91", "gate KP-3 K91", "next aarhus")
ADMIN = Actor("bench", "Bench Admin", is_admin=True)


def demo_runtime(folder: Path, template: Path | None = None) -> Runtime:
    """A runtime on a SQLite file with the demo roster and progress, on the demo's day."""
    settings = Settings(database_url=demo_database(folder, template))
    return open_runtime(settings, FixedClock.at(DAY, 9))


def time_command(runtime: Runtime, text: str, runs: int) -> list[float]:
    """Milliseconds per run of ``text`` (after one untimed warm-up run)."""
    invocation = Invocation(text, ADMIN, "console")
    reply = runtime.run(invocation)
    if reply.changed or not reply.text_lines():
        raise SystemExit(f"bench: {text!r} should answer without changing anything: {reply}")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        runtime.run(invocation)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def figures(runs: int = 20, template: Path | None = None) -> list[Figure]:
    """p50 and p95 of each command over ``runs`` runs (on a copy of ``template`` if given)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        runtime = demo_runtime(Path(tmp), template)
        try:
            for text in COMMANDS:
                timings = time_command(runtime, text, runs)
                out += [
                    Figure("commands", text, "p50", percentile(timings, 0.5), note=f"{runs} runs"),
                    Figure("commands", text, "p95", percentile(timings, 0.95)),
                ]
        finally:
            runtime.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(table(figures(args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
