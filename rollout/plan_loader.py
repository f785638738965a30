"""Read a plan from YAML text and validate it.

Every problem is reported with the place it stands (``diagrams[B].tasks[TS213].deadline``), so a
plan author can fix it; all problems are collected before failing, not only the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rollout.calendar import CUSTOMARY_CLOSED_DAYS, ClosedDay
from rollout.digraph import RefGraph
from rollout.plan import (
    WAVE_SCOPES,
    Confidence,
    Diagram,
    Edge,
    Gate,
    Milestone,
    Phase,
    Plan,
    Question,
    Role,
    Scope,
    TaskDef,
    TaskKind,
    Wave,
    WaveControl,
)

__all__ = ["PlanError", "PlanProblem", "load_plan", "load_plan_file", "plan_warnings"]

_PROVENANCES = {"stated", "layout", "domain"}
_E = TypeVar("_E", bound=StrEnum)


class _PlanYamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a bad date is reported with its place."""


_PlanYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class PlanProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PlanError(ValueError):
    """The plan file is not valid; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: list[PlanProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the plan:\n{lines}")


class _Reader:
    """Collects problems while turning raw YAML into the plan model."""

    def __init__(self) -> None:
        self.problems: list[PlanProblem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(PlanProblem(where, message))

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.problem(where, f"expected a mapping, found {type(value).__name__}")
        return {}

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.problem(where, f"expected a list, found {type(value).__name__}")
        return []

    def text(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(where, f"'{key}' is missing")
            return ""
        if not isinstance(value, str | int):
            self.problem(f"{where}.{key}", "expected text")
            return ""
        return str(value)

    def iso_date(self, value: Any, where: str) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(where, f"'{value}' is not an ISO date (YYYY-MM-DD)")
        return None

    def dates(self, raw: Any, where: str, waves: Mapping[str, Wave]) -> dict[str, date]:
        out: dict[str, date] = {}
        for wave, value in self.mapping(raw or {}, where).items():
            if wave not in waves:
                self.problem(f"{where}.{wave}", f"unknown wave '{wave}' (waves: {', '.join(waves)})")
                continue
            parsed = self.iso_date(value, f"{where}.{wave}")
            if parsed is not None:
                out[str(wave)] = parsed
        return out

    def enum(self, cls: type[_E], value: Any, where: str, default: _E) -> _E:
        if value is None:
            return default
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(str(m) for m in cls)
            self.problem(where, f"'{value}' is not one of: {allowed}")
            return default

    def lines(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, list):
            return tuple(int(v) for v in value if isinstance(v, int))
        if isinstance(value, int):
            return (value,)
        return ()


def load_plan_file(path: str | Path) -> Plan:
    """Load and validate the plan at ``path``; raise :class:`PlanError` on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(str(path), [PlanProblem("file", str(exc))]) from exc
    return load_plan(text, source=str(path))


def load_plan(text: str, *, source: str = "<plan>") -> Plan:
    """Parse and validate plan YAML; raise :class:`PlanError` listing every problem."""
    try:
        raw = yaml.load(text, Loader=_PlanYamlLoader)
    except yaml.YAMLError as exc:
        raise PlanError(source, [PlanProblem("yaml", str(exc))]) from exc
    reader = _Reader()
    plan = _read_plan(reader, reader.mapping(raw, "plan file"))
    if not reader.problems:
        _check_graph(reader, plan)
    if reader.problems:
        raise PlanError(source, reader.problems)
    return plan


