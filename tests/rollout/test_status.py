"""Readiness, waiting, deadlines and stuck tasks on a small plan of the same shape as SF1590."""

from __future__ import annotations

from datetime import date

from rollout.gates import critical_chain, gate_date, readiness
from rollout.graph import PlanGraph
from rollout.model import SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from rollout.status import Rollout

AARHUS = Municipality(751, "Aarhus", "aarhus", "W1")
VEJEN = Municipality(575, "Vejen", "vejen", "W2")
DAY = date(2019, 11, 20)


def rollout(graph: PlanGraph, **states: Status) -> Rollout:
    """A rollout with ``A_TS110_751=Status.DONE``-style states."""
    recorded = {}
    for name, status in states.items():
        diagram, code, municipality = name.split("_")
        recorded[TaskKey(f"{diagram}/{code}", int(municipality))] = TaskState(status)
    return Rollout(graph, {m.code: m for m in (AARHUS, VEJEN)}, recorded)


def refs(views) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{v.key.ref}@{v.key.municipality}" for v in views]


def test_only_criteria_and_unconditioned_tasks_are_ready_at_the_start(mini_graph) -> None:
    ready = rollout(mini_graph).next_tasks(rollout(mini_graph).task_keys([AARHUS]), DAY)
    # Every task waits on the criterion TF100; B/TS101 is not applicable from the start.
    assert refs(ready) == ["A/TF100@751", "A/TS100@0", "B/TS213@751"]


def test_finishing_a_predecessor_makes_its_successor_ready(mini_graph) -> None:
    state = rollout(mini_graph, A_TF100_751=Status.DONE)
    ready = refs(state.next_tasks(state.task_keys([AARHUS]), DAY))
    assert "A/TS110@751" in ready and "A/TS111@751" not in ready
    state = rollout(mini_graph, A_TF100_751=Status.DONE, A_TS110_751=Status.DONE)
    assert "A/TS111@751" in refs(state.next_tasks(state.task_keys([AARHUS]), DAY))


def test_a_task_waits_on_the_system_wide_task_shared_by_all(mini_graph) -> None:
    state = rollout(mini_graph, A_TF100_751=Status.DONE)
    assert state.waits_on(TaskKey("A/TS213", 751)) == (TaskKey("A/TS100", SYSTEM_WIDE),)


def test_not_applicable_counts_as_finished(mini_graph) -> None:
    state = rollout(mini_graph, A_TF100_751=Status.NOT_APPLICABLE)
    assert state.waits_on(TaskKey("A/TS110", 751)) == ()
    assert state.state(TaskKey("B/TS101", 751)).status == Status.NOT_APPLICABLE


def test_deadline_comes_from_the_task_milestone_else_the_phase_gate(mini_graph) -> None:
    assert mini_graph.deadline("A/TF100", "W1").day == date(2019, 12, 2)
    assert mini_graph.deadline("A/TS111", "W1").day == date(2019, 12, 20)
    assert mini_graph.deadline("A/TS111", "W2").day == date(2020, 3, 6)
    assert mini_graph.deadline("B/TS213", "W1").milestone == "KP-3"


def test_a_task_is_due_early_enough_for_the_task_that_waits_on_it(mini_graph) -> None:
    # A/TS111 (3 working days) is due at the Gate on 2019-12-20, so A/TS110, which it waits
    # on, is due 3 working days earlier, though the plan gives it the Gate too.
    deadline = mini_graph.deadline("A/TS110", "W1")
    assert deadline.day == date(2019, 12, 17)
    assert (deadline.needed_by, deadline.needed_by_day) == ("A/TS111", date(2019, 12, 20))
    assert deadline.printed == date(2019, 12, 20) and deadline.moved
    assert deadline.confidence == "likely"  # the create -> approve edge is likely


