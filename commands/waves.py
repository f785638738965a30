"""Verbs about waves and gates: gate, wave, history, and the admin verbs move and decide."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from commands.context import Actor, CommandContext, Invocation
from commands.gate_outcome import (
    decision_sections,
    missing_refs,
    outcome_sections,
    rollout_on,
)
from commands.gating import decide, decision_lines
from commands.grammar import split_reason
from commands.groups import MUNICIPALITY_LIMIT, names_text, page_of, split_codes, split_page
from commands.messages import t
from commands.parse import (
    MAX_REASON,
    UserError,
    check_text,
    match_gate,
    match_municipality,
    match_wave,
    suggest,
)
from commands.plan_notes import question_lines, remark_lines
from commands.present import (
    key_label,
    load_rollout,
    local_minute,
    task_section,
)
from commands.reply import Action, Reply, Section, Tone
from rollout.decisions import current_decisions
from rollout.gates import (
    GateDate,
    Readiness,
    gate_date,
    gate_ids,
    next_gate,
    readiness,
    reports_due,
    wave_controls,
)
from rollout.plan import Confidence
from rollout.status import Rollout, TaskView
from storage.ports import MoveRequest, RecordOutcome, RecordResult

__all__ = ["decide", "gate", "history", "move", "own_wave", "wave", "wave_arg"]

_COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def wave_arg(ctx: CommandContext, word: str) -> str:
    wave = match_wave(word, ctx.graph.plan)
    if wave is None:
        waves = list(ctx.graph.plan.waves)
        hint = suggest(word, waves)
        raise UserError(
            t("error.unknown_wave", word=word, valid=", ".join(waves)),
            hint=t("hint.did_you_mean", options=" / ".join(hint)) if hint else "",
        )
    return wave


def own_wave(rollout: Rollout, actor: Actor) -> str | None:
    """The one wave everything ``actor`` answers for lies in (the waves they manage and those
    of their municipalities), or None when that is no wave or several."""
    codes = actor.coordinates | actor.municipalities
    waves = {m.wave for code, m in rollout.municipalities.items() if code in codes} | actor.manages
    return next(iter(waves)) if len(waves) == 1 else None


def gate(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Days left to a gate and who is not ready: `gate KP-3 P2`; once the gate is past, its
    outcome: who was decided and how, who was not."""
    rollout = load_rollout(ctx)
    command = " ".join(["gate", *args])
    args, page = split_page(args)
    args, refs = split_codes(args, ctx.graph.plan)
    if not args:
        raise UserError(t("error.missing_gate"), hint=t("usage.gate", gates=", ".join(gate_ids(rollout))))
    gate_id = match_gate(args[0], ctx.graph.plan)
    wave = wave_arg(ctx, args[1]) if len(args) > 1 else inv.channel_wave or own_wave(rollout, inv.actor)
    if wave is None:
        raise UserError(t("error.missing_wave", gate=gate_id), hint=t("usage.gate", gates=gate_id))
    found = gate_date(rollout, gate_id, wave)
    if found is None:
        return Reply(t("gate.no_date", gate=gate_id, wave=wave), tone=Tone.WARNING)
    countdown = ctx.graph.calendar.countdown(ctx.today, found.day)
    decisions = ctx.store.gate_decisions(wave=wave, gate=gate_id)
    standing = {d.municipality: d for d in current_decisions(decisions).values()}
    # Past the gate, who was in the wave then: its members now and those a decision there
    # moved out; before it, the members now.
    members = sorted(
        {
            m
            for m in rollout.municipalities.values()
            if m.wave == wave or (countdown.passed and m.code in standing)
        },
        key=lambda m: m.name,
    )
    if countdown.passed:
        headline = t(
            "gate.passed", gate=gate_id, wave=wave, day=found.day.isoformat(), days=-countdown.calendar_days
        )
        then = rollout_on(ctx, rollout, found.day, wave, members)
        on_the_day = [readiness(then, then.municipalities[m.code], found, found.day) for m in members]
        on_the_day = _missing_any(on_the_day, refs)
        sections = outcome_sections(
            rollout, on_the_day, standing, _conflict_lines(found), page=page, command=_base(command)
        )
        sections.append(_missing_by_task(rollout, on_the_day, wave, gate_id, page, command))
        at_risk = False
    else:
        headline = t(
            "gate.headline",
            gate=gate_id,
            wave=wave,
            day=found.day.isoformat(),
            days=countdown.calendar_days,
            working=countdown.working_days,
        )
        results = _missing_any([readiness(rollout, m, found, ctx.today) for m in members], refs)
        sections, at_risk = _readiness_sections(
            rollout, _conflict_lines(found), results, page, _base(command)
        )
        sections.append(_missing_by_task(rollout, results, wave, gate_id, page, command))
    runbook = _runbook_due(rollout, wave, found.day, ctx.today)
    if runbook:
        sections.append(
            task_section(
                ctx, rollout, runbook, inv.actor, title=t("gate.runbook_title", gate=gate_id, wave=wave)
            )
        )
    controls = wave_controls(rollout, [m for m in members if m.wave == wave], gate=gate_id)
    if controls:
        sections.append(
            Section(
                title=t("gate.controls_title"),
                lines=tuple(
                    t(
                        "gate.control_line",
                        id=c.control_id,
                        question=c.question,
                        done=c.done,
                        total=c.total,
                        mark="✓" if not c.open else "✗",
                    )
                    + (t("gate.control_inferred") if c.confidence == Confidence.GUESS else "")
                    for c in controls
                ),
            )
        )
    questions = question_lines(ctx.graph.plan, ctx.graph.plan.tracked, at=gate_id)
    if questions:
        sections.append(Section(title=t("notes.questions_title"), lines=tuple(questions)))
    sections += decision_sections(ctx, rollout, wave, gate_id, decisions, page=page, command=_base(command))
    return Reply(headline, tuple(sections), tone=Tone.WARNING if at_risk else Tone.INFO)


