"""`decide` at a gate as the source draws it, and the decision lines `gate`, `status`, `history`
show: one standing decision per gate, wave and municipality; a KP-3 no-go moves, a KP-4 no-go
stops, a Gate no-go or a no-go in the last wave escalates."""

from __future__ import annotations

from dataclasses import dataclass

from commands.context import CommandContext, Invocation
from commands.grammar import split_reason
from commands.messages import t
from commands.parse import MAX_REASON, UserError, check_text, match_gate, match_municipality
from commands.present import key_label, load_rollout, local_minute
from commands.reply import Reply, Section, Tone
from rollout.decisions import (
    GO,
    NO_GO,
    WITHDRAWN,
    Escalation,
    NoGo,
    current_decisions,
    no_go_leads_to,
    open_escalations,
    rollback_activities,
    stopped,
)
from rollout.gates import gate_date, next_wave, readiness
from rollout.model import Municipality, TaskKey
from rollout.plan import Scope
from rollout.status import Rollout
from storage.ports import DecisionRequest, GateDecision, MoveRequest, RecordOutcome, RecordResult

__all__ = ["decide", "decision_lines", "escalation_section", "rollback_lines", "verdict_text"]

CONFIRM_WORDS = frozenset({"confirm", "bekræft", "bekraeft"})
_VERDICTS = {
    "go": GO,
    "ja": GO,
    "yes": GO,
    "okay": GO,
    "ok": GO,
    "no-go": NO_GO,
    "nogo": NO_GO,
    "nej": NO_GO,
    "no": NO_GO,
    "stop": NO_GO,
}
MISSING_SHOWN = 8


@dataclass(frozen=True)
class _Asked:
    gate: str
    wave: str
    municipality: Municipality
    decision: str
    note: str
    confirm: bool


def _parse(ctx: CommandContext, rollout: Rollout, args: list[str]) -> _Asked:
    """GATE WAVE MUNICIPALITY VERDICT [confirm] [-- note]; a municipality of several words and
    `confirm` need the marker, so no word of a note is ever read as one of them."""
    from commands.waves import wave_arg  # waves re-exports decide: import late

    split = split_reason(args)
    words = list(split.words) if split.marked else list(args[:4])
    note = split.reason if split.reason is not None else " ".join(args[4:])
    confirm = bool(words) and words[-1].lower() in CONFIRM_WORDS
    if confirm:
        words.pop()
    elif not split.marked and note.split()[:1] and note.split()[0].lower() in CONFIRM_WORDS:
        raise UserError(
            t("error.confirm_needs_marker"),
            hint=t("hint.confirm", command=f"decide {' '.join(args[:4])} confirm -- "),
        )
    if len(words) < 4:
        raise UserError(t("error.decide_usage"), hint=t("usage.decide"))
    verdict = _VERDICTS.get(words[-1].lower().replace("_", "-"))
    if verdict is None:
        raise UserError(t("error.bad_decision", word=words[-1]))
    return _Asked(
        match_gate(words[0], ctx.graph.plan),
        wave_arg(ctx, words[1]),
        match_municipality(words[2:-1], rollout.municipalities),
        verdict,
        check_text(note, limit=MAX_REASON, what=t("label.note")),
        confirm,
    )


def _missing(ctx: CommandContext, rollout: Rollout, asked: _Asked) -> tuple[TaskKey, ...]:
    """The required tasks not finished for the gate (nothing when the plan gives no date)."""
    found = gate_date(rollout, asked.gate, asked.wave)
    if found is None:
        return ()
    return tuple(v.key for v in readiness(rollout, asked.municipality, found, ctx.today).missing)


def _command_text(asked: _Asked, *, confirm: bool) -> str:
    verdict = "go" if asked.decision == GO else "no-go"
    return (
        f"decide {asked.gate} {asked.wave} {asked.municipality.slug} {verdict}"
        + (" confirm" if confirm else "")
        + " -- "
    )


