"""A kept snapshot advanced by changes answers exactly as a snapshot from scratch.

On the real plan (joint boxes, alternatives, tasks done once for everyone and once per wave)
and a small roster over every wave: random sequences of recorded states (done, started,
blocked, not applicable, reopened) and of decisions (roll-backs owed, stopped go-lives). After
each step the advanced snapshot, whose views were computed before the change, must give every
answer of :func:`tests.rollout.answers.answers` as a new snapshot of the same data does.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.status import Rollout
from tests.rollout.answers import answers

ROSTER = {
    m.code: m
    for m in (
        Municipality(751, "Aarhus", "aarhus", "P1"),
        Municipality(575, "Vejen", "vejen", "P2", connections=("KSD", "OPUS")),
        Municipality(730, "Randers", "randers", "K91"),
        Municipality(187, "Vallensbæk", "vallensbaek", "K91"),
    )
}
DAYS = (date(2019, 10, 1), date(2020, 1, 21), date(2020, 3, 24))
STATES = (
    TaskState(Status.DONE),
    TaskState(Status.IN_PROGRESS),
    TaskState(Status.BLOCKED, "waiting for the supplier"),
    TaskState(Status.NOT_APPLICABLE, "not used here"),
    TaskState(Status.TODO),  # reopened
)
CODES = sorted(ROSTER)


def _keys(graph: PlanGraph) -> list[TaskKey]:
    everyone = Rollout(graph, ROSTER, {}, {w: frozenset(CODES) for w in graph.plan.waves})
    return everyone.task_keys() + everyone.wave_keys()


def _steps(graph: PlanGraph) -> st.SearchStrategy[list[tuple[str, object, object]]]:
    keys = _keys(graph)
    change = st.tuples(st.just("state"), st.sampled_from(keys), st.sampled_from(STATES))
    # several changes at once, as one command records them (``done X in aarhus randers``)
    batch = st.tuples(
        st.just("batch"),
        st.lists(st.sampled_from(keys), min_size=2, max_size=6, unique=True),
        st.sampled_from(STATES),
    )
    waves = sorted(graph.plan.waves)
    decide = st.tuples(
        st.just("decide"),
        st.dictionaries(st.sampled_from(waves), st.frozensets(st.sampled_from(CODES), min_size=1)),
        st.frozensets(st.sampled_from(CODES)),
    )
    return st.lists(st.one_of(change, change, batch, decide), min_size=1, max_size=10)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_an_advanced_snapshot_answers_as_one_from_scratch(
    sf1590_graph: PlanGraph, data: st.DataObject
) -> None:
    graph = sf1590_graph
    states: dict[TaskKey, TaskState] = {}
    moved_out: dict[str, frozenset[int]] = {}
    halted: frozenset[int] = frozenset()
    kept = Rollout(graph, ROSTER, dict(states))
    for kind, what, value in data.draw(_steps(graph), label="steps"):
        day = data.draw(st.sampled_from(DAYS), label="day")
        answers(kept, day)  # the kept snapshot has its views before the change
        changed: list[TaskKey] = []
        if kind == "state":
            assert isinstance(what, TaskKey) and isinstance(value, TaskState)
            changed = [what]
        elif kind == "batch":
            assert isinstance(what, list) and isinstance(value, TaskState)
            changed = what
        for key in changed:
            assert isinstance(value, TaskState)
            if value == TaskState(Status.TODO) and data.draw(st.booleans(), label="reopen as no row"):
                states.pop(key, None)  # reopened by an undo: back to the plan's starting state
            else:
                states[key] = value
        if kind == "decide":
            assert isinstance(what, dict) and isinstance(value, frozenset)
            moved_out, halted = what, value
            kept = kept.advanced(dict(states), changed, moved_out=moved_out, stopped=halted)
        else:
            kept = kept.advanced(dict(states), changed)
        fresh = Rollout(graph, ROSTER, dict(states), moved_out, halted)
        assert answers(kept, day) == answers(fresh, day)


def test_a_kept_view_is_replaced_where_a_change_reaches_it(sf1590_graph: PlanGraph) -> None:
    """The case the property must catch: a task whose only open predecessor is finished
    becomes ready in the advanced snapshot, though its view was computed before."""
    graph = sf1590_graph
    day = DAYS[1]
    first = Rollout(graph, ROSTER, {})
    for waiting in first.task_keys():
        preds = first.waits_on(waiting)
        done = {p: TaskState(Status.DONE) for pred in preds for p in first.boxes.related(pred)}
        if done and Rollout(graph, ROSTER, done).view(waiting, day).ready:
            break
    else:
        raise AssertionError("the plan has no task that finishing its predecessors makes ready")
    assert not first.view(waiting, day).ready
    after = first.advanced(done, list(done))
    assert after.view(waiting, day).ready
    assert after.view(waiting, day) == Rollout(graph, ROSTER, done).view(waiting, day)