def _read_plan(r: _Reader, raw: dict[str, Any]) -> Plan:
    head = r.mapping(raw.get("plan"), "plan")
    waves = _read_waves(r, raw.get("waves"))
    roles = {
        str(item.get("id")): Role(
            str(item.get("id")),
            r.text(item, "name_da", f"roles[{i}]"),
            r.text(item, "name_en", f"roles[{i}]"),
        )
        for i, item in enumerate(r.items(raw.get("roles"), "roles"))
        if isinstance(item, dict)
    }
    phases = {
        str(item.get("id")): Phase(
            str(item.get("id")),
            r.text(item, "name_da", f"phases[{i}]"),
            r.text(item, "name_en", f"phases[{i}]"),
            i,
        )
        for i, item in enumerate(r.items(raw.get("phases"), "phases"))
        if isinstance(item, dict)
    }
    diagrams: dict[str, Diagram] = {}
    edges: list[Edge] = []
    for i, item in enumerate(r.items(raw.get("diagrams"), "diagrams")):
        d = r.mapping(item, f"diagrams[{i}]")
        did = r.text(d, "id", f"diagrams[{i}]")
        if did in diagrams:
            r.problem(f"diagrams[{did}]", f"duplicate diagram id '{did}'")
            continue
        diagram, diagram_edges = _read_diagram(r, d, did, waves, roles, phases)
        diagrams[did] = diagram
        edges.extend(diagram_edges)
    tracked = tuple(str(t) for t in r.items(head.get("tracked_diagrams"), "plan.tracked_diagrams"))
    for t in tracked:
        if t not in diagrams:
            r.problem("plan.tracked_diagrams", f"unknown diagram '{t}' (diagrams: {', '.join(diagrams)})")
    if raw.get("runbook") is not None:
        runbook, runbook_edges = _read_runbook(r, raw["runbook"], diagrams, tracked, waves, roles, phases)
        if runbook is not None:
            diagrams[runbook.id] = runbook
            edges.extend(runbook_edges)
            tracked = (*(tracked or tuple(diagrams)[:-1]), runbook.id)
    closed = _read_closed_days(r, head)
    plan = Plan(
        id=r.text(head, "id", "plan"),
        title_da=r.text(head, "title_da", "plan"),
        title_en=r.text(head, "title_en", "plan"),
        timezone=str(head.get("timezone", "Europe/Copenhagen")),
        default_task_duration_days=int(head.get("default_task_duration_days", 1)),
        customary_closed_days=closed,
        waves=waves,
        roles=roles,
        phases=phases,
        diagrams=diagrams,
        edges=tuple(edges),
        tracked=tracked or tuple(diagrams),
    )
    return plan


def _read_closed_days(r: _Reader, head: Mapping[str, Any]) -> tuple[ClosedDay, ...]:
    """``customary_closed_days``: days closed every year besides the official holidays, as
    ``"06-05"`` or ``{day: "06-05", name: Grundlovsdag}``; without the key, the customary
    Danish ones (Grundlovsdag, Juleaftensdag, Nytårsaftensdag)."""
    key = "customary_closed_days"
    if key not in head:
        return CUSTOMARY_CLOSED_DAYS
    closed: list[ClosedDay] = []
    for i, value in enumerate(r.items(head.get(key), f"plan.{key}")):
        raw, name = value, ""
        if isinstance(value, dict):
            raw, name = value.get("day"), str(value.get("name") or "")
        try:
            month, day = (int(part) for part in str(raw).split("-"))
            date(2000, month, day)  # 2000 is a leap year: 02-29 is allowed
        except ValueError:
            r.problem(f"plan.{key}[{i}]", f"'{raw}' is not a month-day like 06-05 or 12-24")
            continue
        closed.append(ClosedDay(month, day, name or "lukkedag"))
    return tuple(closed)


def _read_waves(r: _Reader, raw: Any) -> dict[str, Wave]:
    waves: dict[str, Wave] = {}
    for i, item in enumerate(r.items(raw, "waves")):
        w = r.mapping(item, f"waves[{i}]")
        wid = r.text(w, "id", f"waves[{i}]")
        if wid in waves:
            r.problem(f"waves[{wid}]", f"duplicate wave id '{wid}'")
        nxt = w.get("next")
        waves[wid] = Wave(
            wid,
            r.text(w, "name_da", f"waves[{wid}]"),
            r.text(w, "name_en", f"waves[{wid}]"),
            str(nxt) if nxt is not None else None,
            i,
        )
    for wave in waves.values():
        if wave.next is not None and wave.next not in waves:
            r.problem(f"waves[{wave.id}].next", f"unknown wave '{wave.next}'")
    return waves


