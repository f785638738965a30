"""The runbook in chat: which instances a change verb means (`done R/LUK P2`, the wave's task;
`done R/SLET vejen`, the roll-back task of a municipality a no-go moved out of its wave), the
wave's runbook line of `status`, and `show runbook`."""

from __future__ import annotations

from collections.abc import Sequence

from commands.context import CommandContext, Invocation
from commands.messages import t
from commands.parse import UserError, find_municipality, match_municipality, match_wave, suggest
from commands.present import owner_name
from commands.reply import Reply, Section
from rollout.model import SYSTEM_WIDE, TaskKey
from rollout.plan import WAVE_SCOPES, Scope, TaskDef
from rollout.status import Rollout

__all__ = ["check_wave_key", "runbook_listing", "runbook_status_line", "wave_task_keys"]


def wave_task_keys(
    inv: Invocation, rollout: Rollout, task: TaskDef, words: Sequence[str], *, wants_reason: bool
) -> tuple[list[TaskKey], list[str]]:
    """The instances of a runbook task the words name, and the words left (a reason)."""
    if task.scope == Scope.ROLLBACK:
        return _rollback_keys(rollout, task, words, wants_reason=wants_reason)
    plan = rollout.graph.plan
    wave = match_wave(words[0], plan) if words else None
    rest = list(words[1:]) if wave else list(words)
    if wave is None and (not words or wants_reason):
        wave = inv.channel_wave  # the channel's wave; every word is then the reason
    if wave is None:
        word = words[0] if words else ""
        hint = suggest(word, plan.waves) if word else []
        raise UserError(
            t("error.which_wave", code=task.ref, waves=", ".join(plan.waves)),
            hint=t("hint.did_you_mean", options=" / ".join(hint)) if hint else "",
        )
    if rest and not wants_reason:
        raise UserError(t("error.wave_task_words", code=task.ref, wave=wave, words=" ".join(rest)))
    return [TaskKey.for_wave(task.ref, wave)], rest


def _rollback_keys(
    rollout: Rollout, task: TaskDef, words: Sequence[str], *, wants_reason: bool
) -> tuple[list[TaskKey], list[str]]:
    """`done R/SLET vejen`: one instance per wave a no-go moved the municipality out of."""
    if not words:
        raise UserError(t("error.rollback_which", code=task.ref))
    municipality = find_municipality([words[0].rstrip(",")], rollout.municipalities)
    rest = list(words[1:])
    if municipality is None:
        if wants_reason:
            municipality = match_municipality([words[0]], rollout.municipalities)
        else:
            municipality, rest = match_municipality(list(words), rollout.municipalities), []
    if rest and not wants_reason:
        raise UserError(
            t("error.wave_task_words", code=task.ref, wave=municipality.name, words=" ".join(rest))
        )
    left = sorted(w for w, codes in rollout.moved_out.items() if municipality.code in codes)
    if not left:
        raise UserError(t("error.no_rollback", code=task.ref, name=municipality.name))
    return [TaskKey.for_wave(task.ref, w, municipality.code) for w in left], rest


def check_wave_key(rollout: Rollout, key: TaskKey) -> None:
    """A typed or clicked ``R/LUK@0:P2`` must name a wave (and a roll-back a municipality that
    left that wave); UserError otherwise."""
    task = rollout.graph.task(key.ref)
    waves = rollout.graph.plan.waves
    if key.connection not in waves:
        raise UserError(t("error.which_wave", code=task.ref, waves=", ".join(waves)))
    if task.scope == Scope.WAVE and key.municipality != SYSTEM_WIDE:
        raise UserError(t("error.which_wave", code=task.ref, waves=", ".join(waves)))
    if task.scope == Scope.ROLLBACK and key.municipality not in rollout.moved_out.get(
        key.connection, frozenset()
    ):
        municipality = rollout.municipalities.get(key.municipality)
        raise UserError(
            t(
                "error.no_rollback",
                code=task.ref,
                name=municipality.name if municipality else str(key.municipality),
            )
        )


def runbook_status_line(ctx: CommandContext, rollout: Rollout, wave: str) -> str:
    """The wave's own go-live runbook (R/…), counted apart from the municipalities' tasks."""
    counts = rollout.wave_counts(wave, ctx.today)
    ready = rollout.next_tasks(rollout.wave_keys([wave]), ctx.today)
    upcoming = (
        t(
            "status.runbook_next",
            parts=", ".join(
                f"{v.key.ref} ({owner_name(ctx, v.task.role)}"
                + (f", {v.deadline.day.isoformat()})" if v.deadline else ")")
                for v in ready[:3]
            ),
        )
        if ready
        else ""
    )
    return (
        t(
            "status.runbook",
            wave=wave,
            done=counts.done,
            total=counts.total,
            late=counts.late,
            blocked=counts.blocked,
        )
        + upcoming
    )


def runbook_listing(ctx: CommandContext) -> Reply:
    """`show runbook`: the go-live tasks done once per wave, in plan order, with their owner."""
    lines = []
    for task in ctx.graph.plan.tracked_tasks():
        if task.scope not in WAVE_SCOPES:
            continue
        opens = t("show.runbook_opens", gate=task.opens_after) if task.opens_after else ""
        lines.append(
            t(
                "show.runbook_line",
                ref=task.ref,
                title=task.title_da,
                owner=owner_name(ctx, task.role),
                scope=t(f"scope.{task.scope}"),
                opens=opens,
            )
        )
    if not lines:
        return Reply(t("show.runbook_none"))
    return Reply(t("show.runbook_headline", count=len(lines)), (Section(lines=tuple(lines)),))
