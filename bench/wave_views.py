"""How long the K91 views take on the full roster, as a chat answer (the command core).

    .venv/bin/python -m bench.wave_views [--repeat 7]

The demo database (98 municipalities, 91 in K91, the demo's recorded progress) on 2020-03-20,
when K91 is in progress (GATE passed, KP-3 on 2020-03-31). Each command runs through
``Runtime.answer`` with a fresh snapshot, as a chat command does; prints the median and the
slowest of ``--repeat`` runs per command.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bot.clock import FixedClock
from bot.runtime import open_runtime, seed_demo
from bot.settings import Settings
from commands.context import Actor

COMMANDS = (
    "next K91",
    "next K91 page:2",
    "next K91 B/TS203",
    "blocked K91",
    "status K91",
    "gate KP-3 K91",
    "gate GATE K91",
    "wave K91",
    "next aarhus randers",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        runtime = open_runtime(settings, FixedClock.at(date(2020, 1, 21)))
        seed_demo(runtime, settings)
        runtime.clock = FixedClock.at(date(2020, 3, 20))
        admin = Actor("bench", "Bench", is_admin=True)
        for command in COMMANDS:
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                runtime.answer("console", "bench", None, command, actor=admin)
                times.append((time.perf_counter() - start) * 1000)
            print(f"{command:<22} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
