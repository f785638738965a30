"""A kept snapshot advanced by changes answers exactly as a snapshot from scratch.

On the real plan (joint boxes, alternatives, tasks done once for everyone and once per wave)
and a small roster over every wave: random sequences of recorded states (done, started,
blocked, not applicable, reopened, undone back to no recorded state), of decisions (roll-backs
owed, stopped go-lives) and of wave moves (which, as in the store, start a new snapshot that
later changes advance). After each step the advanced snapshot, whose views were computed before
the change, must give every answer of :func:`tests.rollout.answers.answers` as a new snapshot
of the same data does, and what it keeps per municipality must add up to the answer over every
instance at once (the control questions: to a scan of every instance's state).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout import status
from rollout.gates import ControlAnswer, wave_controls
from rollout.graph import PlanGraph
from rollout.model import FINISHED, SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from rollout.plan_loader import load_plan
from rollout.status import Rollout, tally_by_task
from tests.conftest import MINI_PLAN
from tests.rollout.answers import answers, wave_parts

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
    move = st.tuples(st.just("move"), st.sampled_from(CODES), st.sampled_from(waves))
    return st.lists(st.one_of(change, change, batch, decide, move), min_size=1, max_size=10)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # monkeypatch: the same setting for every example
    ],
)
@given(data=st.data())
def test_an_advanced_snapshot_answers_as_one_from_scratch(
    sf1590_graph: PlanGraph, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stretches of three municipalities are kept summed, so the small roster has kept ones
    # (its four named in a row: three, and the one after them)
    monkeypatch.setattr(status, "_TALLY_RUN", 3)
    graph = sf1590_graph
    states: dict[TaskKey, TaskState] = {}
    moved_out: dict[str, frozenset[int]] = {}
    halted: frozenset[int] = frozenset()
    roster = dict(ROSTER)
    kept = Rollout(graph, roster, dict(states))
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
        elif kind == "move":
            # a move changes the roster: the store starts a new snapshot (storage/snapshots.py)
            assert isinstance(what, int) and isinstance(value, str)
            roster[what] = replace(roster[what], wave=value)
            kept = Rollout(graph, dict(roster), dict(states), moved_out, halted)
        else:
            kept = kept.advanced(dict(states), changed)
        fresh = Rollout(graph, dict(roster), dict(states), moved_out, halted)
        assert answers(kept, day) == answers(fresh, day)
        _assert_parts_answer_as_their_keys(fresh, day)


def _assert_parts_answer_as_their_keys(rollout: Rollout, day: date) -> None:
    """What is kept per municipality adds up to the answer over all the instances at once."""
    for parts in wave_parts(rollout).values():
        keys = [
            k
            for p in parts
            for k in (rollout.task_keys([p], include_system=False) if isinstance(p, Municipality) else p)
        ]
        assert rollout.next_in(parts, day) == rollout.next_tasks(keys, day)
        assert rollout.stuck_in(parts, day) == rollout.stuck(keys, day)
        assert rollout.tallies_in(parts, day) == tally_by_task(rollout.views(keys, day))
    members = sorted(rollout.municipalities.values(), key=lambda m: m.code)
    for wave in rollout.graph.plan.waves:
        in_wave = [m for m in members if m.wave == wave]
        assert wave_controls(rollout, in_wave) == _controls_by_scan(rollout, in_wave)
        # in the order given, as the countdown gives its readiness list (by name, not code)
        in_wave.reverse()
        assert wave_controls(rollout, in_wave, gate="KP-3") == _controls_by_scan(rollout, in_wave, "KP-3")
    # a municipality named twice counts twice, as its instances listed twice would
    assert wave_controls(rollout, members + members[:1]) == _controls_by_scan(rollout, members + members[:1])


def _controls_by_scan(
    rollout: Rollout, municipalities: list[Municipality], gate: str | None = None
) -> list[ControlAnswer]:
    """The control questions (of ``gate``, or all) answered by reading the state of every
    instance they check (what :func:`wave_controls` did before it kept anything)."""
    every_key = rollout.task_keys(municipalities)
    out = []
    for diagram_id in rollout.graph.plan.tracked:
        for control in rollout.graph.plan.diagrams[diagram_id].controls:
            if gate is not None and control.gate != gate:
                continue
            refs = {f"{diagram_id}/{code}" for code in control.checks}
            keys = [k for k in every_key if k.ref in refs]
            open_keys = tuple(k for k in keys if rollout.state(k).status not in FINISHED)
            out.append(
                ControlAnswer(
                    f"{diagram_id}/{control.id}",
                    control.question_da,
                    len(keys) - len(open_keys),
                    len(keys),
                    open_keys,
                    control.confidence,
                )
            )
    return out


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


# The mini plan with a task done once for everyone before another (TS090 -> TS100 -> TS213):
# a municipality's late TS213 is held up two steps up, where none of its own instances waits.
TWO_STEPS_UP = MINI_PLAN.replace(
    "      - {code: TS100,",
    "      - {code: TS090, title_da: Katalog, title_en: Catalogue, role: supplier, scope: system,\n"
    "         phase: preparation}\n"
    "      - {code: TS100,",
).replace(
    "      - {from: TS100, to: TS213,",
    "      - {from: TS090, to: TS100, provenance: domain, confidence: guess, why: catalogue first}\n"
    "      - {from: TS100, to: TS213,",
)


def test_kept_stuck_roots_follow_a_change_two_steps_up_in_a_task_done_once_for_everyone() -> None:
    """What is stuck in a municipality may be held up two steps up, in the tasks done once for
    everyone: finishing that root changes the municipality's roots though the views of all
    its own instances stay, so the snapshot keeps no municipality's roots past such a change."""
    graph = PlanGraph(load_plan(TWO_STEPS_UP, source="two-steps-up"))
    aarhus = Municipality(751, "Aarhus", "aarhus", "W1")
    day = date(2020, 3, 24)  # past every deadline of W1
    first = Rollout(graph, {aarhus.code: aarhus}, {})
    top = TaskKey("A/TS090")
    assert top in {r.view.key for r in first.stuck_in([aarhus], day)}  # kept per municipality
    done = {top: TaskState(Status.DONE)}
    assert {k.municipality for k in first.affected(done)} == {SYSTEM_WIDE}  # no view of Aarhus'
    after = first.advanced(done, list(done))
    roots = {r.view.key for r in after.stuck_in([aarhus], day)}
    assert TaskKey("A/TS100") in roots and top not in roots
    assert after.stuck_in([aarhus], day) == Rollout(graph, {aarhus.code: aarhus}, done).stuck_in(
        [aarhus], day
    )