def _read_runbook(
    r: _Reader,
    raw: Any,
    diagrams: Mapping[str, Diagram],
    tracked: tuple[str, ...],
    waves: Mapping[str, Wave],
    roles: Mapping[str, Role],
    phases: Mapping[str, Phase],
) -> tuple[Diagram | None, list[Edge]]:
    """The ``runbook:`` section: tasks done once per wave, dated by the gates and milestones of
    the tracked diagrams (it has none of its own); tracked after them."""
    d = r.mapping(raw, "runbook")
    rid = r.text(d, "id", "runbook")
    if not rid:
        return None, []
    if rid in diagrams:
        r.problem("runbook.id", f"'{rid}' is already a diagram id")
        return None, []
    borrowed: set[str] = set()
    for did in tracked or tuple(diagrams):
        if did in diagrams:
            borrowed.update(diagrams[did].gates, diagrams[did].milestones)
    diagram, edges = _read_diagram(
        r, d, rid, waves, roles, phases, borrowed=frozenset(borrowed), where=f"runbook[{rid}]"
    )
    for task in diagram.tasks.values():
        if task.scope not in WAVE_SCOPES:
            r.problem(
                f"runbook[{rid}].tasks[{task.code}].scope",
                f"'{task.scope}' is not one of: {', '.join(sorted(WAVE_SCOPES))}",
            )
    return diagram, edges


