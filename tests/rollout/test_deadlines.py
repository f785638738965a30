"""Working deadlines respect the dependency graph: a task is due early enough for every task
that waits on it, the plan's own dates stay visible, and a task that waits is never late."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.plan_loader import load_plan
from rollout.status import Rollout

RANDERS = Municipality(730, "Randers", "randers", "P2")


def test_every_edge_of_every_wave_leaves_the_successor_its_duration(sf1590_graph: PlanGraph) -> None:
    calendar = sf1590_graph.calendar
    checked = 0
    for wave in sf1590_graph.plan.waves:
        for ref in sf1590_graph.topological_refs():
            after = sf1590_graph.deadline(ref, wave)
            for pred in sf1590_graph.predecessor_refs(ref):
                before = sf1590_graph.deadline(pred, wave)
                assert before is not None and after is not None, (pred, ref, wave)
                # finished by its deadline, the predecessor leaves the successor its own duration
                # (the runbook's go-live steps take 0-1 days, the rest of the plan 2)
                assert calendar.add_working_days(
                    before.day, sf1590_graph.duration(ref)
                ) <= calendar.working_day_on_or_before(after.day), (pred, ref, wave)
                checked += 1
    edges = sum(len(sf1590_graph.predecessor_refs(r)) for r in sf1590_graph.topological_refs())
    assert checked == len(sf1590_graph.plan.waves) * edges  # every task has a date in every wave


def test_no_working_deadline_is_later_than_the_plan_prints(sf1590_graph: PlanGraph) -> None:
    for wave in sf1590_graph.plan.waves:
        for ref in sf1590_graph.topological_refs():
            working, printed = sf1590_graph.deadline(ref, wave), sf1590_graph.printed_deadline(ref, wave)
            if printed is not None:
                assert working is not None and working.day <= printed.day
                assert working.moved == (working.day != printed.day)


def test_b_start_criteria_are_due_before_the_p2_gate_tasks_that_wait_on_them(sf1590_graph: PlanGraph) -> None:
    ts107 = sf1590_graph.deadline("B/TS107", "P2")
    assert ts107 is not None and ts107.day == date(2019, 9, 25)
    assert (ts107.needed_by, ts107.needed_by_day, ts107.printed) == (
        "B/TS108",
        date(2019, 9, 27),
        date(2019, 9, 27),
    )
    criterion = sf1590_graph.deadline("B/TF100", "P2")
    assert criterion is not None and criterion.day < ts107.day
    assert criterion.printed == date(2019, 11, 11) and criterion.moved


def test_a_production_test_no_longer_waits_on_later_tasks(sf1590_graph: PlanGraph) -> None:
    # The PVT is printed 2020-01-20 for K91, its prerequisite TS200 only the Gate (2020-03-06).
    pvt, mapping = sf1590_graph.deadline("A/TS104", "K91"), sf1590_graph.deadline("A/TS200", "K91")
    assert pvt is not None and pvt.day == date(2020, 1, 20) and not pvt.moved
    assert mapping is not None and mapping.day == date(2020, 1, 16)
    assert mapping.printed == date(2020, 3, 6) and mapping.needed_by == "A/TS104"


def test_ts107_for_randers_waits_and_is_not_late_while_its_prerequisites_are_open(
    sf1590_graph: PlanGraph,
) -> None:
    rollout = Rollout(sf1590_graph, {RANDERS.code: RANDERS}, {})
    key = TaskKey("B/TS107", RANDERS.code)
    for today in (date(2019, 10, 1), date(2020, 1, 21)):
        view = rollout.view(key, today)
        assert view.past_due and view.waiting and not view.overdue
        roots = {r.view.key for r in rollout.stuck(rollout.task_keys([RANDERS]), today)}
        assert key not in roots  # the open task it waits on is named, not TS107
        assert all(rollout.view(r, today).overdue or rollout.state(r).status == Status.BLOCKED for r in roots)
    done = {p: TaskState(Status.DONE) for p in rollout.predecessors(key)}
    ready = Rollout(sf1590_graph, {RANDERS.code: RANDERS}, done).view(key, date(2019, 10, 1))
    assert ready.overdue and not ready.waiting  # nothing left to wait on: now it is late


def test_plan_inversions_name_the_edge_the_wave_and_both_printed_dates(sf1590_graph: PlanGraph) -> None:
    found = sf1590_graph.inversions()
    assert found and all(i.before.day > i.after.day for i in found)
    assert {i.wave for i in found} == {"P2", "K91"}
    ts107 = [i for i in found if i.edge.after == "B/TS107" and i.edge.before == "B/TF100"]
    assert [(i.wave, i.before.day, i.after.day, i.before.milestone) for i in ts107] == [
        ("P2", date(2019, 11, 11), date(2019, 9, 27), "START-CRITERIA")
    ]


def _random_plan(
    size: int, edges: set[tuple[int, int]], offsets: list[int | None], durations: list[int]
) -> str:
    tasks = []
    for i in range(size):
        deadline = f", deadline: M{i}" if offsets[i] is not None else ""
        tasks.append(
            f"      - {{code: T{i:02d}, title_da: x, title_en: x, role: r, "
            f"scope: municipality, phase: p, duration_days: {durations[i]}{deadline}}}"
        )
    milestones = [
        f"      - {{id: M{i}, kind: deadline, name_da: M, name_en: M, confidence: guess, "
        f"dates: {{W1: {date(2020, 1, 6) + timedelta(days=offset)}}}}}"
        for i, offset in enumerate(offsets)
        if offset is not None
    ]
    edge_lines = [
        f"      - {{from: T{a:02d}, to: T{b:02d}, provenance: domain, confidence: likely, why: x}}"
        for a, b in sorted(edges)
    ]
    return f"""
