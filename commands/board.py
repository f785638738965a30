"""The live board: what its four pages show, as plain data, and the `board` verb that links to it.

The pages (bot/board) render these view models; the models are built from the same snapshot,
readiness, deadlines and grid as the chat answers and charts (rollout.status, rollout.gates,
commands.charts.data): the board never computes readiness or a deadline a second way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from commands.charts import members
from commands.charts.data import ReadinessGrid, cell_state, readiness_grid
from commands.context import CommandContext, Invocation
from commands.messages import t
from commands.parse import UserError, find_municipality, match_municipality, match_wave, suggest
from commands.present import deadline_origin, load_rollout, local_minute, owner_name, state_text
from commands.reply import Reply, Section, Tone
from rollout.calendar import Countdown
from rollout.decisions import current_decisions
from rollout.gates import critical_chain, gate_date, gate_ids, next_gate, readiness, wave_controls
from rollout.model import Municipality
from rollout.status import Counts, Rollout
from storage.ports import GateDecision

__all__ = [
    "CELL_MARKS",
    "Cell",
    "DecisionLine",
    "GateBoard",
    "GateLine",
    "GateRow",
    "GridRow",
    "HistoryLine",
    "MunicipalityBoard",
    "RolloutBoard",
    "TaskRow",
    "WaveBoard",
    "WaveLine",
    "board",
    "board_snapshot",
    "board_target",
    "gate_board",
    "municipality_board",
    "rollout_board",
    "wave_board",
]

# A mark beside every colour, so no state is told by colour alone (the charts hatch × and /).
CELL_MARKS = {
    "blocked": "×",
    "late": "/",
    "waiting": "·",
    "ready": "○",
    "in_progress": "◐",
    "done": "✓",
    "not_applicable": "–",
    "": "",
}
_HISTORY = 30  # the latest changes a municipality's page lists


def board_snapshot(ctx: CommandContext) -> Rollout:
    """The whole rollout as the commands read it: the store's kept snapshot (what each task
    waits on is kept in it while the roster stays the same, so a page built after a change does
    not work that out again)."""
    return load_rollout(ctx)


@dataclass(frozen=True)
class GateLine:
    gate: str
    day: date
    countdown: Countdown
    conflict: bool  # the diagrams give different dates: the earliest is shown


@dataclass(frozen=True)
class WaveLine:
    wave: str
    name: str
    municipalities: int
    counts: Counts
    gates: tuple[GateLine, ...]
    next_gate: str | None
    ready_for_next: int  # members with nothing missing for the next gate
    runbook: Counts  # the wave's runbook, done once for the wave


@dataclass(frozen=True)
class RolloutBoard:
    today: date
    waves: tuple[WaveLine, ...]
    shared: Counts  # the tasks done once for everyone


def _gate_lines(rollout: Rollout, wave: str, today: date) -> tuple[GateLine, ...]:
    found = [g for gid in gate_ids(rollout) if (g := gate_date(rollout, gid, wave)) is not None]
    return tuple(
        GateLine(g.gate, g.day, rollout.graph.calendar.countdown(today, g.day), g.conflict)
        for g in sorted(found, key=lambda g: (g.day, g.gate))
    )


def rollout_board(ctx: CommandContext, rollout: Rollout | None = None) -> RolloutBoard:
    """Every wave: its gates with days left, its progress, who is ready for its next gate."""
    rollout = rollout or load_rollout(ctx)
    today = ctx.today
    lines = []
    for wave in ctx.graph.plan.waves.values():
        chosen = members(rollout, wave.id)
        gate = next_gate(rollout, wave.id, today)
        ready = sum(readiness(rollout, m, gate, today).ready for m in chosen) if gate else 0
        lines.append(
            WaveLine(
                wave.id,
                wave.name_da if _danish() else wave.name_en,
                len(chosen),
                rollout.counts(chosen, today),
                _gate_lines(rollout, wave.id, today),
                gate.gate if gate else None,
                ready,
                rollout.wave_counts(wave.id, today),
            )
        )
    return RolloutBoard(today, tuple(lines), rollout.shared_counts(today))


def _danish() -> bool:
    return t("board.language") == "da"


@dataclass(frozen=True)
class Cell:
    state: str  # one of STATES, or "" (no such task for the municipality)
    required: bool  # the next gate needs it


@dataclass(frozen=True)
class GridRow:
    name: str
    slug: str
    cells: tuple[Cell, ...]
    late: int
    blocked: int


@dataclass(frozen=True)
class DecisionLine:
    gate: str
    municipality: str
    decision: str
    actor: str
    at: str  # Copenhagen time, to the minute
    note: str


@dataclass(frozen=True)
class WaveBoard:
    today: date
    wave: str
    grid: ReadinessGrid
    rows: tuple[GridRow, ...]  # after the filters
    columns: tuple[int, ...]  # indexes into grid.columns kept by the filters
    phases: tuple[tuple[str, int], ...]  # (phase id, columns kept)
    total: int  # the wave's municipalities before filtering
    counts: Counts
    gates: tuple[GateLine, ...]
    decisions: tuple[DecisionLine, ...]
    diagrams: tuple[str, ...]
    roles: tuple[str, ...]


def wave_board(
    ctx: CommandContext,
    wave: str,
    *,
    diagram: str = "",
    role: str = "",
    state: str = "",
    rollout: Rollout | None = None,
) -> WaveBoard:
    """The wave's municipalities × tasks grid (commands.charts.data.readiness_grid, the chart's
    own), kept to one diagram, one role and the rows with a cell in one state when asked."""
    rollout = rollout or load_rollout(ctx)
    plan = ctx.graph.plan
    chosen = members(rollout, wave)
    grid = readiness_grid(rollout, chosen, wave, ctx.today)
    keep = tuple(
        i
        for i, ref in enumerate(grid.columns)
        if (not diagram or plan.task(ref).diagram == diagram) and (not role or plan.task(ref).role == role)
    )
    rows = []
    for r, municipality in enumerate(chosen):
        cells = tuple(Cell(grid.cells[r][c], (r, c) in grid.required) for c in keep)
        if state and not any(c.state == state for c in cells):
            continue
        states = grid.cells[r]
        rows.append(
            GridRow(
                municipality.name, municipality.slug, cells, states.count("late"), states.count("blocked")
            )
        )
    phases: list[tuple[str, int]] = []
    for c in keep:
        phase = plan.task(grid.columns[c]).phase
        if phases and phases[-1][0] == phase:
            phases[-1] = (phase, phases[-1][1] + 1)
        else:
            phases.append((phase, 1))
    names = {m.code: m.name for m in rollout.municipalities.values()}
    standing = sorted(
        current_decisions(ctx.store.gate_decisions(wave=wave)).values(), key=lambda d: (d.gate, d.id)
    )
    return WaveBoard(
        ctx.today,
        wave,
        grid,
        tuple(rows),
        keep,
        tuple(phases),
        len(chosen),
        rollout.counts(chosen, ctx.today),
        _gate_lines(rollout, wave, ctx.today),
        tuple(_decision(d, names) for d in standing),
        tuple(sorted({plan.task(ref).diagram for ref in grid.columns})),
        tuple(sorted({plan.task(ref).role for ref in grid.columns})),
    )


def _decision(d: GateDecision, names: dict[int, str]) -> DecisionLine:
    return DecisionLine(
        d.gate,
        names.get(d.municipality, str(d.municipality)),
        t(f"board.decision.{d.decision}"),
        d.actor,
        local_minute(d.at),
        d.note,
    )


@dataclass(frozen=True)
class TaskRow:
    ref: str
    connection: str
    title: str
    state: str  # one of STATES
    state_text: str
    owner: str
    deadline: date | None
    origin: str
    working_days_left: int | None
    waits_on: tuple[str, ...]
    on_chain: bool
    reason: str


@dataclass(frozen=True)
class HistoryLine:
    at: str
    actor: str
    source: str
    what: str
    old: str
    new: str


@dataclass(frozen=True)
class MunicipalityBoard:
    today: date
    municipality: Municipality
    tasks: tuple[TaskRow, ...]  # in dependency order
    chain: tuple[str, ...]
    chain_days: int
    counts: Counts
    history: tuple[HistoryLine, ...]
    decisions: tuple[DecisionLine, ...]


def municipality_board(
    ctx: CommandContext, municipality: Municipality, rollout: Rollout | None = None
) -> MunicipalityBoard:
    """A municipality's own tasks in dependency order, its longest open chain and its history."""
    rollout = rollout or load_rollout(ctx)
    order = {ref: i for i, ref in enumerate(ctx.graph.topological_refs())}
    keys = sorted(rollout.task_keys([municipality], include_system=False), key=lambda k: (order[k.ref], k))
    views = rollout.views(keys, ctx.today)
    chain, days = critical_chain(rollout, [v.key for v in views if not v.finished])
    on_chain = set(chain)
    danish = _danish()
    tasks = tuple(
        TaskRow(
            v.key.ref,
            v.key.connection if v.key.connection != "KSD" else "",
            v.task.title_da if danish else v.task.title_en,
            cell_state(v),
            state_text(v),
            owner_name(ctx, v.task.role),
            v.deadline.day if v.deadline else None,
            deadline_origin(v.deadline) if v.deadline else "",
            v.working_days_left,
            tuple(k.ref for k in v.waits_on),
            v.key in on_chain,
            v.state.reason,
        )
        for v in views
    )
    events = ctx.store.events(municipality=municipality.code, wave=municipality.wave, limit=_HISTORY)
    changes = [
        (
            e.at,
            HistoryLine(
                local_minute(e.at),
                e.actor,
                e.source,
                e.key.ref,
                t(f"status.{e.old.status}"),
                t(f"status.{e.new.status}") + (f" — {e.new.reason}" if e.new.reason else ""),
            ),
        )
        for e in events
    ]
    changes += [  # its moves between waves belong to its history too
        (
            m.at,
            HistoryLine(
                local_minute(m.at),
                m.actor,
                m.source,
                t("board.col.wave"),
                m.from_wave or "—",
                m.to_wave + (f" — {m.reason}" if m.reason else ""),
            ),
        )
        for m in ctx.store.wave_moves(municipality.code)
    ]
    changes.sort(key=lambda change: change[0], reverse=True)
    history = tuple(line for _, line in changes[:_HISTORY])
    names = {municipality.code: municipality.name}
    decided = [d for d in ctx.store.gate_decisions() if d.municipality == municipality.code]
    return MunicipalityBoard(
        ctx.today,
        municipality,
        tasks,
        tuple(k.ref for k in chain),
        days,
        Counts.of(views),
        history,
        tuple(_decision(d, names) for d in sorted(decided, key=lambda d: d.id, reverse=True)),
    )