def _read_diagram(
    r: _Reader,
    d: dict[str, Any],
    did: str,
    waves: Mapping[str, Wave],
    roles: Mapping[str, Role],
    phases: Mapping[str, Phase],
    *,
    borrowed: frozenset[str] = frozenset(),
    where: str = "",
) -> tuple[Diagram, list[Edge]]:
    """One diagram; ``borrowed``: gate and milestone ids of other diagrams its tasks may name
    (the runbook's), dated per wave by those diagrams."""
    where = where or f"diagrams[{did}]"
    gates: dict[str, Gate] = {}
    for item in r.items(d.get("gates"), f"{where}.gates"):
        g = r.mapping(item, f"{where}.gates")
        gid = r.text(g, "id", f"{where}.gates")
        gw = f"{where}.gates[{gid}]"
        if gid in gates:
            r.problem(gw, f"duplicate gate id '{gid}'")
        gates[gid] = Gate(
            gid,
            r.text(g, "kind", gw),
            r.text(g, "name_da", gw),
            r.text(g, "name_en", gw),
            r.dates(g.get("dates"), f"{gw}.dates", waves),
            r.enum(Confidence, g.get("confidence"), f"{gw}.confidence", Confidence.STATED),
            r.lines(g.get("source_lines")),
            str(g.get("note") or ""),
        )
    milestones: dict[str, Milestone] = {}
    for item in r.items(d.get("milestones"), f"{where}.milestones"):
        m = r.mapping(item, f"{where}.milestones")
        mid = r.text(m, "id", f"{where}.milestones")
        mw = f"{where}.milestones[{mid}]"
        if mid in milestones or mid in gates:
            r.problem(mw, f"duplicate milestone id '{mid}'")
        milestone = Milestone(
            mid,
            str(m.get("kind") or "deadline"),
            r.text(m, "name_da", mw),
            r.text(m, "name_en", mw),
            r.dates(m.get("dates"), f"{mw}.dates", waves),
            m.get("at_gate"),
            m.get("after"),
            int(m.get("offset_days") or 0),
            r.enum(Confidence, m.get("confidence"), f"{mw}.confidence", Confidence.STATED),
            r.lines(m.get("source_lines")),
            str(m.get("note") or ""),
        )
        for attr in ("at_gate", "after"):
            ref = getattr(milestone, attr)
            if ref is not None and ref not in gates:
                r.problem(f"{mw}.{attr}", f"unknown gate '{ref}' (gates: {', '.join(gates)})")
        milestones[mid] = milestone
    tasks: dict[str, TaskDef] = {}
    for item in r.items(d.get("tasks"), f"{where}.tasks"):
        t = r.mapping(item, f"{where}.tasks")
        code = r.text(t, "code", f"{where}.tasks")
        if code in tasks:
            r.problem(f"{where}.tasks[{code}]", f"duplicate task code '{code}' in diagram {did}")
            continue
        tasks[code] = _read_task(
            r, t, f"{where}.tasks[{code}]", did, code, roles, phases, {*gates, *milestones, *borrowed}
        )
    phase_gates = {str(k): str(v) for k, v in r.mapping(d.get("phase_gates") or {}, where).items()}
    for phase, gate in phase_gates.items():
        if phase not in phases:
            r.problem(f"{where}.phase_gates", f"unknown phase '{phase}'")
        if gate not in gates and gate not in milestones and gate not in borrowed:
            r.problem(f"{where}.phase_gates.{phase}", f"unknown gate '{gate}'")
    controls = []
    for item in r.items(d.get("controls"), f"{where}.controls"):
        c = r.mapping(item, f"{where}.controls")
        cid = r.text(c, "id", f"{where}.controls")
        cw = f"{where}.controls[{cid}]"
        checks = tuple(str(x) for x in r.items(c.get("checks"), f"{cw}.checks"))
        for code in checks:
            if code not in tasks:
                r.problem(f"{cw}.checks", f"unknown task '{code}' in diagram {did}")
        gate = r.text(c, "gate", cw)
        if gate and gate not in gates:
            r.problem(f"{cw}.gate", f"unknown gate '{gate}'")
        controls.append(
            WaveControl(
                cid,
                r.text(c, "question_da", cw),
                r.text(c, "question_en", cw),
                gate,
                checks,
                r.enum(Confidence, c.get("confidence"), f"{cw}.confidence", Confidence.STATED),
            )
        )
    edges = _read_edges(r, d, did, tasks)
    _check_partners(r, did, tasks)
    diagram = Diagram(
        id=did,
        key=str(d.get("key") or did),
        integration=r.text(d, "integration", where),
        title_da=r.text(d, "title_da", where, required=False),
        tracked=True,
        phase_gates=phase_gates,
        gates=gates,
        milestones=milestones,
        controls=tuple(controls),
        tasks=tasks,
        source_lines=r.lines(d.get("source_lines")),
        conflicts=tuple(str(c) for c in r.items(d.get("conflicts"), f"{where}.conflicts")),
        remarks_da=tuple(str(c) for c in r.items(d.get("remarks_da"), f"{where}.remarks_da")),
        questions=_read_questions(r, d, where, gates, tasks),
    )
    return diagram, edges


def _read_questions(
    r: _Reader, d: Mapping[str, Any], where: str, gates: Mapping[str, Gate], tasks: Mapping[str, TaskDef]
) -> tuple[Question, ...]:
    """``questions_da``: open questions, each ``{text_da: ..., at: KP-3}`` (``at`` optional)."""
    out = []
    for i, item in enumerate(r.items(d.get("questions_da"), f"{where}.questions_da")):
        q = r.mapping(item, f"{where}.questions_da[{i}]")
        at = q.get("at")
        if at is not None and at not in gates and at not in tasks:
            r.problem(f"{where}.questions_da[{i}].at", f"unknown gate or task '{at}'")
        out.append(
            Question(r.text(q, "text_da", f"{where}.questions_da[{i}]"), str(at) if at is not None else None)
        )
    return tuple(out)


def _check_partners(r: _Reader, did: str, tasks: Mapping[str, TaskDef]) -> None:
    """A joint twin or an alternative is a task of the same diagram with the same scope (their
    instances pair up one to one)."""
    for code, task in tasks.items():
        for attr in ("joint_with", "alternative_to"):
            other = getattr(task, attr)
            if other is None:
                continue
            where = f"diagrams[{did}].tasks[{code}].{attr}"
            if other not in tasks or other == code:
                r.problem(where, f"unknown task '{other}' in diagram {did}")
            elif tasks[other].scope != task.scope:
                r.problem(
                    where,
                    f"'{other}' is done {tasks[other].scope}-wide, '{code}' "
                    f"{task.scope}-wide: they cannot share a state",
                )


