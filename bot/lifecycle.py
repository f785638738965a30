"""A clean process life: SIGTERM and SIGINT end ``sf1590 serve`` and ``sf1590 scheduler`` with exit
code 0 within a few seconds, after in-flight work has finished (or been handed back) and every
child process has ended.

The signal is a request to stop, not a crash: uvicorn (and APScheduler) stop on it, then the
closers run, newest first, and the process returns normally. uvicorn re-raises a signal it caught
once it has restored the previous handlers; those handlers are ours (``stop_on_signals``), so the
process is not killed by its own signal after a clean shutdown.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["STOP_SIGNALS", "Closers", "stop_on_signals"]

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Closers:
    """What must be closed when the process stops (worker pools, threads), newest first."""

    def __init__(self) -> None:
        self._closers: list[tuple[str, Callable[[], None]]] = []

    def add(self, what: str, closer: Callable[[], None]) -> None:
        self._closers.append((what, closer))

    def close(self) -> None:
        """Run every closer once, newest first; one that fails is logged, the rest still run."""
        while self._closers:
            what, closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("could not close %s cleanly", what)


@contextmanager
def stop_on_signals(stop: Callable[[int], None]) -> Iterator[threading.Event]:
    """Call ``stop(signum)`` on SIGTERM or SIGINT while inside (from the main thread only; the
    previous handlers come back after). Yields an event set once a stop was asked for."""
    asked = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if not asked.is_set():
            log.info("%s: stopping", signal.Signals(signum).name)
        asked.set()
        stop(signum)

    if threading.current_thread() is not threading.main_thread():
        yield asked
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield asked
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