@dataclass(frozen=True)
class GateRow:
    name: str
    slug: str
    ready: bool
    at_risk: bool
    missing: tuple[str, ...]  # task refs it lacks
    chain_days: int
    decision: str


@dataclass(frozen=True)
class GateBoard:
    today: date
    gate: str
    wave: str
    day: date
    countdown: Countdown
    rows: tuple[GateRow, ...]  # not ready first, at risk first
    controls: tuple[tuple[str, str, int, int], ...]  # (id, question, done, total)


def gate_board(ctx: CommandContext, gate: str, wave: str, rollout: Rollout | None = None) -> GateBoard | None:
    """Who is ready for the gate in the wave and what the others lack; None when the plan does
    not date that gate for the wave."""
    rollout = rollout or load_rollout(ctx)
    found = gate_date(rollout, gate, wave)
    if found is None:
        return None
    standing = {
        d.municipality: t(f"board.decision.{d.decision}")
        for (g, _, _), d in current_decisions(ctx.store.gate_decisions(wave=wave, gate=gate)).items()
        if g == gate
    }
    rows = []
    for m in members(rollout, wave):
        r = readiness(rollout, m, found, ctx.today)
        rows.append(
            GateRow(
                m.name,
                m.slug,
                r.ready,
                r.at_risk,
                tuple(v.key.ref for v in r.missing),
                r.chain_days,
                standing.get(m.code, ""),
            )
        )
    rows.sort(key=lambda r: (r.ready, not r.at_risk, -len(r.missing), r.name))
    language = "da" if _danish() else "en"
    controls = tuple(
        (c.control_id, c.question, c.done, c.total)
        for c in wave_controls(rollout, members(rollout, wave), gate=gate, language=language)
    )
    return GateBoard(
        ctx.today,
        gate,
        wave,
        found.day,
        rollout.graph.calendar.countdown(ctx.today, found.day),
        tuple(rows),
        controls,
    )


