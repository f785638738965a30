"""The dependency graph of a plan, and its expansion to task instances per municipality."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from rollout.calendar import WorkingCalendar, danish_calendar
from rollout.deadlines import Deadline, Inversion, backward_pass, inversions, weakest
from rollout.digraph import RefGraph
from rollout.model import SYSTEM_WIDE, Municipality, TaskKey
from rollout.plan import WAVE_SCOPES, Confidence, Edge, Plan, Scope, TaskDef, WaveControl

__all__ = ["Deadline", "Inversion", "PlanGraph"]


@dataclass
class PlanGraph:
    """A plan with its task graph built once; answers instance-level questions."""

    plan: Plan
    calendar: WorkingCalendar = field(init=False)
    _graph: RefGraph = field(init=False, repr=False)
    _edges: dict[tuple[str, str], Edge] = field(init=False, repr=False)
    _deadlines: dict[str, dict[str, Deadline | None]] = field(init=False, repr=False)
    _preds: dict[str, list[str]] = field(init=False, repr=False)
    _succs: dict[str, list[str]] = field(init=False, repr=False)
    _tasks: dict[str, TaskDef] = field(init=False, repr=False)
    # the one TaskKey object of each instance handed out so far (see :meth:`key`): by ref, then
    # by municipality for the common key without a connection; by all three otherwise
    _keys: dict[str, dict[int, TaskKey]] = field(init=False, repr=False, default_factory=dict)
    _connection_keys: dict[tuple[str, int, str], TaskKey] = field(
        init=False, repr=False, default_factory=dict
    )
    # one int object per municipality code in those keys: a code read from a database row is
    # a new object each time (only ints up to 256 are shared), 32 bytes per kept key at 10x
    _codes: dict[int, int] = field(init=False, repr=False, default_factory=dict)
    _controls: tuple[tuple[str, WaveControl, frozenset[str]], ...] | None = field(
        init=False, repr=False, default=None
    )

    def __post_init__(self) -> None:
        self.calendar = danish_calendar(self.plan.customary_closed_days)
        graph = RefGraph()
        graph.add_nodes_from(t.ref for t in self.plan.tracked_tasks())
        self._edges = {}
        for edge in self.plan.edges:
            if edge.before in graph and edge.after in graph:
                graph.add_edge(edge.before, edge.after)
                self._edges[(edge.before, edge.after)] = edge
        self._graph = graph
        self._deadlines = {}
        self._tasks = {t.ref: t for d in self.plan.diagrams.values() for t in d.tasks.values()}
        self._preds = {ref: sorted(graph.predecessors(ref)) for ref in graph}
        self._succs = {ref: sorted(graph.successors(ref)) for ref in graph}

    # -- plan level -------------------------------------------------------------------------

    def task(self, ref: str) -> TaskDef:
        return self._tasks[ref]

    def predecessor_refs(self, ref: str) -> list[str]:
        return self._preds[ref]

    def successor_refs(self, ref: str) -> list[str]:
        return self._succs[ref]

    def edge(self, before: str, after: str) -> Edge | None:
        return self._edges.get((before, after))

    def controls(self) -> tuple[tuple[str, WaveControl, frozenset[str]], ...]:
        """Every control question of the tracked diagrams in plan order: its id (``B/KONTROL-2``),
        itself, and the refs of the tasks it checks. Built once: the same objects each time, so
        a snapshot finds its kept answers to them by identity."""
        if self._controls is None:
            self._controls = tuple(
                (f"{d}/{control.id}", control, frozenset(f"{d}/{code}" for code in control.checks))
                for d in self.plan.tracked
                for control in self.plan.diagrams[d].controls
            )
        return self._controls

    def topological_refs(self) -> list[str]:
        return self._graph.lexicographical_topological_order()

    # -- instances --------------------------------------------------------------------------

    def key(self, ref: str, municipality: int = SYSTEM_WIDE, connection: str = "") -> TaskKey:
        """``TaskKey(ref, municipality, connection)``, as the one object this graph hands out for
        that instance (with its ``ref`` string interned).

        Equal keys are interchangeable, but a snapshot refers to each instance from many places
        (the lists of what its successors wait on, its view, its state, the memos): at 10x the
        roster, equal copies were eight per instance and a third of a worker's memory. Safe
        from several threads: a race makes two equal keys, and either serves."""
        if connection:
            whole = (ref, municipality, connection)
            found = self._connection_keys.get(whole)
            if found is None:
                code = self._codes.setdefault(municipality, municipality)
                found = self._connection_keys[whole] = TaskKey(sys.intern(ref), code, sys.intern(connection))
            return found
        by_code = self._keys.get(ref)
        if by_code is None:
            by_code = self._keys.setdefault(sys.intern(ref), {})
        found = by_code.get(municipality)
        if found is None:
            code = self._codes.setdefault(municipality, municipality)
            found = by_code[code] = TaskKey(sys.intern(ref), code)
        return found

    def instances(self, municipality: Municipality) -> Iterator[TaskKey]:
        """The task instances of one municipality (system-wide tasks not included)."""
        for task in self.plan.tracked_tasks():
            if task.scope == Scope.MUNICIPALITY:
                yield self.key(task.ref, municipality.code)
            elif task.scope == Scope.CONNECTION:
                for connection in municipality.connections:
                    yield self.key(task.ref, municipality.code, connection)

    def system_instances(self) -> Iterator[TaskKey]:
        for task in self.plan.tracked_tasks():
            if task.scope == Scope.SYSTEM:
                yield self.key(task.ref, SYSTEM_WIDE)

    def wave_instances(self, wave: str) -> Iterator[TaskKey]:
        """The runbook's task instances of one wave (done once for the whole wave)."""
        for task in self.plan.tracked_tasks():
            if task.scope == Scope.WAVE:
                yield self.key(task.ref, SYSTEM_WIDE, wave)  # as TaskKey.for_wave

    def rollback_instances(self, wave: str, moved_out: Iterable[int]) -> list[TaskKey]:
        """The roll-back tasks of the municipalities a no-go moved out of ``wave``."""
        refs = [t.ref for t in self.plan.tracked_tasks() if t.scope == Scope.ROLLBACK]
        return [self.key(ref, code, wave) for code in sorted(set(moved_out)) for ref in refs]

    def all_instances(self, municipalities: Iterable[Municipality]) -> Iterator[TaskKey]:
        yield from self.system_instances()
        for municipality in municipalities:
            yield from self.instances(municipality)

    def _linked(
        self, ref: str, key: TaskKey, codes: Iterable[int], municipalities: Mapping[int, Municipality]
    ) -> list[TaskKey]:
        """The instances of plan task ``ref`` linked to instance ``key`` in ``codes``.

        A system-wide task has one instance; otherwise the link stays within the municipality
        (and the connection, when ``key`` has one).
        """
        scope = self._tasks[ref].scope
        if scope == Scope.SYSTEM:
            return [self.key(ref, SYSTEM_WIDE)]
        if scope in WAVE_SCOPES:  # the plan links a wave's task only with its wave's tasks
            return [self.key(ref, key.municipality, key.connection)]  # as TaskKey.for_wave
        out: list[TaskKey] = []
        for code in codes:
            if scope == Scope.MUNICIPALITY:
                out.append(self.key(ref, code))
            elif key.connection:
                out.append(self.key(ref, code, key.connection))
            elif code in municipalities:
                out.extend(self.key(ref, code, c) for c in municipalities[code].connections)
        return out

    def predecessors(self, key: TaskKey, municipalities: Mapping[int, Municipality]) -> list[TaskKey]:
        """The instances that must be finished before ``key`` may start.

        A task done once for everyone never waits on one municipality's task: a group rule such
        as "criteria before tasks" applies within each municipality.
        """
        codes = () if key.municipality == SYSTEM_WIDE else (key.municipality,)
        return [p for ref in self._preds[key.ref] for p in self._linked(ref, key, codes, municipalities)]

    def successors(self, key: TaskKey, municipalities: Mapping[int, Municipality]) -> list[TaskKey]:
        """The instances that wait on ``key``; a task done once for everyone holds up every
        municipality's successor."""
        codes = sorted(municipalities) if key.municipality == SYSTEM_WIDE else (key.municipality,)
        return [s for ref in self._succs[key.ref] for s in self._linked(ref, key, codes, municipalities)]

    # -- dates ------------------------------------------------------------------------------

    def milestone_date(self, diagram_id: str, milestone_id: str, wave: str) -> date | None:
        """The date of a gate or milestone of one diagram for a wave, if the plan gives one."""
        diagram = self.plan.diagrams[diagram_id]
        if milestone_id in diagram.gates:
            return diagram.gates[milestone_id].dates.get(wave)
        milestone = diagram.milestones.get(milestone_id)
        if milestone is None:
            return None
        if wave in milestone.dates:
            return milestone.dates[wave]
        anchor_id = milestone.at_gate or milestone.after
        if anchor_id is None or anchor_id not in diagram.gates:
            return None
        anchor = diagram.gates[anchor_id].dates.get(wave)
        if anchor is None:
            return None
        return anchor + timedelta(days=milestone.offset_days if milestone.after else 0)

    def milestone_label(self, diagram_id: str, milestone_id: str) -> str:
        diagram = self.plan.diagrams[diagram_id]
        item = diagram.gates.get(milestone_id) or diagram.milestones.get(milestone_id)
        return item.name_da if item is not None else milestone_id

    def gate_dates(self, gate_id: str, wave: str) -> dict[str, date]:
        """The date of a gate for a wave on each tracked diagram that gives one."""
        out: dict[str, date] = {}
        for diagram_id in self.plan.tracked:
            gate = self.plan.diagrams[diagram_id].gates.get(gate_id)
            if gate is not None and wave in gate.dates:
                out[diagram_id] = gate.dates[wave]
        return out

    def deadline(self, ref: str, wave: str) -> Deadline | None:
        """The working deadline of plan task ``ref`` in ``wave``: its printed date, pulled earlier
        where a task that waits on it needs it sooner (one backward pass per wave, cached)."""
        found = self._deadlines.get(wave)
        if found is None:
            order = self.topological_refs()
            printed = {ref: self.printed_deadline(ref, wave) for ref in order}
            found = self._deadlines[wave] = backward_pass(
                order, printed, self.successor_refs, self.edge, self.duration, self.calendar
            )
        return found.get(ref)

    def inversions(self) -> list[Inversion]:
        """Every (edge, wave) where the plan prints the predecessor due after its successor."""
        found: list[Inversion] = []
        for wave in self.plan.waves:
            printed = {ref: self.printed_deadline(ref, wave) for ref in self._graph}
            found.extend(inversions(wave, list(self._edges.values()), printed))
        return found

    def printed_deadline(self, ref: str, wave: str) -> Deadline | None:
        """The deadline the plan itself gives plan task ``ref`` in ``wave``, before the graph.

        The task's own dated milestone, else the gate that closes its phase on its diagram; where
        that diagram has no date for the wave, the earliest date of the go/no-go (KP-3) that any
        tracked diagram gives for the wave, marked as a fallback. ``days_before`` working days
        are taken off.
        """
        task = self.task(ref)
        diagram = self.plan.diagrams[task.diagram]
        milestone_id = task.deadline or diagram.phase_gates.get(task.phase)
        found: Deadline | None = None
        if milestone_id is not None:
            where, day = self._dated_on(task.diagram, milestone_id, wave)
            if day is not None:
                found = Deadline(
                    day,
                    milestone_id,
                    where,
                    self.milestone_label(where, milestone_id),
                    confidence=self.milestone_confidence(where, milestone_id),
                )
        if found is None:
            dates = self.gate_dates("KP-3", wave)
            if dates:
                diagram_id, day = min(dates.items(), key=lambda item: (item[1], item[0]))
                # Another page's date stands in for this one's: no better than likely.
                sure = weakest(self.milestone_confidence(diagram_id, "KP-3"), Confidence.LIKELY)
                found = Deadline(
                    day,
                    "KP-3",
                    diagram_id,
                    self.milestone_label(diagram_id, "KP-3"),
                    fallback=True,
                    confidence=sure,
                )
        if found is not None and task.days_before:
            found = replace(found, day=self.calendar.add_working_days(found.day, -task.days_before))
        return found

    def _dated_on(self, diagram_id: str, milestone_id: str, wave: str) -> tuple[str, date | None]:
        """The diagram that dates a task's milestone, and its date: the task's own diagram, or,
        for the runbook (which has no gates of its own), the tracked diagram with the earliest
        date for the wave."""
        diagram = self.plan.diagrams[diagram_id]
        if milestone_id in diagram.gates or milestone_id in diagram.milestones:
            return diagram_id, self.milestone_date(diagram_id, milestone_id, wave)
        dated = [
            (day, other)
            for other in self.plan.tracked
            if (day := self.milestone_date(other, milestone_id, wave)) is not None
        ]
        if not dated:
            return diagram_id, None
        day, other = min(dated)
        return other, day

    def opens(self, ref: str, wave: str) -> Deadline | None:
        """The gate a task may not start before (``opens_after``) and its date in ``wave``."""
        task = self.task(ref)
        if task.opens_after is None:
            return None
        where, day = self._dated_on(task.diagram, task.opens_after, wave)
        if day is None:
            return None
        return Deadline(
            day,
            task.opens_after,
            where,
            self.milestone_label(where, task.opens_after),
            confidence=self.milestone_confidence(where, task.opens_after),
        )

    def milestone_confidence(self, diagram_id: str, milestone_id: str) -> Confidence:
        """How sure the plan is that the date belongs to the gate or milestone."""
        diagram = self.plan.diagrams[diagram_id]
        item = diagram.gates.get(milestone_id) or diagram.milestones.get(milestone_id)
        return item.confidence if item is not None else Confidence.GUESS

    def milestone_lines(self, diagram_id: str, milestone_id: str) -> tuple[int, ...]:
        """The source lines where the gate or milestone and its dates are printed."""
        diagram = self.plan.diagrams[diagram_id]
        item = diagram.gates.get(milestone_id) or diagram.milestones.get(milestone_id)
        return item.source_lines if item is not None else ()

    def duration(self, ref: str) -> int:
        task = self.task(ref)
        if task.duration_days is not None:
            return task.duration_days
        return self.plan.default_task_duration_days
