"""Property-based checks over random plans and random states."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.graph import PlanGraph
from rollout.model import FINISHED, Municipality, Status, TaskKey, TaskState
from rollout.plan_loader import load_plan
from rollout.status import Rollout

MUNICIPALITY = Municipality(751, "Aarhus", "aarhus", "W1")
DAY = date(2019, 11, 1)


def plan_text(size: int, edges: set[tuple[int, int]]) -> str:
    tasks = "\n".join(
        f"      - {{code: T{i:03d}, title_da: Opgave {i}, title_en: Task {i}, role: r, "
        f"scope: municipality, phase: p}}"
        for i in range(size)
    )
    edge_lines = "\n".join(
        f"      - {{from: T{a:03d}, to: T{b:03d}, provenance: domain, confidence: guess, why: x}}"
        for a, b in sorted(edges)
    )
    return f"""
plan: {{id: random, title_da: x, title_en: x, tracked_diagrams: [A]}}
waves: [{{id: W1, name_da: x, name_en: x, next: null}}]
roles: [{{id: r, name_da: x, name_en: x}}]
phases: [{{id: p, name_da: x, name_en: x}}]
diagrams:
  - id: A
    integration: X
    phase_gates: {{p: G}}
    gates: [{{id: G, kind: readiness, name_da: G, name_en: G, dates: {{W1: 2019-12-20}}}}]
    tasks:
{tasks}
    edges:
{edge_lines or "      []"}
"""


@st.composite
def plans_and_states(draw: st.DrawFn) -> tuple[PlanGraph, dict[TaskKey, TaskState]]:
    size = draw(st.integers(min_value=1, max_value=12))
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    edges = set(draw(st.lists(st.sampled_from(pairs), max_size=20))) if pairs else set()
    graph = PlanGraph(load_plan(plan_text(size, edges)))
    statuses = draw(st.lists(st.sampled_from(list(Status)), min_size=size, max_size=size))
    states = {TaskKey(f"A/T{i:03d}", 751): TaskState(s) for i, s in enumerate(statuses)}
    return graph, states


@settings(max_examples=150, deadline=None)
@given(plans_and_states())
def test_next_never_lists_a_task_that_waits_on_an_unfinished_predecessor(case) -> None:  # type: ignore[no-untyped-def]
    graph, states = case
    rollout = Rollout(graph, {751: MUNICIPALITY}, states)
    for view in rollout.next_tasks(rollout.task_keys(), DAY):
        for pred in graph.predecessors(view.key, rollout.municipalities):
            assert rollout.state(pred).status in FINISHED
        assert view.state.status in (Status.TODO, Status.IN_PROGRESS)


@settings(max_examples=150, deadline=None)
@given(plans_and_states(), st.data())
def test_finishing_the_last_predecessor_makes_a_task_appear(case, data) -> None:  # type: ignore[no-untyped-def]
    graph, states = case
    rollout = Rollout(graph, {751: MUNICIPALITY}, states)
    waiting = [
        k
        for k in rollout.task_keys()
        if rollout.state(k).status == Status.TODO and len(rollout.waits_on(k)) == 1
    ]
    if not waiting:
        return
    key = data.draw(st.sampled_from(waiting))
    (pred,) = rollout.waits_on(key)
    assert key not in [v.key for v in rollout.next_tasks(rollout.task_keys(), DAY)]
    after = Rollout(graph, rollout.municipalities, {**states, pred: TaskState(Status.DONE)})
    assert key in [v.key for v in after.next_tasks(after.task_keys(), DAY)]
