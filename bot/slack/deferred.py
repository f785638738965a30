"""Work that starts only once the ack has left: Slack's 3 seconds are for the ack alone.

Bolt's lazy listeners hand the work to a thread at once (after copying the request), and that
thread competes with the HTTP response for the interpreter while the ack is still being written.
Here a listener acks and *defers* its work: served over HTTP, the work is collected for the
request and submitted when the response has been sent (a starlette background task); anywhere
else (Socket Mode, in-process dispatch in tests) it is submitted right away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

__all__ = ["Work", "collecting", "defer", "submit_all"]

Work = Callable[[], None]

_collected: ContextVar[list[Callable[[], object]] | None] = ContextVar("sf1590_deferred_work", default=None)


def defer(executor: Executor, work: Work) -> None:
    """Run ``work`` after the response when one is being collected, else now on ``executor``."""
    pending = _collected.get()
    if pending is None:
        executor.submit(work)
    else:
        pending.append(partial(executor.submit, work))


@contextmanager
def collecting() -> Iterator[list[Callable[[], object]]]:
    """Collect the work deferred while handling one request."""
    pending: list[Callable[[], object]] = []
    token = _collected.set(pending)
    try:
        yield pending
    finally:
        _collected.reset(token)


async def submit_all(work: list[Callable[[], object]]) -> None:
    """Start the collected work (each item hands its job to its executor and returns at once).

    A coroutine on purpose: starlette runs a plain function given as a background task in its
    thread pool, one more thread hand-off (and back) per request for what is only a submit; that
    hop was a measurable part of the event loop's work per request (bench/README.md)."""
    for start in work:
        start()