def _read_task(
    r: _Reader,
    t: dict[str, Any],
    tw: str,
    did: str,
    code: str,
    roles: Mapping[str, Role],
    phases: Mapping[str, Phase],
    dated: set[str],
) -> TaskDef:
    role = r.text(t, "role", tw)
    if role and role not in roles:
        r.problem(f"{tw}.role", f"unknown role '{role}' (roles: {', '.join(roles)})")
    phase = r.text(t, "phase", tw)
    if phase and phase not in phases:
        r.problem(f"{tw}.phase", f"unknown phase '{phase}' (phases: {', '.join(phases)})")
    deadline = t.get("deadline")
    for key in ("deadline", "opens_after"):
        if t.get(key) is not None and t.get(key) not in dated:
            r.problem(f"{tw}.{key}", f"unknown milestone or gate '{t.get(key)}' in diagram {did}")
    title_da = r.text(t, "title_da", tw, required=False)
    if not title_da and not t.get("title_lost"):
        r.problem(tw, "'title_da' is missing (set title_lost: true where the source lost it)")
    duration = t.get("duration_days")
    if duration is not None and (not isinstance(duration, int) or duration < 0):
        r.problem(f"{tw}.duration_days", f"'{duration}' is not a whole number of days >= 0")
        duration = None
    return TaskDef(
        diagram=did,
        code=code,
        title_da=title_da,
        title_en=r.text(t, "title_en", tw),
        kind=r.enum(TaskKind, t.get("kind"), f"{tw}.kind", TaskKind.TASK),
        role=role,
        role_confidence=r.enum(
            Confidence, t.get("role_confidence"), f"{tw}.role_confidence", Confidence.LIKELY
        ),
        scope=r.enum(Scope, t.get("scope"), f"{tw}.scope", Scope.MUNICIPALITY),
        phase=phase,
        block=t.get("block"),
        optional=bool(t.get("optional", False)),
        klik=bool(t.get("klik", False)),
        per_wave_control=bool(t.get("per_wave_control", False)),
        deadline=deadline,
        days_before=int(t.get("days_before") or 0),
        opens_after=t.get("opens_after"),
        duration_days=duration,
        not_applicable=t.get("not_applicable"),
        printed_code=t.get("printed_code"),
        joint_with=t.get("joint_with"),
        alternative_to=t.get("alternative_to"),
        source_lines=r.lines(t.get("source_lines")),
        notes=str(t.get("notes") or ""),
    )


def _read_edges(r: _Reader, d: dict[str, Any], did: str, tasks: Mapping[str, TaskDef]) -> list[Edge]:
    edges: list[Edge] = []
    for i, item in enumerate(r.items(d.get("edges"), f"diagrams[{did}].edges")):
        e = r.mapping(item, f"diagrams[{did}].edges[{i}]")
        ew = f"diagrams[{did}].edges[{i}]"
        provenance = str(e.get("provenance") or "")
        if provenance not in _PROVENANCES:
            r.problem(f"{ew}.provenance", f"'{provenance}' is not one of: {', '.join(sorted(_PROVENANCES))}")
        confidence = r.enum(Confidence, e.get("confidence"), f"{ew}.confidence", Confidence.GUESS)
        why = str(e.get("why") or "")
        if "from_group" in e:
            befores = _group(r, tasks, e.get("from_group"), f"{ew}.from_group")
            afters = _group(r, tasks, e.get("to_group"), f"{ew}.to_group")
        else:
            befores = [_ref(r, tasks, did, e.get("from"), f"{ew}.from")]
            afters = [_ref(r, tasks, did, e.get("to"), f"{ew}.to")]
        edges.extend(
            Edge(b, a, provenance, confidence, why) for b in befores for a in afters if b and a and b != a
        )
    return edges


