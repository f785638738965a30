"""RefGraph, the plan's own small graph, answers as networkx did (which it replaced to save memory):
the same neighbours and order, and a cycle whenever networkx finds one."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.digraph import RefGraph

NODES = st.sampled_from([f"{d}/T{n}" for d in "ABC" for n in range(6)])
EDGES = st.lists(st.tuples(NODES, NODES).filter(lambda e: e[0] != e[1]), max_size=30)


def _both(nodes: list[str], edges: list[tuple[str, str]]) -> tuple[RefGraph, nx.DiGraph[str]]:
    ours, theirs = RefGraph(), nx.DiGraph()
    ours.add_nodes_from(nodes)
    theirs.add_nodes_from(nodes)
    for before, after in edges:
        ours.add_edge(before, after)
        theirs.add_edge(before, after)
    return ours, theirs


@settings(max_examples=300, deadline=None)
@given(st.lists(NODES, unique=True), EDGES)
def test_order_cycle_and_neighbours_are_those_of_networkx(
    nodes: list[str], edges: list[tuple[str, str]]
) -> None:
    ours, theirs = _both(nodes, edges)
    assert list(ours) == list(theirs)
    for node in theirs:
        assert list(ours.successors(node)) == list(theirs.successors(node))
        assert list(ours.predecessors(node)) == list(theirs.predecessors(node))
    try:
        nx.find_cycle(theirs)
    except nx.NetworkXNoCycle:
        assert ours.find_cycle() is None
        assert ours.lexicographical_topological_order() == list(nx.lexicographical_topological_sort(theirs))
    else:
        found = ours.find_cycle()
        assert found is not None and found[0] == min(found)  # named from its smallest node
        assert all(theirs.has_edge(a, b) for a, b in zip(found, [*found[1:], found[0]], strict=True))
        assert len(set(found)) == len(found)
        with pytest.raises(ValueError, match="cycle"):
            ours.lexicographical_topological_order()


def test_the_plan_graph_is_ordered_as_before(sf1590_graph) -> None:
    # the graph PlanGraph built with networkx: every tracked task, the edges between them
    theirs: nx.DiGraph[str] = nx.DiGraph()
    theirs.add_nodes_from(t.ref for t in sf1590_graph.plan.tracked_tasks())
    theirs.add_edges_from(
        (e.before, e.after) for e in sf1590_graph.plan.edges if {e.before, e.after} <= set(theirs)
    )
    assert sf1590_graph.topological_refs() == list(nx.lexicographical_topological_sort(theirs))
    for ref in theirs:
        assert sf1590_graph.predecessor_refs(ref) == sorted(theirs.predecessors(ref))
        assert sf1590_graph.successor_refs(ref) == sorted(theirs.successors(ref))


HEAVY = ("networkx", "matplotlib", "numpy", "PIL", "openpyxl", "docx", "fpdf", "icalendar", "prompt_toolkit")


def test_serve_and_its_workers_load_the_plan_without_the_heavy_libraries() -> None:
    """What `sf1590 serve` and each worker process import to answer commands: networkx cost
    each of them ~13 MB, and only the dependency chart needs it; charts, spreadsheets, reports,
    calendars and the console's line editor are imported by the commands that make them."""
    probe = (
        "import sys, bot.cli, bot.slack.server, bot.slack.workers, bot.slack.app;"
        "from bot.settings import Settings;"
        "from rollout.graph import PlanGraph;"
        "from rollout.plan_loader import load_plan_file;"
        "PlanGraph(load_plan_file(Settings().plan_path)).topological_refs();"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert not set(HEAVY) & set(out.stdout.split())
