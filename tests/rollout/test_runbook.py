"""The go-live runbook: tasks done once per wave, ordered and dated by the wave's gates, counted
apart from the municipalities' own tasks, reminded of in the wave channel; roll-back tasks only
for a municipality a no-go moved out of its wave."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest

from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.plan import Confidence, Scope
from rollout.plan_loader import PlanError, load_plan
from rollout.reminders import Target, due_on
from rollout.runbook import moved_out, rollback_tasks, runbook_refs
from rollout.status import Rollout

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (
    (ROOT / "plans" / "reference" / "sf1590-rollout-diagrams.txt").read_text(encoding="utf-8").splitlines()
)
AARHUS = Municipality(751, "Aarhus", "aarhus", "P2")
VEJEN = Municipality(630, "Vejen", "vejen", "K91")  # moved out of P2 by a no-go
P2 = Target("slack", "C0P2", "P2")
K91 = Target("slack", "C0K91", "K91")


def runbook(graph: PlanGraph) -> list[str]:
    return [t.ref for t in graph.plan.tracked_tasks() if t.scope in (Scope.WAVE, Scope.ROLLBACK)]


def test_every_runbook_task_has_a_go_live_phase_an_owner_its_source_lines_and_a_confidence(
    sf1590_graph: PlanGraph,
) -> None:
    plan = sf1590_graph.plan
    refs = runbook(sf1590_graph)
    assert {r.split("/")[1] for r in refs} >= {
        "LUK",
        "UDTRAEK",
        "KONV",
        "MARKER",
        "AABEN",
        "ADGANG",
        "SLET",
        "OPFOELG",
        "JOBCENTER",
        "INFO",
        "INFOKOM",
        "INFOKSD",
        "KONTROL",
    }
    for ref in refs:
        task = plan.task(ref)
        assert task.phase in ("deployment", "operation"), ref
        assert task.role in plan.roles and task.role in ("kmd_dagpenge", "ksd"), ref
        assert task.role_confidence in Confidence
        first, last = task.source_lines
        printed = " ".join(" ".join(SOURCE[first - 1 : last]).split())
        # the Danish title is what those source lines print (joined across line breaks)
        assert task.title_da in printed, (ref, printed)
    assert plan.task("R/LUK").role == "kmd_dagpenge" and plan.task("R/KONV").role == "ksd"


def test_the_edges_order_the_runbook_as_the_reconstructed_flow(sf1590_graph: PlanGraph) -> None:
    graph = nx.DiGraph([(e.before, e.after) for e in sf1590_graph.plan.edges if e.before.startswith("R/")])
    chain = ["R/KONTROL", "R/LUK", "R/UDTRAEK", "R/KONV", "R/MARKER", "R/AABEN", "R/OPFOELG", "R/JOBCENTER"]
    for before, after in pairwise(chain):
        assert nx.has_path(graph, before, after), (before, after)
    assert nx.has_path(graph, "R/MARKER", "R/ADGANG") and nx.has_path(graph, "R/AABEN", "R/INFOKSD")
    for edge in sf1590_graph.plan.edges:
        if edge.before.startswith("R/"):
            assert edge.why and edge.provenance == "domain" and edge.confidence in Confidence
    assert "R/SLET" not in graph  # roll-back: nothing waits on it, it waits on nothing


def test_the_runbook_is_dated_by_the_waves_gates(sf1590_graph: PlanGraph) -> None:
    def due(ref: str, wave: str) -> date:
        found = sf1590_graph.deadline(ref, wave)
        assert found is not None
        return found.day

    assert due("R/MARKER", "P2") == date(2020, 1, 28)  # KP-3
    assert due("R/KONV", "P2") == date(2020, 1, 24)  # two working days before, for the marking
    assert due("R/OPFOELG", "P2") == date(2020, 1, 29)  # KP-4
    assert due("R/JOBCENTER", "P2") == date(2020, 2, 12)  # Udrulningsrapport v3, KP-4 + 14 days
    assert due("R/KONTROL", "P2") == date(2019, 9, 27)  # the earliest P2 Gate (B's)
    assert due("R/MARKER", "P1") == date(2019, 11, 26)  # only C dates P1
    opens = sf1590_graph.opens("R/AABEN", "P2")
    assert opens is not None and (opens.milestone, opens.day) == ("KP-3", date(2020, 1, 28))


def test_no_runbook_task_is_due_before_it_may_start(sf1590_graph: PlanGraph) -> None:
    for wave in sf1590_graph.plan.waves:
        for ref in runbook(sf1590_graph):
            opens, due = sf1590_graph.opens(ref, wave), sf1590_graph.deadline(ref, wave)
            assert due is not None, (ref, wave)
            if opens is not None:
                assert opens.day <= due.day, (ref, wave, opens.day, due.day)


def test_wave_tasks_are_counted_once_for_the_wave_not_as_a_municipalitys_own(sf1590_graph: PlanGraph) -> None:
    rollout = Rollout(sf1590_graph, {AARHUS.code: AARHUS}, {})
    own = rollout.task_keys([AARHUS])
    assert not [k for k in own if k.ref.startswith("R/")]
    counts = rollout.wave_counts("P2", date(2020, 1, 21))
    assert counts.total == len(runbook_refs(sf1590_graph)) == 13
    keys = rollout.wave_keys(["P2"])
    assert TaskKey("R/LUK", 0, "P2") in keys and all(k.connection == "P2" for k in keys)
    assert TaskKey.from_value("R/LUK@0:P2") == TaskKey.for_wave("R/LUK", "P2")


def test_a_step_after_kp3_is_not_ready_before_kp3_even_with_the_marking_done(sf1590_graph: PlanGraph) -> None:
    done = {
        TaskKey.for_wave(r, "P2"): TaskState(Status.DONE)
        for r in ("R/KONTROL", "R/LUK", "R/LUKONL", "R/UDTRAEK", "R/KONV", "R/MARKER")
    }
    rollout = Rollout(sf1590_graph, {AARHUS.code: AARHUS}, done)
    key = TaskKey.for_wave("R/AABEN", "P2")
    before = rollout.view(key, date(2020, 1, 27))
    assert not before.waits_on and not before.ready and before.opens is not None
    assert rollout.view(key, date(2020, 1, 28)).ready
    assert key not in {v.key for v in rollout.next_tasks(rollout.wave_keys(["P2"]), date(2020, 1, 27))}


def test_roll_back_tasks_exist_only_for_a_municipality_a_no_go_moved_out(sf1590_graph: PlanGraph) -> None:
    assert rollback_tasks(sf1590_graph, "P2", [VEJEN.code]) == [TaskKey("R/SLET", VEJEN.code, "P2")]
    roster = {m.code: m for m in (AARHUS, VEJEN)}
    assert "R/SLET" not in {k.ref for k in Rollout(sf1590_graph, roster, {}).wave_keys()}
    left = moved_out([("P2", VEJEN.code, "no_go"), ("P2", AARHUS.code, "go")])
    rollout = Rollout(sf1590_graph, roster, {}, left)
    slet = TaskKey("R/SLET", VEJEN.code, "P2")
    assert [k for k in rollout.wave_keys() if k.ref == "R/SLET"] == [slet]
    # due by the KP-4 of the wave it left, though Vejen is now in K91
    deadline = rollout.deadline(slet)
    assert deadline is not None and deadline.day == date(2020, 1, 29)


def test_a_deadline_reminder_names_the_runbook_task_in_its_waves_channel_only(
    sf1590_graph: PlanGraph,
) -> None:
    rollout = Rollout(sf1590_graph, {AARHUS.code: AARHUS}, {})
    key = TaskKey.for_wave("R/KONV", "P2")
    five_before = date(2020, 1, 17)  # R/KONV is due 2020-01-24
    items = due_on(rollout, [P2, K91], five_before)
    reminded = {(i.target.wave, v.key) for i in items if i.kind == "deadline" for v in i.tasks}
    assert ("P2", key) in reminded
    assert not [v for w, v in reminded if w == "K91" and v.connection == "P2"]
    (p2,) = [i for i in items if i.kind == "deadline" and i.target.wave == "P2"]
    assert p2.offsets[key] == 5
    finished = Rollout(sf1590_graph, {AARHUS.code: AARHUS}, {key: TaskState(Status.DONE)})
    assert key not in {v.key for i in due_on(finished, [P2], five_before) for v in i.tasks}


RUNBOOK_PLAN = """
plan: {id: rb, title_da: x, title_en: x, tracked_diagrams: [A]}
waves: [{id: W1, name_da: x, name_en: x, next: null}]
roles: [{id: r, name_da: x, name_en: x}]
phases: [{id: p, name_da: x, name_en: x}]
diagrams:
  - id: A
    integration: X
    phase_gates: {p: G}
    gates: [{id: G, kind: readiness, name_da: G, name_en: G, dates: {W1: 2020-03-02}}]
    tasks: [{code: T1, title_da: x, title_en: x, role: r, scope: municipality, phase: p}]
