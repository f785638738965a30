"""The go-live runbook: tasks done once per wave (R/LUK, R/KONV, …), and the roll-back tasks of
the municipalities a KP-3 no-go moved out of a wave (R/SLET).

A runbook task's instance is ``TaskKey(ref, SYSTEM_WIDE, wave)``: the wave id sits in the
connection slot, so storage holds it unchanged. A roll-back task's instance is
``TaskKey(ref, municipality, wave)`` with the wave the municipality left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rollout.graph import PlanGraph
from rollout.model import TaskKey
from rollout.plan import Scope

__all__ = ["NO_GO", "moved_out", "rollback_tasks", "runbook_refs"]

NO_GO = "no_go"


def runbook_refs(graph: PlanGraph) -> list[str]:
    """The refs of the tasks done once per wave, in plan order."""
    return [task.ref for task in graph.plan.tracked_tasks() if task.scope == Scope.WAVE]


def rollback_tasks(
    graph: PlanGraph,
    wave: str,
    moved_out_municipalities: Iterable[int],
) -> list[TaskKey]:
    """The roll-back tasks ("Slet kommune i bølge") owed for each municipality that a no-go
    moved out of ``wave``: one instance per (roll-back task, municipality)."""
    return graph.rollback_instances(wave, moved_out_municipalities)


def moved_out(decisions: Iterable[tuple[str, int, str]]) -> Mapping[str, frozenset[int]]:
    """Per wave, the municipalities a no-go moved out of it, from (wave, municipality, decision)
    triples of the recorded gate decisions. A later go for the same wave does not undo the move
    (the municipality has left the wave either way)."""
    found: dict[str, set[int]] = {}
    for wave, municipality, decision in decisions:
        if decision == NO_GO:
            found.setdefault(wave, set()).add(municipality)
    return {wave: frozenset(codes) for wave, codes in found.items()}
