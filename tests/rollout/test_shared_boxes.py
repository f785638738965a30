"""Joint boxes (one box, two codes) and alternatives (one of them suffices) on the SF1590 plan."""

from __future__ import annotations

from datetime import date

import pytest

from rollout.gates import gate_date, readiness, wave_controls
from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.plan_loader import PlanError, load_plan
from rollout.status import Counts, Rollout

VALLENSBAEK = Municipality(187, "Vallensbæk", "vallensbaek", "P2")
DAY = date(2019, 10, 1)
OPEN = ("A/TS213", "A/TS109-B", "A/TS200", "A/TS104", "A/TS202")


def key(ref: str) -> TaskKey:
    return TaskKey(ref, VALLENSBAEK.code)


def rollout(graph: PlanGraph, **changes: Status) -> Rollout:
    """Vallensbæk with everything done but the sortiment chain of A (OPEN), then ``changes``
    given as ``TS109_B=Status.DONE`` for A's tasks."""
    municipalities = {VALLENSBAEK.code: VALLENSBAEK}
    blank = Rollout(graph, municipalities, {})
    states = {k: TaskState(Status.DONE) for k in blank.task_keys() if k.ref not in OPEN}
    for name, status in changes.items():
        states[key("A/" + name.replace("_", "-"))] = TaskState(status)
    return Rollout(graph, municipalities, states)


def test_ticking_one_code_of_a_joint_box_marks_its_twin(sf1590_graph: PlanGraph) -> None:
    state = rollout(sf1590_graph, TS213=Status.DONE, TS200=Status.DONE, TS104=Status.DONE)
    assert state.state(key("A/TS202")).status == Status.DONE
    assert state.derived(key("A/TS202")).source == key("A/TS104")  # type: ignore[union-attr]
    assert state.derived(key("A/TS104")) is None  # the one ticked keeps its own state
    assert state.recorded_state(key("A/TS202")).status == Status.TODO  # nothing written for it
    assert state.counts([VALLENSBAEK], DAY).done == state.counts([VALLENSBAEK], DAY).total


def test_a_joint_box_reopened_on_the_ticked_code_reopens_both(sf1590_graph: PlanGraph) -> None:
    state = rollout(sf1590_graph, TS213=Status.DONE, TS200=Status.DONE, TS104=Status.TODO)
    assert state.state(key("A/TS202")).status == Status.TODO
    assert key("A/TS202") in state.unblocked_by(key("A/TS200"))


def test_one_alternative_done_makes_the_other_not_needed_and_its_successor_ready(
    sf1590_graph: PlanGraph,
) -> None:
    state = rollout(sf1590_graph, TS109_B=Status.DONE)
    subscription = state.view(key("A/TS213"), DAY)
    assert subscription.state.status == Status.NOT_APPLICABLE and subscription.finished
    assert subscription.via is not None and subscription.via.kind == "alternative"
    assert subscription.via.source == key("A/TS109-B")
    ready = [v.key.ref for v in state.next_tasks(state.task_keys([VALLENSBAEK]), DAY)]
    assert "A/TS200" in ready and "A/TS213" not in ready
    assert key("A/TS200") in state.unblocked_by(key("A/TS109-B"))


def test_the_other_alternative_marked_not_applicable_leaves_this_one_required(
    sf1590_graph: PlanGraph,
) -> None:
    state = rollout(sf1590_graph, TS109_B=Status.NOT_APPLICABLE)
    assert state.state(key("A/TS213")).status == Status.TODO
    assert "A/TS200" not in [v.key.ref for v in state.next_tasks(state.task_keys([VALLENSBAEK]), DAY)]
    counts = state.counts([VALLENSBAEK], DAY)
    assert counts.total - counts.done == 4  # the group (open), TS200, TS104, TS202


def test_alternatives_count_once(sf1590_graph: PlanGraph) -> None:
    neither, one = rollout(sf1590_graph), rollout(sf1590_graph, TS213=Status.DONE)
    before, after = neither.counts([VALLENSBAEK], DAY), one.counts([VALLENSBAEK], DAY)
    assert before.total == after.total
    assert after.done == before.done + 1  # one subscription settles the group
    assert Counts.of(one.views([key("A/TS213"), key("A/TS109-B")], DAY)) == Counts(1, 1, 0, 0, 0)


def test_a_gate_lists_open_alternatives_as_one_gap_and_not_once_one_is_done(sf1590_graph: PlanGraph) -> None:
    gate = gate_date(rollout(sf1590_graph), "GATE", "P2")
    assert gate is not None
    missing = readiness(rollout(sf1590_graph), VALLENSBAEK, gate, DAY).missing
    group = [v for v in missing if v.key.ref in ("A/TS213", "A/TS109-B")]
    assert len(group) == 1 and len(group[0].alternatives) == 1
    done = readiness(rollout(sf1590_graph, TS109_B=Status.DONE), VALLENSBAEK, gate, DAY)
    assert {v.key.ref for v in done.missing} == {"A/TS200", "A/TS104", "A/TS202"}


def test_the_subscription_control_is_answered_by_manual_loading(sf1590_graph: PlanGraph) -> None:
    answers = wave_controls(rollout(sf1590_graph, TS109_B=Status.DONE), [VALLENSBAEK], gate="KP-3")
    (subscriptions,) = [a for a in answers if a.control_id == "A/KONTROL-1"]
    assert (subscriptions.done, subscriptions.total) == (1, 1)


MINI = """
plan: {id: mini, title_da: M, title_en: M}
waves: [{id: W1, name_da: W1, name_en: W1, next: null}]
roles: [{id: r, name_da: R, name_en: R}]
phases: [{id: p, name_da: P, name_en: P}]
diagrams:
  - id: A
    integration: X
    tasks:
      - {code: T1, title_da: a, title_en: a, role: r, scope: municipality, phase: p, %s}
      - {code: T2, title_da: b, title_en: b, role: r, scope: system, phase: p}
    questions_da:
      - {text_da: "Hvem?", at: T2}
"""


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("alternative_to: T9", "diagrams[A].tasks[T1].alternative_to: unknown task 'T9'"),
        ("joint_with: T2", "diagrams[A].tasks[T1].joint_with: 'T2' is done system-wide"),
    ],
)
def test_a_partner_must_exist_and_share_the_scope(field: str, expected: str) -> None:
    with pytest.raises(PlanError) as raised:
        load_plan(MINI % field)
    assert any(str(p).startswith(expected) for p in raised.value.problems), raised.value


def test_an_open_question_is_about_a_gate_or_task_of_its_diagram() -> None:
    plan = load_plan(MINI % "optional: false")
    assert [(q.text_da, q.at) for q in plan.diagrams["A"].questions] == [("Hvem?", "T2")]
    with pytest.raises(PlanError) as raised:
        load_plan((MINI % "optional: false").replace("at: T2", "at: KP-9"))
    assert "diagrams[A].questions_da[0].at: unknown gate or task 'KP-9'" in str(raised.value)
