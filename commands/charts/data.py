"""What each chart shows, as plain data taken from the view models (no plotting here).

Readiness and deadlines come from rollout.status and rollout.gates, counts from
``rollout.status.Counts``: a chart never computes them a second way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from zoneinfo import ZoneInfo

from rollout.gates import critical_chain, gate_date, gate_ids, next_gate, required_keys
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.status import Counts, Rollout, TaskView
from storage.ports import TaskEvent

__all__ = [
    "STATES",
    "BurndownSeries",
    "DependencyPicture",
    "ReadinessGrid",
    "burndown_series",
    "cell_state",
    "dependency_picture",
    "readiness_grid",
]

_COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# The states a cell can show, worst first: a cell of several instances (connections) shows
# the worst of them. Each has a catalogue label ``chart.state.<name>``.
STATES = ("blocked", "late", "waiting", "ready", "in_progress", "done", "not_applicable")


def cell_state(view: TaskView) -> str:
    """The one word a chart shows for a task instance."""
    status = view.state.status
    if status == Status.BLOCKED:
        return "blocked"
    if status == Status.DONE:
        return "done"
    if status == Status.NOT_APPLICABLE:
        return "not_applicable"
    if view.overdue:
        return "late"
    if status == Status.IN_PROGRESS:
        return "in_progress"
    return "ready" if view.ready else "waiting"


@dataclass(frozen=True)
class ReadinessGrid:
    """Municipalities (rows) × task codes (columns, grouped by phase), each cell a state."""

    wave: str
    gate: str | None  # the next gate whose required set is outlined
    gate_day: date | None
    rows: tuple[str, ...]  # municipality names
    columns: tuple[str, ...]  # task refs, in phase order
    phases: tuple[tuple[str, int], ...]  # (phase id, number of columns), in order
    cells: tuple[tuple[str, ...], ...]  # [row][column] -> one of STATES, or "" (no instance)
    required: frozenset[tuple[int, int]]  # (row, column) of the gate's required instances


def readiness_grid(
    rollout: Rollout, members: Sequence[Municipality], wave: str, today: date
) -> ReadinessGrid:
    """Every member's own tasks on ``today``, and which of them the wave's next gate needs."""
    plan = rollout.graph.plan
    refs = sorted(
        {k.ref for m in members for k in rollout.task_keys([m], include_system=False)},
        key=lambda ref: (plan.phases[plan.task(ref).phase].order, ref),
    )
    column = {ref: i for i, ref in enumerate(refs)}
    gate = next_gate(rollout, wave, today)
    cells: list[tuple[str, ...]] = []
    required: set[tuple[int, int]] = set()
    for row, municipality in enumerate(members):
        worst: dict[str, str] = {}
        for view in rollout.views(rollout.task_keys([municipality], include_system=False), today):
            state = cell_state(view)
            old = worst.get(view.key.ref)
            worst[view.key.ref] = state if old is None else min(old, state, key=STATES.index)
        cells.append(tuple(worst.get(ref, "") for ref in refs))
        if gate is not None:
            required.update(
                (row, column[k.ref]) for k in required_keys(rollout, municipality, gate) if k.ref in column
            )
    phases: list[tuple[str, int]] = []
    for ref in refs:
        phase = plan.task(ref).phase
        if phases and phases[-1][0] == phase:
            phases[-1] = (phase, phases[-1][1] + 1)
        else:
            phases.append((phase, 1))
    return ReadinessGrid(
        wave,
        gate.gate if gate else None,
        gate.day if gate else None,
        tuple(m.name for m in members),
        tuple(refs),
        tuple(phases),
        tuple(cells),
        frozenset(required),
    )


@dataclass(frozen=True)
class BurndownSeries:
    """Open tasks of a wave's members at the end of each day on which something was recorded."""

    wave: str
    total: int
    days: tuple[date, ...]  # the day before the first event, each event day, and today
    open: tuple[int, ...]
    gates: tuple[tuple[str, date], ...]  # the wave's gates, in date order
    ideal_end: date | None  # the last deadline of these tasks: the ideal line reaches 0 there


