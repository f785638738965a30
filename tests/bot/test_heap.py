"""The collector pause around a sweep: cycles made inside are still collected, state restored."""

from __future__ import annotations

import ctypes.util
import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator

import pytest

from bot.heap import YOUNG_THRESHOLD, collector_paused, settle


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


def test_a_cycle_made_while_paused_is_freed_right_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        del a, b
        assert alive() is not None  # nothing collects it inside
    assert gc.isenabled()
    assert alive() is None


def test_a_pause_inside_a_pause_leaves_the_collector_off_until_the_outer_one_ends() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_settle_freezes_what_lives_and_collects_young_objects_less_often() -> None:
    keep = [_Node() for _ in range(100)]
    settle()
    assert gc.get_freeze_count() >= len(keep)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


_FREED_BUT_KEPT = """
import sys
from bot.heap import release_free_heap

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6

chunks = [bytes(2048) for _ in range(50_000)]  # 100 MB from malloc (above pymalloc's 512 B)
last = chunks[-1]  # kept: the heap's top stays in use, so free() alone returns nothing
del chunks
before = rss_mb()
assert release_free_heap()
print(before - rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"), reason="glibc")
def test_release_free_heap_gives_freed_malloc_memory_back() -> None:
    """What a 10x snapshot's build freed stays resident in a worker until trimmed."""
    out = subprocess.run([sys.executable, "-c", _FREED_BUT_KEPT], capture_output=True, text=True, check=True)
    assert float(out.stdout) > 50  # MB given back of the ~100 freed