def _group(r: _Reader, tasks: Mapping[str, TaskDef], name: Any, where: str) -> list[str]:
    kinds = {"criteria": TaskKind.CRITERION, "tasks": TaskKind.TASK}
    if name not in kinds:
        r.problem(where, f"unknown group '{name}' (groups: criteria, tasks)")
        return []
    return [t.ref for t in tasks.values() if t.kind == kinds[name] and not t.not_applicable]


def _ref(r: _Reader, tasks: Mapping[str, TaskDef], did: str, value: Any, where: str) -> str:
    code = str(value or "")
    if "/" in code:
        return code  # cross-diagram reference, checked once every diagram is read
    if code not in tasks:
        r.problem(where, f"unknown task '{code}' in diagram {did}")
        return ""
    return f"{did}/{code}"


def _check_graph(r: _Reader, plan: Plan) -> None:
    graph = RefGraph()
    for diagram in plan.diagrams.values():
        graph.add_nodes_from(t.ref for t in diagram.tasks.values())
    for edge in plan.edges:
        for ref in (edge.before, edge.after):
            diagram_id, _, code = ref.partition("/")
            if diagram_id not in plan.diagrams or code not in plan.diagrams[diagram_id].tasks:
                r.problem(f"edge {edge.before} -> {edge.after}", f"unknown task '{ref}'")
        graph.add_edge(edge.before, edge.after)
        _check_edge_scopes(r, plan, edge)
    cycle = graph.find_cycle()
    if cycle is None:
        return
    path = " -> ".join([*cycle, cycle[0]])
    r.problem("edges", f"dependency cycle: {path}")


def _check_edge_scopes(r: _Reader, plan: Plan, edge: Edge) -> None:
    """A task done once per wave waits only on, and holds up only, tasks of its wave; a roll-back
    task exists only after a no-go, so nothing waits on it."""
    try:
        before, after = plan.task(edge.before), plan.task(edge.after)
    except KeyError:
        return  # reported as an unknown task
    scopes = {before.scope, after.scope}
    if Scope.ROLLBACK in scopes or (scopes & WAVE_SCOPES and len(scopes) > 1):
        r.problem(
            f"edge {edge.before} -> {edge.after}",
            f"a {before.scope} task cannot be linked with a {after.scope} task",
        )


def plan_warnings(plan: Plan) -> list[PlanProblem]:
    """Conflicts the plan keeps visible: differing gate dates between diagrams, and the like."""
    warnings: list[PlanProblem] = []
    gate_dates: dict[tuple[str, str], dict[date, list[str]]] = {}
    for diagram in plan.diagrams.values():
        for gate in diagram.gates.values():
            for wave, day in gate.dates.items():
                gate_dates.setdefault((gate.id, wave), {}).setdefault(day, []).append(diagram.id)
        for text in diagram.conflicts:
            warnings.append(PlanProblem(f"diagrams[{diagram.id}]", text))
        warnings.extend(_control_warnings(diagram))
    for (gate_id, wave), by_date in sorted(gate_dates.items()):
        if len(by_date) > 1:
            listed = "; ".join(f"{d.isoformat()} on {', '.join(ids)}" for d, ids in sorted(by_date.items()))
            warnings.append(PlanProblem(f"gate {gate_id} {wave}", f"diagrams disagree: {listed}"))
    return warnings


def _control_warnings(diagram: Diagram) -> list[PlanProblem]:
    """Tasks flagged for the per-wave control that no control question checks, and back."""
    checked = {code for control in diagram.controls for code in control.checks}
    flagged = {code for code, task in diagram.tasks.items() if task.per_wave_control}
    out = []
    if flagged - checked:
        out.append(
            PlanProblem(
                f"diagrams[{diagram.id}].controls",
                "tasks flagged per_wave_control "
                f"but checked by no control: {', '.join(sorted(flagged - checked))}",
            )
        )
    if checked - flagged:
        out.append(
            PlanProblem(
                f"diagrams[{diagram.id}].controls",
                "tasks checked by a control but "
                f"not flagged per_wave_control: {', '.join(sorted(checked - flagged))}",
            )
        )
    return out