def burndown_series(
    rollout: Rollout, members: Sequence[Municipality], wave: str, events: Iterable[TaskEvent], today: date
) -> BurndownSeries | None:
    """Replay the recorded task events of the members' own tasks day by day; None without any."""
    keys = rollout.task_keys(members, include_system=False)
    wanted = set(keys)
    by_day: dict[date, list[TaskEvent]] = {}
    for event in sorted(events, key=lambda e: e.id):
        day = event.at.astimezone(_COPENHAGEN).date()
        if event.key in wanted and day <= today:
            by_day.setdefault(day, []).append(event)
    if not by_day:
        return None
    states = {k: rollout.initial_state(k) for k in keys}
    days, opened = [min(by_day).fromordinal(min(by_day).toordinal() - 1)], [_open(rollout, states)]
    for day in sorted(by_day):
        for event in by_day[day]:
            states[event.key] = event.new
        days.append(day)
        opened.append(_open(rollout, states))
    if days[-1] < today:
        days.append(today)
        opened.append(opened[-1])
    gates = sorted(
        ((g, found.day) for g in gate_ids(rollout) if (found := gate_date(rollout, g, wave)) is not None),
        key=lambda x: x[1],
    )
    deadlines = [d.day for k in keys if (d := rollout.deadline(k)) is not None]
    total = Counts.of(_as_of(rollout, states, keys)).total
    return BurndownSeries(
        wave, total, tuple(days), tuple(opened), tuple(gates), max(deadlines) if deadlines else None
    )


def _as_of(rollout: Rollout, states: dict[TaskKey, TaskState], keys: list[TaskKey]) -> list[TaskView]:
    """Views of ``keys`` with the replayed states: only what counting needs (state and
    alternatives); the counting itself is Counts.of, the one rule."""
    then = Rollout(rollout.graph, rollout.municipalities, states)
    return [
        TaskView(
            k,
            rollout.graph.task(k.ref),
            None,
            then.state(k),
            None,
            (),
            None,
            alternatives=rollout.boxes.alternatives(k),
        )
        for k in keys
    ]


def _open(rollout: Rollout, states: dict[TaskKey, TaskState]) -> int:
    counts = Counts.of(_as_of(rollout, states, list(states)))
    return counts.total - counts.done


@dataclass(frozen=True)
class DependencyPicture:
    """A municipality's task graph laid out left to right by topological generation."""

    municipality: str
    nodes: tuple[tuple[str, str, float, float], ...]  # (label, state, x, y)
    edges: tuple[tuple[int, int, bool], ...]  # (from node, to node, on the longest chain)
    chain: tuple[int, ...]  # nodes of the longest remaining chain, in order
    chain_days: int


def dependency_picture(rollout: Rollout, municipality: Municipality, today: date) -> DependencyPicture:
    """The municipality's own tasks and what waits on what, its longest open chain marked."""
    # imported here: only this picture needs networkx, and importing it costs a process ~23 MB
    import networkx as nx

    keys = rollout.task_keys([municipality], include_system=False)
    index = {k: i for i, k in enumerate(keys)}
    graph: nx.DiGraph[TaskKey] = nx.DiGraph()
    graph.add_nodes_from(keys)
    for key in keys:
        graph.add_edges_from((p, key) for p in rollout.predecessors(key) if p in index)
    views = {v.key: v for v in rollout.views(keys, today)}
    chain, days = critical_chain(rollout, [k for k in keys if not views[k].finished])
    on_chain = set(pairwise(chain))
    position: dict[TaskKey, tuple[float, float]] = {}
    for x, generation in enumerate(nx.topological_generations(graph)):
        ordered = sorted(generation, key=lambda k: k.ref)
        for y, key in enumerate(ordered):
            position[key] = (float(x), (len(ordered) - 1) / 2 - y)
    nodes = tuple((_label(k), cell_state(views[k]), *position[k]) for k in keys)
    edges = tuple((index[a], index[b], (a, b) in on_chain) for a, b in graph.edges)
    return DependencyPicture(municipality.name, nodes, edges, tuple(index[k] for k in chain), days)


def _label(key: TaskKey) -> str:
    return f"{key.ref}:{key.connection}" if key.connection and key.connection != "KSD" else key.ref
