"""`roster set WAVE MUNICIPALITY…`: an admin puts several municipalities in a wave at once (the
wave moves of `move`, recorded as one command: all of them or none)."""

from __future__ import annotations

from commands.context import CommandContext, Invocation
from commands.grammar import leading_municipalities, split_reason
from commands.messages import t
from commands.parse import MAX_REASON, UserError, check_text, empty_roster, match_municipality
from commands.present import load_rollout
from commands.reply import Reply, Section, Tone
from commands.waves import wave_arg
from storage.ports import MoveRequest, RecordOutcome

__all__ = ["roster"]


def roster(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Admin: put municipalities in a wave: `roster set P2 aarhus randers`."""
    if not inv.actor.is_admin:
        raise UserError(t("error.admin_only"), hint=t("hint.admin_only"))
    split = split_reason(args)
    words = list(split.words)
    if len(words) < 3 or words[0].lower() != "set":
        raise UserError(t("error.roster_usage"), hint=f"`{t('usage.roster')}`")
    wave = wave_arg(ctx, words[1])
    rollout = load_rollout(ctx)
    if not rollout.municipalities:
        raise empty_roster(words[2])
    named, rest = leading_municipalities(words[2:], rollout.municipalities)
    if rest:
        match_municipality(rest, rollout.municipalities)  # "did you mean", or a name of several words
    chosen = list({m.code: m for m, _ in named}.values())
    reason = check_text(split.reason or "", limit=MAX_REASON, what=t("label.reason"))
    moves = [
        MoveRequest(m.code, wave, reason or t("roster.reason", wave=wave), m.wave)
        for m in chosen
        if m.wave != wave
    ]
    already = [m.name for m in chosen if m.wave == wave]
    lines = (t("roster.already", wave=wave, names=", ".join(already)),) if already else ()
    said = (t("roster.reason_line", reason=reason),) if reason else ()
    if not moves:
        return Reply(t("roster.nothing", wave=wave), (Section(lines=lines),))
    result = ctx.store.record(ctx.command(inv, "roster"), moves=moves)
    if result.outcome == RecordOutcome.CONFLICT:
        return Reply(t("roster.conflict"), tone=Tone.WARNING)
    moved = [f"{m.name} ({m.wave} → {wave})" for m in chosen if m.wave != wave]
    return Reply(
        t("roster.done", wave=wave, count=len(moves)),
        (Section(lines=(", ".join(moved), *said, *lines, t("move.kept"))),),
        tone=Tone.SUCCESS,
        changed=True,
    )