def test_moving_a_municipality_changes_its_deadlines(mini_graph) -> None:
    state = rollout(mini_graph)
    assert state.deadline(TaskKey("A/TS110", 751)).day == date(2019, 12, 17)
    moved = Rollout(mini_graph, {751: Municipality(751, "Aarhus", "aarhus", "W2")}, {})
    assert moved.deadline(TaskKey("A/TS110", 751)).day == date(2020, 3, 3)


def test_overdue_ready_task_is_stuck_and_names_what_it_holds(mini_graph) -> None:
    state = rollout(mini_graph, A_TF100_751=Status.DONE)
    roots = state.stuck(state.task_keys([AARHUS]), date(2019, 12, 23))
    by_ref = {r.view.key.ref: r for r in roots}
    assert TaskKey("A/TS111", 751) in by_ref["A/TS110"].holds
    assert "A/TS111" not in by_ref  # it only waits: its root cause is listed instead


def test_a_blocked_task_is_stuck_before_any_deadline(mini_graph) -> None:
    state = Rollout(
        mini_graph,
        {751: AARHUS},
        {
            TaskKey("A/TF100", 751): TaskState(Status.DONE),
            TaskKey("A/TS110", 751): TaskState(Status.BLOCKED, "Venter på leverandøren"),
        },
    )
    roots = state.stuck(state.task_keys([AARHUS]), DAY)
    assert roots[0].view.key == TaskKey("A/TS110", 751)
    assert roots[0].view.state.reason == "Venter på leverandøren"


def test_critical_chain_uses_task_durations(mini_graph) -> None:
    state = rollout(mini_graph)
    open_keys = [k for k in state.task_keys([AARHUS]) if state.state(k).status == Status.TODO]
    chain, days = critical_chain(state, open_keys)
    # TF100 (2) -> TS110 (2) -> TS111 (3) is the longest: 7 working days.
    assert [k.ref for k in chain] == ["A/TF100", "A/TS110", "A/TS111"]
    assert days == 7


def test_gate_readiness_and_risk(mini_graph) -> None:
    state = rollout(mini_graph)
    gate = gate_date(state, "KP-3", "W1")
    assert gate is not None and gate.day == date(2020, 1, 28)
    early = readiness(state, AARHUS, gate, date(2019, 11, 20))
    assert not early.ready and not early.at_risk
    late = readiness(state, AARHUS, gate, date(2020, 1, 24))  # 2 working days left, 7 needed
    assert late.at_risk
    assert late.chain_days == 7


def test_task_key_round_trips_through_its_button_value() -> None:
    key = TaskKey("A/TS213", 751, "KSD")
    assert TaskKey.from_value(key.as_value()) == key


def test_finishing_a_system_wide_task_unblocks_every_municipality(mini_graph) -> None:
    state = rollout(mini_graph, A_TF100_751=Status.DONE, A_TF100_575=Status.DONE, A_TS100_0=Status.DONE)
    unblocked = state.unblocked_by(TaskKey("A/TS100", SYSTEM_WIDE))
    assert TaskKey("A/TS213", 751) in unblocked and TaskKey("A/TS213", 575) in unblocked


def test_a_late_task_that_waits_names_the_open_task_it_waits_for(mini_graph) -> None:
    # A/TS111 is due 2019-12-20 and waits on A/TS110, which waits on nothing open but is not
    # late itself in wave W2 terms: move A/TS110's municipality deadline out of the picture by
    # recording A/TS110 as in progress; the late A/TS111 must point at it, not at itself.
    state = Rollout(
        mini_graph,
        {751: AARHUS},
        {
            TaskKey("A/TF100", 751): TaskState(Status.DONE),
            TaskKey("A/TS110", 751): TaskState(Status.IN_PROGRESS),
        },
    )
    roots = {r.view.key.ref: r for r in state.stuck(state.task_keys([AARHUS]), date(2019, 12, 23))}
    assert "A/TS111" not in roots
    assert TaskKey("A/TS111", 751) in roots["A/TS110"].holds