def _conflict_lines(found: GateDate) -> list[str]:
    if not found.conflict:
        return []
    return [
        t(
            "gate.conflict",
            parts=", ".join(f"{d}: {day.isoformat()}" for d, day in sorted(found.by_diagram.items())),
        )
    ]


def _base(command: str) -> str:
    """The command without its page word, for the "Show more" button to add the next one."""
    return " ".join(split_page(command.split())[0])


def _missing_any(results: list[Readiness], refs: frozenset[str]) -> list[Readiness]:
    """With tasks named (`gate KP-3 K91 A/TS102`), only the municipalities missing one."""
    if not refs:
        return results
    return [r for r in results if any(v.key.ref in refs for v in r.missing)]


def _missing_by_task(
    rollout: Rollout, results: list[Readiness], wave: str, gate_id: str, page: int, command: str
) -> Section:
    """The required tasks not finished, by task: in how many municipalities, and which."""
    by_ref: dict[str, list[TaskView]] = {}
    for r in results:
        for view in r.missing:
            by_ref.setdefault(view.key.ref, []).append(view)
    rows = sorted(by_ref.values(), key=lambda vs: (-len(vs), vs[0].key.ref))
    shown, hidden = page_of(rows, page, MUNICIPALITY_LIMIT)
    lines = tuple(
        t(
            "gate.missing_line",
            ref=vs[0].key.ref,
            title=vs[0].task.title_da,
            count=len(vs),
            total=len(results),
            names=" — " + names_text(rollout, [v.key for v in vs]),
        )
        for vs in shown
    )
    more = Action(t("button.more", count=hidden), f"{_base(command)} page:{page + 1}") if hidden else None
    return Section(
        title=t("gate.missing_title", gate=gate_id, wave=wave), lines=lines, hidden=hidden, more=more
    )


def _readiness_sections(
    rollout: Rollout, conflict: list[str], results: list[Readiness], page: int = 1, command: str = ""
) -> tuple[list[Section], bool]:
    """Before the gate: how many are ready, who is not, who is at risk."""
    not_ready = [r for r in results if not r.ready]
    at_risk = [r for r in not_ready if r.at_risk]
    lines = [
        t(
            "gate.summary",
            ready=len(results) - len(not_ready),
            total=len(results),
            not_ready=len(not_ready),
            at_risk=len(at_risk),
        ),
        *conflict,
    ]
    sections = [Section(lines=tuple(lines))]
    if not_ready:
        not_ready.sort(key=lambda r: (not r.at_risk, -len(r.missing), r.municipality.name))
        detail = []
        shown, hidden = page_of(not_ready, page, MUNICIPALITY_LIMIT)
        for r in shown:
            risk = t("gate.risk", chain=r.chain_days) if r.at_risk else ""
            detail.append(
                t(
                    "gate.not_ready_line",
                    name=r.municipality.name,
                    count=len(r.missing),
                    missing=missing_refs(rollout, r),
                    risk=risk,
                )
            )
        more = (
            Action(t("button.more", count=hidden), f"{command} page:{page + 1}")
            if hidden and command
            else None
        )
        sections.append(
            Section(title=t("gate.not_ready_title"), lines=tuple(detail), hidden=hidden, more=more)
        )
    return sections, bool(at_risk)


