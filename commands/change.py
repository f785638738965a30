"""Verbs that change task state: done, start, block, skip, undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commands.context import CommandContext, Invocation
from commands.messages import t
from commands.parse import (
    MAX_REASON,
    UserError,
    check_text,
    find_municipality,
    match_municipality,
    match_tasks,
)
from commands.permissions import can_change
from commands.present import key_label, load_rollout, owner_name
from commands.reply import Action, Reply, Section, Tone
from commands.runbook import check_wave_key, wave_task_keys
from rollout.model import FINISHED, SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from rollout.plan import WAVE_SCOPES, Scope, TaskDef
from rollout.status import Rollout
from storage.ports import ChangeOutcome

__all__ = ["block", "done", "skip", "start", "undo"]


@dataclass(frozen=True)
class _Targets:
    keys: list[TaskKey]
    rest: list[str]  # words after the code and municipalities (a reason)


def _split_key_value(word: str) -> TaskKey | None:
    try:
        return TaskKey.from_value(word)
    except ValueError:
        return None


def _municipalities_in(words: Sequence[str], rollout: Rollout) -> tuple[list[Municipality], list[str]]:
    """Leading words that name municipalities; the rest is returned untouched."""
    found: list[Municipality] = []
    index = 0
    while index < len(words):
        municipality = find_municipality([words[index].rstrip(",")], rollout.municipalities)
        if municipality is None:
            break
        found.append(municipality)
        index += 1
    return found, list(words[index:])


def _resolve(ctx: CommandContext, inv: Invocation, rollout: Rollout, args: Sequence[str],
             verb: str, *, wants_reason: bool) -> _Targets:
    if not args:
        raise UserError(t("error.missing_code", verb=verb), hint=t(f"usage.{verb}"))
    direct = _split_key_value(args[0])
    if direct is not None:
        if direct.ref not in {task.ref for task in ctx.graph.plan.tracked_tasks()}:
            raise UserError(t("error.unknown_code", word=direct.ref,
                              diagrams=", ".join(ctx.graph.plan.tracked)))
        if direct.municipality != SYSTEM_WIDE and direct.municipality not in rollout.municipalities:
            raise UserError(t("error.unknown_municipality", word=str(direct.municipality)))
        check_wave_key(rollout, direct)
        return _Targets([direct], list(args[1:]))
    tasks = match_tasks(args[0], ctx.graph.plan)
    if len(tasks) == 1 and tasks[0].scope in WAVE_SCOPES:  # the runbook: the word is a wave
        return _Targets(*wave_task_keys(inv, rollout, tasks[0], args[1:], wants_reason=wants_reason))
    municipalities, rest = _municipalities_in(args[1:], rollout)
    if not wants_reason and rest:
        # Either a municipality whose name has several words, or a helpful error.
        municipalities.append(match_municipality(rest, rollout.municipalities))
        rest = []
    task = _one_task(tasks, municipalities, rollout, args[0])
    if task.scope == Scope.SYSTEM:
        return _Targets([TaskKey(task.ref)], rest)
    if not municipalities:
        municipalities = _default_municipalities(inv, rollout)
    keys: list[TaskKey] = []
    for municipality in municipalities:
        if task.scope == Scope.CONNECTION:
            keys.extend(TaskKey(task.ref, municipality.code, c) for c in municipality.connections)
        else:
            keys.append(TaskKey(task.ref, municipality.code))
    return _Targets(keys, rest)


def _default_municipalities(inv: Invocation, rollout: Rollout) -> list[Municipality]:
    own = inv.actor.coordinates | inv.actor.municipalities
    if len(own) == 1:
        return [rollout.municipalities[next(iter(own))]]
    raise UserError(t("error.which_municipality"), hint=t("hint.which_municipality"))


def _one_task(tasks: list[TaskDef], municipalities: list[Municipality], rollout: Rollout,
              word: str) -> TaskDef:
    """Pick the task a bare code means: the only one, or the only one still open for them."""
    if len(tasks) == 1:
        return tasks[0]
    open_tasks = [task for task in tasks if municipalities and any(
        rollout.state(key).status not in FINISHED
        for m in municipalities for key in _keys_for(task, m))]
    if len(open_tasks) == 1:
        return open_tasks[0]
    options = ", ".join(f"`{task.ref}` ({task.title_da})" for task in (open_tasks or tasks))
    raise UserError(t("error.ambiguous_code", word=word.upper(), options=options))


def _keys_for(task: TaskDef, municipality: Municipality) -> list[TaskKey]:
    if task.scope == Scope.SYSTEM:
        return [TaskKey(task.ref)]
    if task.scope == Scope.WAVE:
        return [TaskKey.for_wave(task.ref, municipality.wave)]
    if task.scope == Scope.CONNECTION:
        return [TaskKey(task.ref, municipality.code, c) for c in municipality.connections]
    return [TaskKey(task.ref, municipality.code)]


def _set_status(ctx: CommandContext, inv: Invocation, args: Sequence[str], verb: str,
                status: Status, *, wants_reason: bool) -> Reply:
    rollout = load_rollout(ctx)
    targets = _resolve(ctx, inv, rollout, args, verb, wants_reason=wants_reason)
    reason = check_text(" ".join(targets.rest), limit=MAX_REASON, what=t("label.reason"))
    if wants_reason and not reason:
        raise UserError(t("error.missing_reason", verb=verb), hint=t(f"usage.{verb}"))
    refused = [k for k in targets.keys
               if not can_change(inv.actor, ctx.graph.task(k.ref), k, rollout.municipalities)]
    if refused:
        raise UserError(t("error.not_allowed", task=key_label(rollout, refused[0]),
                          owner=owner_name(ctx, ctx.graph.task(refused[0].ref).role)),
                        hint=t("hint.not_allowed"))
    lines: list[str] = []
    changed_keys: list[TaskKey] = []
    for key in targets.keys:
        result = ctx.store.change_task(key, TaskState(status, reason),
                                       default=rollout.initial_state(key),
                                       change=ctx.change(inv))
        label = key_label(rollout, key)
        if result.outcome == ChangeOutcome.UNCHANGED:
            lines.append(t("change.unchanged", task=label, status=t(f"status.{status}")))
            continue
        changed_keys.append(key)
        lines.append(t("change.done", task=label, old=t(f"status.{result.before.status}"),
                       new=t(f"status.{status}")))
        if status in FINISHED and rollout.waits_on(key):
            lines.append(t("change.out_of_order",
                           refs=", ".join(k.ref for k in rollout.waits_on(key)[:4])))
    return _change_reply(ctx, inv, targets.keys, changed_keys, lines, status)


def _change_reply(ctx: CommandContext, inv: Invocation, keys: list[TaskKey],
                  changed: list[TaskKey], lines: list[str], status: Status) -> Reply:
    title = ctx.graph.task(keys[0].ref)
    headline = (t("change.headline", code=keys[0].ref, title=title.title_da, count=len(changed))
                if changed else t("change.nothing", code=keys[0].ref))
    sections = [Section(lines=tuple(lines))]
    if changed and status in FINISHED:
        after = load_rollout(ctx)
        unblocked = sorted({s for k in changed for s in after.unblocked_by(k)})
        if unblocked:
            sections.append(Section(
                title=t("change.unblocked", count=len(unblocked)),
                lines=tuple(f"{key_label(after, k)} — {ctx.graph.task(k.ref).title_da} "
                            f"({owner_name(ctx, ctx.graph.task(k.ref).role)})"
                            for k in unblocked[:8]),
                hidden=max(0, len(unblocked) - 8)))
        else:
            sections.append(Section(lines=(t("change.nothing_unblocked"),)))
    actions = (Action(t("button.undo"), "undo"),) if changed else ()
    return Reply(headline, tuple(sections), tone=Tone.SUCCESS if changed else Tone.INFO,
                 actions=actions, changed=bool(changed))


def done(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task done for one or more municipalities: `done TS213 aarhus randers`."""
    return _set_status(ctx, inv, args, "done", Status.DONE, wants_reason=False)


