"""Cyclic garbage collection kept out of the way of long computations over many small objects.

A sweep (or a wave-wide answer) builds hundreds of thousands of short-lived objects (task keys,
views, tuples) that reference counting frees on its own: none of them form cycles. Python's
cyclic collector still walks them, and every older generation besides, each time enough of them
have been allocated; at 10x the roster that walk was half of a countdown day's sweep and made it
grow faster than the roster (bench/README.md, "Scaling"). Two remedies, both standard:

- :func:`settle`, once after start-up: collect, then freeze what is alive (the plan, its graph,
  imported modules) so later collections never walk it again, and collect the youngest
  generation less often;
- :func:`collector_paused`: no cyclic collection during one bounded computation; what it left
  behind is collected once, right after.

And :func:`release_free_heap`, after building a large snapshot: glibc keeps the memory the
build's temporaries freed (dicts, lists) for later allocations instead of giving it back, which
shows as resident memory of a long-lived worker process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

__all__ = ["YOUNG_THRESHOLD", "collector_paused", "release_free_heap", "settle"]

YOUNG_THRESHOLD = 50_000  # allocations between two young collections (CPython's default: 700)


def settle() -> None:
    """Freeze everything alive now out of the collector's sight; collect young objects less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (nested blocks are fine); one young collection after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)


@cache
def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_free_heap() -> bool:
    """Give the C heap's free pages back to the system (``malloc_trim(0)``); False where the C
    library cannot. Python's own small-object arenas are returned when empty anyway."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