def decide(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Admin: record go or no-go at a gate: `decide KP-3 P2 vejen no-go -- conversion failed`.

    A KP-3 no-go moves the municipality to the next wave (its completed tasks are kept); a KP-4
    no-go stops its go-live; a Gate no-go, or a KP-3 no-go in the last wave, is escalated.
    A decision over a standing one needs a reason; a go with tasks missing needs `confirm`.
    """
    if not inv.actor.is_admin:
        raise UserError(t("error.admin_only"), hint=t("hint.admin_only"))
    rollout = load_rollout(ctx)
    asked = _parse(ctx, rollout, args)
    name = asked.municipality.name
    if asked.municipality.wave != asked.wave:
        raise UserError(t("error.not_in_wave", name=name, wave=asked.wave, actual=asked.municipality.wave))
    where = (asked.gate, asked.wave, asked.municipality.code)
    standing = current_decisions(ctx.store.gate_decisions(wave=asked.wave, gate=asked.gate)).get(where)
    if standing is not None and standing.decision == asked.decision:
        return Reply(
            t(
                "decide.already",
                gate=asked.gate,
                wave=asked.wave,
                name=name,
                decision=verdict_text(standing),
                actor=standing.actor,
                at=local_minute(standing.at),
            ),
            tone=Tone.INFO,
        )
    if standing is not None and not asked.note:
        raise UserError(
            t(
                "error.supersede_needs_reason",
                gate=asked.gate,
                name=name,
                decision=verdict_text(standing),
                actor=standing.actor,
                at=local_minute(standing.at),
            ),
            hint=t("hint.give_reason", command=_command_text(asked, confirm=False)),
        )
    missing = _missing(ctx, rollout, asked) if asked.decision == GO else ()
    if missing and not (asked.confirm and asked.note):
        raise UserError(
            t(
                "error.go_not_ready",
                gate=asked.gate,
                name=name,
                count=len(missing),
                tasks=_task_list(rollout, missing),
            ),
            hint=t("hint.confirm", command=_command_text(asked, confirm=True)),
        )
    return _record(ctx, inv, rollout, asked, standing, missing)


def _record(
    ctx: CommandContext,
    inv: Invocation,
    rollout: Rollout,
    asked: _Asked,
    standing: GateDecision | None,
    missing: tuple[TaskKey, ...],
) -> Reply:
    leads_to = no_go_leads_to(ctx.graph.plan, asked.gate, asked.wave)
    target = next_wave(rollout, asked.wave) if (asked.decision == NO_GO and leads_to == NoGo.MOVE) else None
    moves = (
        [
            MoveRequest(
                asked.municipality.code,
                target,
                t("decide.move_reason", gate=asked.gate, note=asked.note),
                asked.wave,
            )
        ]
        if target is not None
        else []
    )
    # The decision and its move are one transaction: both are recorded, or neither.
    result = ctx.store.record(
        ctx.command(inv, "decide"),
        moves=moves,
        decisions=[
            DecisionRequest(
                asked.gate,
                asked.wave,
                asked.municipality.code,
                asked.decision,
                asked.note,
                standing.id if standing else None,
                tuple(k.as_value() for k in missing),
            )
        ],
    )
    if result.outcome == RecordOutcome.CONFLICT:
        return _conflict(asked, result)
    (decided,) = result.decisions
    lines = []
    if standing is not None:
        lines.append(
            t(
                "decide.supersedes",
                decision=verdict_text(standing),
                actor=standing.actor,
                at=local_minute(standing.at),
            )
        )
    if missing:
        lines.append(t("decide.with_missing", count=len(missing), tasks=_task_list(rollout, missing)))
    lines += _outcome_lines(ctx, rollout, asked, leads_to, target)
    return Reply(
        t(
            "decide.recorded",
            gate=asked.gate,
            wave=asked.wave,
            name=asked.municipality.name,
            decision=verdict_text(decided),
        ),
        (Section(lines=tuple(lines)),) if lines else (),
        tone=Tone.SUCCESS,
        changed=True,
    )


def _outcome_lines(
    ctx: CommandContext, rollout: Rollout, asked: _Asked, leads_to: NoGo, target: str | None
) -> list[str]:
    name, wave = asked.municipality.name, asked.wave
    if asked.decision == GO:
        return [t("decide.go_live_continues", name=name)] if leads_to == NoGo.STOP else []
    if target is not None:
        lines = [t("decide.moved", name=name, old=wave, new=target)]
        found = gate_date(rollout, asked.gate, target)
        if found is not None:
            lines.append(t("decide.redated", gate=asked.gate, wave=target, day=found.day.isoformat()))
        # The plan's roll-back tasks (R/SLET) are owed for the wave it left (rolled_back).
        lines += [
            t(
                "decide.rollback",
                wave=wave,
                name=name,
                code=task.ref,
                slug=asked.municipality.slug,
                title=task.title_da,
            )
            for task in ctx.graph.plan.tracked_tasks()
            if task.scope == Scope.ROLLBACK
        ]
        return lines
    if leads_to == NoGo.STOP:
        open_count = sum(
            1
            for v in rollout.views(rollout.task_keys([asked.municipality], include_system=False), ctx.today)
            if not v.finished
        )
        return [
            t("decide.stopped", name=name, count=open_count),
            t("decide.escalated", wave=wave, gate=asked.gate),
        ]
    if leads_to == NoGo.STEERING:
        return [t("decide.steering", wave=wave, name=name, gate=asked.gate)]
    return [t("decide.escalated", wave=wave, gate=asked.gate)]


def _conflict(asked: _Asked, result: RecordResult) -> Reply:
    conflict = result.conflict
    assert conflict is not None
    if conflict.gate is not None:
        return Reply(
            t(
                "decide.conflict",
                gate=asked.gate,
                name=asked.municipality.name,
                actor=conflict.actor,
                at=local_minute(conflict.at),
            ),
            tone=Tone.WARNING,
        )
    return Reply(
        t(
            "move.conflict",
            name=asked.municipality.name,
            wave=asked.wave,
            actor=conflict.actor,
            at=local_minute(conflict.at),
        ),
        tone=Tone.WARNING,
    )


def _task_list(rollout: Rollout, keys: tuple[TaskKey, ...]) -> str:
    shown = ", ".join(key_label(rollout, k) for k in keys[:MISSING_SHOWN])
    return shown + (f" +{len(keys) - MISSING_SHOWN}" if len(keys) > MISSING_SHOWN else "")


# -- what other verbs show -------------------------------------------------------------------


def verdict_text(decision: GateDecision) -> str:
    """GO / NO-GO, in the words of the gate where the source has its own (KP-4: Okay / Stop)."""
    if decision.gate == "KP-4" and decision.decision in (GO, NO_GO):
        return t(f"decision.kp4_{decision.decision}")
    return t(f"decision.{decision.decision}")


def decision_lines(rollout: Rollout, decisions: list[GateDecision]) -> list[str]:
    """Every decision with who, when and outcome; those no longer standing marked."""
    standing = {d.id for d in current_decisions(decisions).values()}
    withdrawn = {d.supersedes for d in decisions if d.decision == WITHDRAWN}
    lines = []
    for d in decisions:
        missing = tuple(TaskKey.from_value(v) for v in d.missing)
        mark = (
            ""
            if d.id in standing or d.decision == WITHDRAWN
            else t("decision.withdrawn_mark")
            if d.id in withdrawn
            else t("decision.superseded")
        )
        lines.append(
            t(
                "decision.line",
                gate=d.gate,
                wave=d.wave,
                decision=verdict_text(d),
                actor=d.actor,
                source=d.source,
                at=local_minute(d.at),
                note=f" — {d.note}" if d.note else "",
                superseded=mark,
                missing=t("decision.missing", count=len(missing), tasks=_task_list(rollout, missing))
                if missing
                else "",
            )
        )
    return lines


def escalation_section(
    ctx: CommandContext,
    rollout: Rollout,
    wave: str | None,
    gate: str | None = None,
    municipality: int | None = None,
) -> Section | None:
    """Open escalations (stops, Gate no-gos, no-gos with no next wave): of the wave (None:
    every wave), at the gate, of the municipality."""
    decisions = ctx.store.gate_decisions(wave=wave, gate=gate)
    found = [
        e
        for e in open_escalations(ctx.graph.plan, decisions, wave=wave, gate=gate)
        if municipality in (None, e.decision.municipality)
    ]
    if not found:
        return None
    halted = stopped(ctx.graph.plan, decisions)
    lines = [escalation_line(rollout, e, on_hold=e.decision.municipality in halted)[1] for e in found]
    return Section(title=t("escalation.title"), lines=tuple(lines))


def escalation_line(rollout: Rollout, escalation: Escalation, *, on_hold: bool = False) -> tuple[str, str]:
    """The municipality's name and the line that says what waits on whom (chat and notices)."""
    d = escalation.decision
    found_in = rollout.municipalities.get(d.municipality)
    name = found_in.name if found_in else str(d.municipality)
    line = t(
        f"escalation.{escalation.leads_to}",
        gate=d.gate,
        wave=d.wave,
        name=name,
        actor=d.actor,
        at=local_minute(d.at),
        note=f" — {d.note}" if d.note else "",
        stopped=t("escalation.on_hold") if on_hold else "",
    )
    return name, line


def rollback_lines(ctx: CommandContext, rollout: Rollout, wave: str) -> list[str]:
    """The roll-back activity due in the wave for each municipality a KP-3 no-go moved out."""
    decisions = ctx.store.gate_decisions(wave=wave)
    return [
        t(
            "rollback.line",
            activity=r.activity,
            wave=r.wave_left,
            name=r.municipality.name,
            new=r.municipality.wave,
            gate=r.decision.gate,
        )
        for r in rollback_activities(ctx.graph.plan, decisions, rollout.municipalities, wave=wave)
    ]
