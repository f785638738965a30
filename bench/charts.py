"""How long each chart for K91 takes on the full roster, as a chat command (target: < 2 s).

    .venv/bin/python -m bench.charts [--repeat 5]

Builds the demo database (98 municipalities, 91 in K91, the demo's recorded progress) on
2020-03-20, then times `chart readiness K91`, `chart burndown K91` and `chart graph odense` (a
K91 municipality) through the runtime's chat seam: reading the rollout, the view models, drawing
and encoding the PNG. The first chart of a process also imports matplotlib: that is timed on its
own ("import"), once, and the charts after it are what a running bot pays.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.demo import demo_database
from bench.figures import Figure
from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime, seed_demo
from bot.settings import Settings
from commands.context import Actor

DAY = date(2020, 3, 20)
TARGET_S = 2.0
COMMANDS = ("chart readiness K91", "chart burndown K91", "chart graph odense")
ADMIN = Actor("bench", "Bench", is_admin=True)


def timed(runtime: Runtime, text: str) -> tuple[float, int]:
    """Seconds for one chart command, and the PNG's size in bytes."""
    start = time.perf_counter()
    reply = runtime.answer("console", "bench", None, text, actor=ADMIN).reply
    seconds = time.perf_counter() - start
    if len(reply.files) != 1:
        raise SystemExit(f"{text}: no chart ({reply.headline})")
    return seconds, len(reply.files[0].content)


def figures(repeat: int = 3, template: Path | None = None) -> list[Figure]:
    """Median and worst milliseconds of each chart (after matplotlib is imported), for bench.run."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        url = demo_database(Path(tmp), template)
        runtime = open_runtime(Settings(database_url=url), FixedClock.at(DAY))
        import matplotlib.figure  # noqa: F401 - paid once per process, not per chart

        for text in COMMANDS:
            runs = [timed(runtime, text) for _ in range(repeat)]
            ms = [seconds * 1000 for seconds, _ in runs]
            note = f"{repeat} runs, {runs[0][1] / 1000:.0f} kB PNG, target < {TARGET_S:.0f} s"
            out += [
                Figure("charts", f"{text} {DAY}", "median", statistics.median(ms), note=note),
                Figure("charts", f"{text} {DAY}", "max", max(ms)),
            ]
        runtime.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        runtime = open_runtime(settings, FixedClock.at(DAY))
        seed_demo(runtime, settings)
        start = time.perf_counter()
        import matplotlib.figure  # noqa: F401 - what the first chart of a process pays once

        print(f"import matplotlib: {time.perf_counter() - start:.2f} s (once per process)")
        print(f"{'chart':<24} {'median s':>9} {'max s':>7} {'PNG kB':>7}  target < {TARGET_S} s")
        for text in COMMANDS:
            runs = [timed(runtime, text) for _ in range(args.repeat)]
            seconds = [s for s, _ in runs]
            verdict = "met" if max(seconds) < TARGET_S else "NOT MET"
            print(
                f"{text:<24} {statistics.median(seconds):>9.2f} {max(seconds):>7.2f} "
                f"{runs[0][1] / 1000:>7.0f}  {verdict}"
            )
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
