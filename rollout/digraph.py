"""The plan's dependency graph of task refs: the little of a graph library the bot needs.

networkx did this before; importing it cost every process that loads the plan (the web process
and each serve worker) about 13 MB of resident memory for three operations: predecessors and
successors, a lexicographical topological order, and finding a cycle. The standard library's
graphlib does the order and the cycle; the charts, which draw with networkx's layouts, still
import it themselves.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from graphlib import CycleError, TopologicalSorter

__all__ = ["RefGraph"]


class RefGraph:
    """A directed graph of strings; nodes and edges keep the order they were added in."""

    def __init__(self, edges: Iterable[tuple[str, str]] = ()) -> None:
        # dicts as ordered sets: the order of iteration is the order of insertion
        self._succs: dict[str, dict[str, None]] = {}
        self._preds: dict[str, dict[str, None]] = {}
        for before, after in edges:
            self.add_edge(before, after)

    def add_node(self, node: str) -> None:
        if node not in self._succs:
            self._succs[node] = {}
            self._preds[node] = {}

    def add_nodes_from(self, nodes: Iterable[str]) -> None:
        for node in nodes:
            self.add_node(node)

    def add_edge(self, before: str, after: str) -> None:
        """``before`` must come before ``after`` (both added as nodes if new)."""
        self.add_node(before)
        self.add_node(after)
        self._succs[before][after] = None
        self._preds[after][before] = None

    def __iter__(self) -> Iterator[str]:
        return iter(self._succs)

    def __contains__(self, node: object) -> bool:
        return node in self._succs

    def __len__(self) -> int:
        return len(self._succs)

    def successors(self, node: str) -> Iterator[str]:
        """KeyError for a node not in the graph."""
        return iter(self._succs[node])

    def predecessors(self, node: str) -> Iterator[str]:
        """KeyError for a node not in the graph."""
        return iter(self._preds[node])

    def lexicographical_topological_order(self) -> list[str]:
        """Every node after all its predecessors; of the nodes free to come next, always the
        smallest (as networkx's ``lexicographical_topological_sort``). ValueError on a cycle."""
        sorter = TopologicalSorter(self._preds)
        try:
            sorter.prepare()
        except CycleError as err:
            raise ValueError(f"the graph has a cycle through {min(err.args[1])!r}") from err
        free = list(sorter.get_ready())
        heapq.heapify(free)
        order: list[str] = []
        while free:  # graphlib hands out every node that is free; the heap picks the smallest
            node = heapq.heappop(free)
            order.append(node)
            sorter.done(node)
            for after in sorter.get_ready():
                heapq.heappush(free, after)
        return order

    def find_cycle(self) -> list[str] | None:
        """The nodes of a cycle in the order of its edges, from its smallest node (``[a, b]``
        for a -> b -> a), or None when there is none."""
        try:
            TopologicalSorter(self._preds).prepare()
        except CycleError as err:
            cycle: list[str] = err.args[1][:-1]  # graphlib repeats the first node at the end
            first = cycle.index(min(cycle))
            return cycle[first:] + cycle[:first]
        return None