def board_target(ctx: CommandContext, words: Sequence[str], channel_wave: str | None = None) -> str:
    """The page a `board` command names, as a path below /board: "" (the rollout), "wave/K91",
    "municipality/aarhus" or "gate/KP-3/P2". Bad words: a UserError with what would be valid."""
    plan = ctx.graph.plan
    if not words:
        return f"wave/{channel_wave}" if channel_wave else ""
    gates = {g.lower(): g for d in plan.tracked for g in plan.diagrams[d].gates}
    first = words[0]
    if first.lower() in gates:
        gate = gates[first.lower()]
        wave_word = words[1] if len(words) > 1 else channel_wave
        if wave_word is None or len(words) > 2:
            raise UserError(t("error.board_gate_wave", gate=gate), hint=t("usage.board"))
        wave = match_wave(wave_word, plan)
        if wave is None:
            raise UserError(
                t("error.unknown_wave", word=wave_word, valid=", ".join(plan.waves)),
                hint=_did_you_mean(wave_word, list(plan.waves)),
            )
        return f"gate/{gate}/{wave}"
    wave = match_wave(first, plan) if len(words) == 1 else None
    if wave is not None:
        return f"wave/{wave}"
    municipalities = ctx.store.municipalities()
    found = find_municipality(list(words), municipalities)
    if found is None:
        close = suggest(" ".join(words), [*plan.waves, *gates.values()])
        if close:  # a wave or gate mistyped: say so before the municipalities' suggestions
            raise UserError(
                t("error.board_unknown", word=" ".join(words)),
                hint=t("hint.did_you_mean", options=" / ".join(f"`board {c}`" for c in close)),
            )
        found = match_municipality(list(words), municipalities)
    return f"municipality/{found.slug}"


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = suggest(word, options)
    return t("hint.did_you_mean", options=" / ".join(close)) if close else ""


def board(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """A link to the live board, for you alone and for 12 hours: `board`, `board K91`,
    `board aarhus`, `board KP-3 P2`."""
    target = board_target(ctx, args, inv.channel_wave)
    if ctx.board_link is None:
        return Reply(t("board.not_served"), tone=Tone.WARNING)
    link = ctx.board_link(inv.actor.handle, inv.actor.name, target, inv.language)
    page = target.replace("/", " ") or t("board.page.rollout")
    return Reply(
        t("board.link", page=page),
        (Section(lines=(link.url,)),),
        footer=t("board.link_footer", name=inv.actor.name, until=local_minute(link.expires)),
    )
