"""`undo`: reverse the asker's last command whole, if they may still and nobody changed it since."""

from __future__ import annotations

from commands.context import CommandContext, Invocation
from commands.messages import t
from commands.parse import UserError
from commands.permissions import can_change
from commands.present import key_label, load_rollout, local_minute, owner_name
from commands.reply import Reply, Section, Tone
from rollout.status import Rollout
from storage.ports import Conflict, RecordedCommand, UndoOutcome

__all__ = ["undo_last"]


def _name(rollout: Rollout, code: int) -> str:
    municipality = rollout.municipalities.get(code)
    return municipality.name if municipality else str(code)


def _check_rights(ctx: CommandContext, inv: Invocation, rollout: Rollout, target: RecordedCommand) -> None:
    """The asker's rights as they are now, not as they were when the command ran."""
    when = local_minute(target.at)
    if (target.moves or target.decisions) and not inv.actor.is_admin:
        raise UserError(t("error.undo_admin_only", verb=target.verb, when=when), hint=t("hint.admin_only"))
    for event in target.events:
        task = ctx.graph.task(event.key.ref)
        if not can_change(inv.actor, task, event.key, rollout.municipalities):
            raise UserError(
                t(
                    "error.undo_not_allowed",
                    verb=target.verb,
                    when=when,
                    task=key_label(rollout, event.key),
                    owner=owner_name(ctx, task.role),
                ),
                hint=t("hint.not_allowed"),
            )


def _what(rollout: Rollout, conflict: Conflict) -> str:
    if conflict.key is not None:
        return key_label(rollout, conflict.key)
    name = _name(rollout, conflict.municipality or 0)
    if conflict.gate is not None:
        return t("undo.what_gate", gate=conflict.gate, name=name)
    return t("undo.what_wave", name=name)


def _lines(rollout: Rollout, target: RecordedCommand, undo: RecordedCommand) -> list[str]:
    """What the undo recorded, one line per compensation, in the order of the command."""
    back = {e.key: e for e in undo.events}
    lines = [
        t(
            "undo.task",
            task=key_label(rollout, e.key),
            new=t(f"status.{back[e.key].old.status}"),
            old=t(f"status.{back[e.key].new.status}"),
        )
        for e in target.events
    ]
    lines += [
        t(
            "undo.decision",
            gate=d.gate,
            wave=d.wave,
            name=_name(rollout, d.municipality),
            decision=t(f"decision.{d.decision}"),
        )
        for d in target.decisions
    ]
    lines += [
        t("undo.move", name=_name(rollout, m.municipality), new=m.from_wave or "–", old=m.to_wave)
        for m in reversed(undo.moves)
    ]
    return lines


def undo_last(ctx: CommandContext, inv: Invocation) -> Reply:
    """Undo the asker's last command: every task, wave move and gate decision of it."""
    target = ctx.store.last_command(inv.actor.handle)
    if target is None:
        return Reply(t("undo.nothing"), tone=Tone.INFO)
    rollout = load_rollout(ctx)
    _check_rights(ctx, inv, rollout, target)
    result = ctx.store.undo(target, ctx.command(inv, "undo"))
    when = local_minute(target.at)
    if result.outcome == UndoOutcome.ALREADY_UNDONE:
        return Reply(t("undo.already", verb=target.verb, when=when), tone=Tone.INFO)
    if result.outcome == UndoOutcome.CONFLICT:
        conflict = result.conflict
        assert conflict is not None
        return Reply(
            t(
                "undo.conflict",
                verb=target.verb,
                when=when,
                actor=conflict.actor,
                what=_what(rollout, conflict),
                at=local_minute(conflict.at),
                source=conflict.source,
            ),
            tone=Tone.WARNING,
        )
    assert result.undo is not None
    lines = _lines(rollout, target, result.undo)
    return Reply(
        t("undo.headline", verb=target.verb, when=when, count=len(lines)),
        (Section(lines=tuple(lines)),),
        tone=Tone.SUCCESS,
        changed=True,
    )
