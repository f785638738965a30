"""The SF1590 plan file: complete against the source document, and validated on load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from rollout.plan_loader import PlanError, load_plan, plan_warnings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "plans" / "reference" / "sf1590-rollout-diagrams.txt"
CODE = re.compile(r"\b(?:FM|FF|FB|TF|TB|TS)\d{3}(?:[_-][AB])?")
# Page boundaries of the extraction (sf1590-domain-notes.md §0).
SECTIONS = {"AG": (1, 406), "A": (407, 1072), "B": (1073, 1764), "C": (1765, 1942)}


def source_codes() -> dict[str, set[str]]:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    return {
        diagram: set(CODE.findall("\n".join(lines[first - 1 : last])))
        for diagram, (first, last) in SECTIONS.items()
    }


def test_every_code_of_the_source_is_in_the_plan_under_its_diagram(sf1590_plan) -> None:
    for diagram, codes in source_codes().items():
        in_plan = {t.printed_code or t.code for t in sf1590_plan.diagrams[diagram].tasks.values()}
        assert codes <= in_plan, f"{diagram} lacks {sorted(codes - in_plan)}"


def test_codes_that_repeat_across_diagrams_keep_their_own_meaning(sf1590_plan) -> None:
    assert sf1590_plan.task("A/TS103").title_da.startswith("Etablering af arbejdsgange")
    assert sf1590_plan.task("C/TS103").title_da.startswith("Oprettelse af Serviceaftale")
    assert {t.ref for t in sf1590_plan.tasks_with_code("ts213")} == {"A/TS213", "B/TS213"}


def test_the_plan_tracks_the_three_ksd_diagrams_and_the_wave_runbook_by_default(sf1590_plan) -> None:
    assert sf1590_plan.tracked == ("A", "B", "C", "R")
    assert "AG" in sf1590_plan.diagrams


def test_conflicting_gate_dates_stay_visible_per_diagram(sf1590_plan) -> None:
    assert str(sf1590_plan.diagrams["A"].gates["GATE"].dates["P2"]) == "2019-10-25"
    assert str(sf1590_plan.diagrams["B"].gates["GATE"].dates["P2"]) == "2019-09-27"
    assert any("GATE P2" in str(w) for w in plan_warnings(sf1590_plan))


def test_kp3_dates_per_wave(sf1590_graph) -> None:
    assert {d: str(v) for d, v in sf1590_graph.gate_dates("KP-3", "P2").items()} == {
        "A": "2020-01-28",
        "B": "2020-01-28",
        "C": "2020-01-28",
    }
    assert str(sf1590_graph.gate_dates("KP-3", "P1")["C"]) == "2019-11-26"


def test_report_v3_is_due_14_days_after_kp4(sf1590_graph) -> None:
    assert str(sf1590_graph.milestone_date("A", "REPORT-V3", "P2")) == "2020-02-12"


def test_plan_check_passes_on_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check", str(ROOT / "plans" / "sf1590.yaml")]) == 0
    assert "OK" in capsys.readouterr().out


def test_plan_check_lists_every_date_inversion_as_a_warning(
    capsys: pytest.CaptureFixture[str], sf1590_graph
) -> None:
    assert main(["plan", "check", str(ROOT / "plans" / "sf1590.yaml")]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line.startswith("  warning: diagram ")]
    assert len(listed) == len(sf1590_graph.inversions()) == 167  # the count the issue reports
    assert (
        "  warning: diagram B, wave P2: B/TF100 due 2019-11-11 (START-CRITERIA, guess, "
        "lines 1540-1544) is after B/TS107 due 2019-09-27 (GATE, likely, lines 1190-1198), "
        "which waits on it"
    ) in out
    assert (
        "diagram A, wave K91: A/TS200 due 2020-03-06 (GATE, likely, lines 516-524) is after "
        "A/TS104 due 2020-01-20 (PVT, likely, lines 596-608)" in out
    )


def test_plan_check_strict_fails_on_inversions_and_passes_a_consistent_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "check", "--strict", str(ROOT / "plans" / "sf1590.yaml")]) == 1
    out = capsys.readouterr().out
    assert "FAILED (--strict)" in out and "  error: diagram B, wave P2: B/TF100" in out
    path = tmp_path / "consistent.yaml"
    path.write_text(BROKEN % {"date": "2019-12-20", "back_from": "T1", "back_to": "T2"}, encoding="utf-8")
    assert main(["plan", "check", "--strict", str(path)]) == 0
    assert "inversion" not in capsys.readouterr().out


def test_a_and_b_answer_the_per_wave_control_from_the_tasks_they_flag(sf1590_plan) -> None:
    for diagram_id in ("A", "B"):
        diagram = sf1590_plan.diagrams[diagram_id]
        flagged = {code for code, task in diagram.tasks.items() if task.per_wave_control}
        checked = {code for control in diagram.controls for code in control.checks}
        assert flagged == checked and len(diagram.controls) == 3
    assert not any("per_wave_control" in str(w) for w in plan_warnings(sf1590_plan))


def test_a_flagged_task_that_no_control_checks_is_a_warning() -> None:
    text = (BROKEN % {"date": "2019-12-20", "back_from": "T1", "back_to": "T2"}).replace(
        "title_en: a, role: r, phase: p}", "title_en: a, role: r, phase: p, per_wave_control: true}"
    )
    warnings = [str(w) for w in plan_warnings(load_plan(text))]
    assert "diagrams[A].controls: tasks flagged per_wave_control but checked by no control: T1" in warnings


BROKEN = """
plan: {id: x, title_da: x, title_en: x}
waves: [{id: W1, name_da: x, name_en: x, next: null}]
roles: [{id: r, name_da: x, name_en: x}]
phases: [{id: p, name_da: x, name_en: x}]
diagrams:
  - id: A
    integration: X
    gates: [{id: G, kind: readiness, name_da: G, name_en: G, dates: {W1: %(date)s}}]
    tasks:
      - {code: T1, title_da: a, title_en: a, role: r, phase: p}
      - {code: T2, title_da: b, title_en: b, role: r, phase: p}
    edges:
      - {from: T1, to: T2, provenance: domain, confidence: likely, why: x}
      - {from: %(back_from)s, to: %(back_to)s, provenance: domain, confidence: likely, why: x}
"""


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"date": "2019-12-20", "back_from": "T2", "back_to": "T1"},
            "dependency cycle: A/T1 -> A/T2 -> A/T1",
        ),
        ({"date": "2019-12-20", "back_from": "T2", "back_to": "T9"}, "unknown task 'T9'"),
        ({"date": "2019-13-40", "back_from": "T1", "back_to": "T2"}, "not an ISO date"),
    ],
)
def test_plan_check_fails_with_the_place_and_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], values: dict[str, str], message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN % values, encoding="utf-8")
    assert main(["plan", "check", str(path)]) == 1
    assert message in capsys.readouterr().err
    with pytest.raises(PlanError):
        load_plan(BROKEN % values)


def test_duplicate_codes_are_an_error() -> None:
    text = (BROKEN % {"date": "2019-12-20", "back_from": "T1", "back_to": "T2"}).replace(
        "code: T2", "code: T1"
    )
    with pytest.raises(PlanError, match=r"diagrams\[A\].tasks\[T1\]: duplicate task code"):
        load_plan(text)


def test_plan_show_json_prints_the_plan_as_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["plan", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["diagrams"]["B"]["gates"]["GATE"]["dates"]["P2"] == "2019-09-27"