def _runbook_due(rollout: Rollout, wave: str, gate_day: date, today: date) -> list[TaskView]:
    """The wave's open runbook tasks due by the gate, most urgent first."""
    views = rollout.views(rollout.wave_keys([wave]), today)
    return sorted(
        (v for v in views if not v.finished and v.deadline is not None and v.deadline.day <= gate_day),
        key=TaskView.urgency,
    )


def wave(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """The waves, their municipalities and gate dates: `wave`, `wave P2`."""
    rollout = load_rollout(ctx)
    waves = [wave_arg(ctx, args[0])] if args else list(ctx.graph.plan.waves)
    sections = []
    for wave_id in waves:
        plan_wave = ctx.graph.plan.waves[wave_id]
        members = sorted(m.name for m in rollout.municipalities.values() if m.wave == wave_id)
        lines = [t("wave.gates", parts=_gate_dates_text(rollout, wave_id))]
        nxt = next_gate(rollout, wave_id, ctx.today)
        if nxt:
            lines.append(
                t(
                    "wave.next_gate",
                    gate=nxt.gate,
                    day=nxt.day.isoformat(),
                    days=ctx.graph.calendar.working_days_between(ctx.today, nxt.day),
                )
            )
        # One wave asked for: every member (91 names fit one section); else the first 12.
        cut = len(members) if args else 12
        shown = ", ".join(members[:cut]) + (
            t("wave.more_members", count=len(members) - cut, wave=wave_id) if len(members) > cut else ""
        )
        lines.append(t("wave.members", count=len(members), names=shown or "–"))
        reports = reports_due(rollout, wave_id)
        if reports:
            lines.append(
                t("wave.reports", parts="; ".join(f"{r.name} {_dates_text(r.by_diagram)}" for r in reports))
            )
        lines.append(t("wave.next_wave", wave=plan_wave.next or t("wave.none")))
        sections.append(Section(title=f"{wave_id} — {plan_wave.name_da}", lines=tuple(lines)))
    plan = ctx.graph.plan
    # Plan-wide, so shown once however many waves are listed.
    sections.append(Section(title=t("notes.remarks_title"), lines=tuple(remark_lines(plan, plan.tracked))))
    questions = question_lines(plan, plan.tracked)
    if questions:
        sections.append(Section(title=t("notes.questions_title"), lines=tuple(questions)))
    return Reply(t("wave.headline", count=len(waves)), tuple(sections))


def _dates_text(by_diagram: dict[str, date]) -> str:
    """One date when the diagrams agree, else each diagram's date."""
    if len(set(by_diagram.values())) == 1:
        return next(iter(by_diagram.values())).isoformat()
    return "(" + ", ".join(f"{d}: {day.isoformat()}" for d, day in sorted(by_diagram.items())) + ")"


def _gate_dates_text(rollout: Rollout, wave_id: str) -> str:
    parts = []
    for gate_id in gate_ids(rollout):
        found = gate_date(rollout, gate_id, wave_id)
        if found is None:
            continue
        parts.append(f"{gate_id} {_dates_text(found.by_diagram)}")
    return "; ".join(parts) or "–"


_HISTORY_PAGE = 15
_HISTORY_ALL = 1_000_000  # every event of the target: the pages and "N more" must be exact


def history(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Recent changes, newest first, with who, when and from where: `history aarhus`."""
    rollout = load_rollout(ctx)
    words, page = split_page(args)
    municipality = match_municipality(words, rollout.municipalities) if words else None
    events = ctx.store.events(
        municipality=municipality.code if municipality else None,
        wave=municipality.wave if municipality else None,
        limit=_HISTORY_ALL,
    )
    shown = events[_HISTORY_PAGE * (page - 1) : _HISTORY_PAGE * page]
    hidden = max(0, len(events) - _HISTORY_PAGE * page)
    more = None
    if hidden:
        command = " ".join(["history", *([municipality.slug] if municipality else []), f"page:{page + 1}"])
        more = Action(t("button.more", count=hidden), command)
    lines = []
    for e in shown:
        when = local_minute(e.at)
        reason = f" — {e.new.reason}" if e.new.reason else ""
        undo = t("history.undo") if e.compensates else ""
        lines.append(
            t(
                "history.line",
                when=when,
                actor=e.actor,
                source=e.source,
                task=key_label(rollout, e.key),
                old=t(f"status.{e.old.status}"),
                new=t(f"status.{e.new.status}"),
                reason=reason,
                undo=undo,
            )
        )
    sections = [Section(lines=tuple(lines) or (t("history.none"),), hidden=hidden, more=more)]
    if municipality is not None and page == 1:
        moves = ctx.store.wave_moves(municipality.code)
        sections.append(
            Section(
                title=t("history.waves_title"),
                lines=tuple(
                    t(
                        "history.move_line",
                        when=m.at.astimezone(_COPENHAGEN).strftime("%Y-%m-%d"),
                        old=m.from_wave or "–",
                        new=m.to_wave,
                        reason=m.reason,
                        actor=m.actor,
                    )
                    for m in moves
                ),
            )
        )
        decided = [d for d in ctx.store.gate_decisions() if d.municipality == municipality.code]
        if decided:
            sections.append(
                Section(title=t("history.decisions_title"), lines=tuple(decision_lines(rollout, decided)))
            )
        edits = ctx.store.roster_changes(municipality.code)
        if edits:
            sections.append(
                Section(
                    title=t("history.roster_title"),
                    lines=tuple(
                        t(
                            "history.roster_line",
                            when=e.at.astimezone(_COPENHAGEN).strftime("%Y-%m-%d"),
                            field=e.field,
                            old=e.old or "–",
                            new=e.new or "–",
                            actor=e.actor,
                            source=e.source,
                        )
                        for e in edits[-10:]
                    ),
                )
            )
    target = municipality.name if municipality else t("label.all_waves")
    return Reply(t("history.headline", target=target), tuple(sections))


def _require_admin(inv: Invocation) -> None:
    if not inv.actor.is_admin:
        raise UserError(t("error.admin_only"), hint=t("hint.admin_only"))


def _positional(
    args: list[str],
    count: int,
    usage_error: str,
    verb: str,
) -> tuple[list[str], str]:
    """``count`` fixed words (the one before last may be a municipality of several words when a
    marker ends them) and the free text: after a marker, or every word after the fixed ones."""
    split = split_reason(args)
    words = list(split.words) if split.marked else list(args[:count])
    if len(words) < count:
        raise UserError(usage_error, hint=t(f"usage.{verb}"))
    free = split.reason if split.reason is not None else " ".join(args[count:])
    return words, free


def move(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Admin: move a municipality to another wave, with a reason: `move vejen K91 -- not ready`."""
    _require_admin(inv)
    words, reason = _positional(args, 2, t("error.move_usage"), "move")
    rollout = load_rollout(ctx)
    municipality = match_municipality(words[:-1], rollout.municipalities)
    to_wave = wave_arg(ctx, words[-1])
    reason = check_text(reason, limit=MAX_REASON, what=t("label.reason"))
    if to_wave == municipality.wave:
        return Reply(t("move.same", name=municipality.name, wave=to_wave))
    result = ctx.store.record(
        ctx.command(inv, "move"),
        moves=[MoveRequest(municipality.code, to_wave, reason or t("move.no_reason"), municipality.wave)],
    )
    if result.outcome == RecordOutcome.CONFLICT:
        return _moved_since(municipality.name, municipality.wave, result)
    return Reply(
        t("move.done", name=municipality.name, old=municipality.wave, new=to_wave),
        tone=Tone.SUCCESS,
        changed=True,
        sections=(Section(lines=(t("move.kept"),)),),
    )


def _moved_since(name: str, wave_id: str, result: RecordResult) -> Reply:
    """Someone moved the municipality between reading and writing: nothing was recorded."""
    conflict = result.conflict
    assert conflict is not None
    return Reply(
        t(
            "move.conflict",
            name=name,
            wave=wave_id,
            actor=conflict.actor,
            at=local_minute(conflict.at),
        ),
        tone=Tone.WARNING,
    )
