"""What a change of state can touch (``Rollout.affected``), read from the plan's successors now
that no inverse index of the predecessors is kept: exactly the instances that wait on a changed
one (or on one whose state follows it), and no task done once for everyone that does not."""

from __future__ import annotations

from rollout.graph import PlanGraph
from rollout.model import SYSTEM_WIDE, Municipality
from rollout.status import Rollout

ROSTER = {
    m.code: m
    for m in (
        Municipality(751, "Aarhus", "aarhus", "P1"),
        Municipality(575, "Vejen", "vejen", "P2", connections=("KSD", "OPUS")),
        Municipality(730, "Randers", "randers", "K91"),
    )
}


def test_a_change_touches_exactly_what_waits_on_it_by_the_plan(sf1590_graph: PlanGraph) -> None:
    rollout = Rollout(sf1590_graph, ROSTER, {})
    keys = [*rollout.task_keys(), *rollout.wave_keys()]
    waiting_on: dict[object, set[object]] = {}
    for key in keys:  # the inverse of the predecessors, over every instance of the roster
        for pred in rollout.predecessors(key):
            waiting_on.setdefault(pred, set()).add(key)
    for key in keys:
        readers = set(rollout.boxes.related(key))
        expected = readers | {w for r in readers for w in waiting_on.get(r, ())}
        found = rollout.affected([key])
        assert found == expected, key
        if key.municipality != SYSTEM_WIDE:  # kept answers of other municipalities stay
            assert {k.municipality for k in found} <= {key.municipality, SYSTEM_WIDE}