plan: {{id: random, title_da: x, title_en: x, tracked_diagrams: [A]}}
waves: [{{id: W1, name_da: x, name_en: x, next: null}}]
roles: [{{id: r, name_da: x, name_en: x}}]
phases: [{{id: p, name_da: x, name_en: x}}]
diagrams:
  - id: A
    integration: X
    phase_gates: {{p: G}}
    gates: [{{id: G, kind: readiness, name_da: G, name_en: G, dates: {{W1: 2020-03-02}}}}]
    milestones:
{chr(10).join(milestones) or "      []"}
    tasks:
{chr(10).join(tasks)}
    edges:
{chr(10).join(edge_lines) or "      []"}
"""


@st.composite
def random_plans(draw: st.DrawFn) -> PlanGraph:
    size = draw(st.integers(min_value=2, max_value=10))
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    edges = set(draw(st.lists(st.sampled_from(pairs), max_size=15)))
    offsets = draw(st.lists(st.one_of(st.none(), st.integers(0, 60)), min_size=size, max_size=size))
    durations = draw(st.lists(st.integers(0, 5), min_size=size, max_size=size))
    return PlanGraph(load_plan(_random_plan(size, edges, offsets, durations)))


@settings(max_examples=120, deadline=None)
@given(random_plans())
def test_any_plan_gets_deadlines_consistent_with_its_graph(graph: PlanGraph) -> None:
    for ref in graph.topological_refs():
        after = graph.deadline(ref, "W1")
        assert after is not None
        printed = graph.printed_deadline(ref, "W1")
        assert printed is not None and after.day <= printed.day
        for pred in graph.predecessor_refs(ref):
            before = graph.deadline(pred, "W1")
            assert before is not None
            # done by its deadline, the predecessor leaves the successor its working days
            last = graph.calendar.working_day_on_or_before(after.day)
            assert graph.calendar.add_working_days(before.day, graph.duration(ref)) <= last


@settings(max_examples=80, deadline=None)
@given(random_plans(), st.data())
def test_no_task_is_late_while_it_waits_and_what_it_waits_on_is(
    graph: PlanGraph, data: st.DataObject
) -> None:
    municipality = Municipality(751, "Aarhus", "aarhus", "W1")
    refs = graph.topological_refs()
    statuses = data.draw(
        st.lists(
            st.sampled_from([Status.TODO, Status.DONE, Status.IN_PROGRESS]),
            min_size=len(refs),
            max_size=len(refs),
        )
    )
    states = {TaskKey(ref, 751): TaskState(s) for ref, s in zip(refs, statuses, strict=True)}
    rollout = Rollout(graph, {751: municipality}, states)
    today = date(2020, 4, 1)  # after every date of the random plans
    for view in rollout.views(rollout.task_keys(), today):
        if view.overdue:
            assert not view.waits_on
        if view.past_due and view.waits_on:  # waiting: the open task it waits on is late
            assert any(rollout.view(p, today).past_due for p in view.waits_on)
    late_roots = {r.view.key for r in rollout.stuck(rollout.task_keys(), today)}
    assert all(rollout.view(k, today).overdue for k in late_roots)