runbook:
  id: R
  integration: X
  tasks:
    - {code: LUK, title_da: x, title_en: x, role: r, scope: %(scope)s, phase: p,
       deadline: G, opens_after: %(opens)s}
  edges: %(edges)s
"""


def test_the_runbook_borrows_the_gates_of_the_tracked_diagrams() -> None:
    plan = load_plan(RUNBOOK_PLAN % {"scope": "wave", "opens": "G", "edges": "[]"})
    graph = PlanGraph(plan)
    deadline = graph.deadline("R/LUK", "W1")
    assert deadline is not None and (deadline.day, deadline.diagram) == (date(2020, 3, 2), "A")
    assert plan.tracked == ("A", "R")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"scope": "municipality", "opens": "G", "edges": "[]"},
            r"runbook\[R\].tasks\[LUK\].scope: 'municipality' is not one of: rollback, wave",
        ),
        (
            {"scope": "wave", "opens": "KP-9", "edges": "[]"},
            r"runbook\[R\].tasks\[LUK\].opens_after: unknown milestone or gate 'KP-9'",
        ),
        (
            {
                "scope": "wave",
                "opens": "G",
                "edges": "[{from: LUK, to: A/T1, provenance: domain, confidence: guess, why: x}]",
            },
            r"edge R/LUK -> A/T1: a wave task cannot be linked with a municipality task",
        ),
    ],
)
def test_a_bad_runbook_is_reported_with_its_place(values: dict[str, str], problem: str) -> None:
    with pytest.raises(PlanError, match=problem):
        load_plan(RUNBOOK_PLAN % values)