def start(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task as in progress: `start A/TS110 aarhus`."""
    return _set_status(ctx, inv, args, "start", Status.IN_PROGRESS, wants_reason=False)


def block(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task blocked, with the reason: `block TS110 aarhus waiting for the supplier`."""
    return _set_status(ctx, inv, args, "block", Status.BLOCKED, wants_reason=True)


def skip(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task not applicable, with the reason: `skip TS101 aarhus done before the project`."""
    return _set_status(ctx, inv, args, "skip", Status.NOT_APPLICABLE, wants_reason=True)


def undo(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Undo your last change of a task; each `undo` goes one change further back."""
    if args:
        raise UserError(t("error.undo_args"), hint=t("usage.undo"))
    event = ctx.store.last_undoable(inv.actor.handle)
    rollout = load_rollout(ctx)
    if event is None:
        return Reply(t("undo.nothing"), tone=Tone.INFO)
    result = ctx.store.change_task(event.key, event.old, default=event.new, change=ctx.change(inv),
                                   expected=event.new, compensates=event.id)
    label = key_label(rollout, event.key)
    if result.outcome != ChangeOutcome.CHANGED:
        return Reply(t("undo.conflict", task=label, now=t(f"status.{result.before.status}")),
                     tone=Tone.WARNING)
    return Reply(t("undo.done", task=label, new=t(f"status.{event.new.status}"),
                   old=t(f"status.{event.old.status}")), tone=Tone.SUCCESS, changed=True)