def test_control_answers_are_kept_per_municipality_until_a_change_reaches_it(
    sf1590_graph: PlanGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wave's control answers recount only the municipalities a change reached; a task done
    once for everyone changing recounts every one (its state may follow into theirs)."""
    graph = sf1590_graph
    recounted: list[int] = []
    scan = Rollout._checked

    def counting(self: Rollout, municipality: Municipality, checks: tuple[frozenset[str], ...]) -> object:
        recounted.append(municipality.code)
        return scan(self, municipality, checks)

    monkeypatch.setattr(Rollout, "_checked", counting)
    members = sorted(ROSTER.values(), key=lambda m: m.code)
    first = Rollout(graph, ROSTER, {})
    before = wave_controls(first, members, gate="KP-3")
    assert sorted(recounted) == CODES
    recounted.clear()
    assert wave_controls(first, members, language="en") and recounted == []  # every question kept
    checked = next(k for a in before for k in a.open if k.municipality == 730)
    done = {checked: TaskState(Status.DONE)}
    after = first.advanced(done, list(done))
    answer = wave_controls(after, members, gate="KP-3")
    assert recounted == [730]
    assert answer == wave_controls(Rollout(graph, ROSTER, done), members, gate="KP-3")
    assert answer != before
    recounted.clear()
    system = next(k for k in first.task_keys([]) if k.municipality == SYSTEM_WIDE)
    everyone = {**done, system: TaskState(Status.DONE)}
    wave_controls(after.advanced(everyone, [system]), members)
    assert sorted(recounted) == CODES
