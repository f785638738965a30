"""Verbs that change task state: done, start, block, skip, reopen, undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commands.context import CommandContext, Invocation
from commands.grammar import (
    ambiguous_reading,
    has_marker,
    leading_municipalities,
    not_a_target,
    split_reason,
    unique,
)
from commands.messages import t
from commands.parse import (
    MAX_REASON,
    UserError,
    check_text,
    match_municipality,
    match_tasks,
)
from commands.permissions import can_change
from commands.present import key_label, load_rollout, local_minute, owner_name, state_text
from commands.reply import Action, Reply, Section, Tone
from commands.runbook import check_wave_key, wave_task_keys
from commands.undoing import undo_last
from rollout.model import FINISHED, SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from rollout.plan import WAVE_SCOPES, Scope, TaskDef
from rollout.status import Rollout
from storage.ports import ChangeOutcome, Conflict, RecordOutcome, TaskChange

__all__ = ["block", "done", "reopen", "skip", "start", "undo"]


@dataclass(frozen=True)
class _Targets:
    keys: list[TaskKey]
    reason: str  # the free text after the targets ("" when none was given)


def _split_key_value(word: str) -> TaskKey | None:
    try:
        return TaskKey.from_value(word)
    except ValueError:
        return None


def _check_instance(ctx: CommandContext, rollout: Rollout, key: TaskKey) -> None:
    """The key form names a task instance the plan has, or a UserError saying which exist."""
    tracked = {task.ref: task for task in ctx.graph.plan.tracked_tasks()}
    task = tracked.get(key.ref)
    if task is None:
        raise UserError(t("error.unknown_code", word=key.ref, diagrams=", ".join(ctx.graph.plan.tracked)))
    if task.scope in WAVE_SCOPES:  # a runbook step: the key names its wave
        check_wave_key(rollout, key)
        return
    municipality = rollout.municipalities.get(key.municipality)
    if task.scope == Scope.SYSTEM:
        valid = key.municipality == SYSTEM_WIDE and not key.connection
        example = TaskKey(task.ref).as_value()
    elif municipality is None:
        valid, example = False, t("hint.key_municipality")
    elif task.scope == Scope.CONNECTION:
        valid = key.connection in municipality.connections
        example = ", ".join(
            TaskKey(task.ref, municipality.code, c).as_value() for c in municipality.connections
        )
    else:
        valid = not key.connection
        example = TaskKey(task.ref, municipality.code).as_value()
    if not valid:
        raise UserError(
            t("error.no_such_instance", key=key.as_value(), scope=t(f"scope.{task.scope}")),
            hint=t("hint.key_forms", example=example),
        )


def _read_targets(
    words: Sequence[str], rollout: Rollout, verb: str, code: str, *, wants_reason: bool
) -> tuple[list[Municipality], str]:
    """Municipalities and the reason: after a marker, or read naturally when only one way fits."""
    split = split_reason(words)
    if split.marked or not wants_reason:
        named, rest = leading_municipalities(split.words, rollout.municipalities)
        if rest and not split.marked:
            match_municipality(rest, rollout.municipalities)  # a multi-word name, or "did you mean"
        elif rest:
            raise not_a_target(verb, code, named, rest, words[len(split.words) :], rollout.municipalities)
        return unique(m for m, _ in named), split.reason or ""
    named, rest = leading_municipalities(split.words, rollout.municipalities)
    if len(named) > 1 and rest:  # where do the municipalities end and the reason begin?
        raise ambiguous_reading(verb, code, named, rest)
    return unique(m for m, _ in named), " ".join(rest)


def _wave_targets(
    inv: Invocation, rollout: Rollout, task: TaskDef, words: Sequence[str], *, wants_reason: bool
) -> _Targets:
    """A runbook step's wave (or a roll-back's municipality), then a reason after a marker, or
    (unmarked, where a reason is wanted) the words after the wave."""
    split = split_reason(words)
    if split.marked:
        keys, rest = wave_task_keys(inv, rollout, task, split.words, wants_reason=False)
        return _Targets(keys, split.reason or "")
    keys, rest = wave_task_keys(inv, rollout, task, words, wants_reason=wants_reason)
    return _Targets(keys, " ".join(rest))


def _resolve(
    ctx: CommandContext,
    inv: Invocation,
    rollout: Rollout,
    args: Sequence[str],
    verb: str,
    *,
    wants_reason: bool,
) -> _Targets:
    if not args:
        raise UserError(t("error.missing_code", verb=verb), hint=t(f"usage.{verb}"))
    direct = _split_key_value(args[0])
    if direct is not None:
        _check_instance(ctx, rollout, direct)
        # The key names one instance, so the words after it can only be a reason (old buttons
        # appended it without a marker; new ones end with `--`).
        split = split_reason(args[1:2])
        reason = split_reason(args[1:]).reason if split.marked else " ".join(args[1:])
        if reason and not wants_reason and not split.marked:
            raise UserError(t("error.after_key", key=args[0], words=reason), hint=t(f"usage.{verb}"))
        return _Targets([direct], reason or "")
    tasks = match_tasks(args[0], ctx.graph.plan)
    if len(tasks) == 1 and tasks[0].scope in WAVE_SCOPES:  # the runbook: the word is a wave
        return _wave_targets(inv, rollout, tasks[0], args[1:], wants_reason=wants_reason)
    municipalities, reason = _read_targets(args[1:], rollout, verb, args[0], wants_reason=wants_reason)
    task = _one_task(tasks, municipalities, rollout, args[0], reopening=verb == "reopen")
    if task.scope == Scope.SYSTEM:
        if municipalities and wants_reason and not has_marker(args[1:]):
            # No municipality applies to it, so a name here can only be the reason's first word.
            raise UserError(
                t(
                    "error.system_reason",
                    code=task.ref,
                    word=args[1],
                    command=f"{verb} {args[0]} -- {' '.join(args[1:])}",
                ),
                hint=t("hint.reason_forms"),
            )
        return _Targets([TaskKey(task.ref)], reason)
    if not municipalities:
        municipalities = _default_municipalities(inv, rollout)
    keys: list[TaskKey] = []
    for municipality in municipalities:
        keys.extend(_keys_for(task, municipality))
    return _Targets(list(dict.fromkeys(keys)), reason)


def _default_municipalities(inv: Invocation, rollout: Rollout) -> list[Municipality]:
    own = inv.actor.coordinates | inv.actor.municipalities
    if len(own) == 1:
        return [rollout.municipalities[next(iter(own))]]
    raise UserError(t("error.which_municipality"), hint=t("hint.which_municipality"))


def _one_task(
    tasks: list[TaskDef],
    municipalities: list[Municipality],
    rollout: Rollout,
    word: str,
    *,
    reopening: bool = False,
) -> TaskDef:
    """Pick the task a bare code means: the only one, or the only one still open for them
    (for `reopen`: the only one finished for them)."""
    if len(tasks) == 1:
        return tasks[0]
    open_tasks = [
        task
        for task in tasks
        if municipalities
        and any(
            (rollout.state(key).status in FINISHED) == reopening
            for m in municipalities
            for key in _keys_for(task, m)
        )
    ]
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


def _check_direction(rollout: Rollout, keys: list[TaskKey], verb: str, status: Status) -> None:
    """Going back from done or not applicable takes `reopen`; `reopen` takes a finished task."""
    if status in FINISHED:
        return
    states = {key: rollout.recorded_state(key).status for key in keys}
    if verb == "reopen":
        still_open = [key for key, now in states.items() if now not in FINISHED]
        if still_open:
            raise UserError(
                t(
                    "error.reopen_open",
                    task=key_label(rollout, still_open[0]),
                    status=t(f"status.{states[still_open[0]]}"),
                ),
                hint=t("hint.reopen_open"),
            )
        return
    finished = [key for key, now in states.items() if now in FINISHED]
    if finished:
        key = finished[0]
        command = f"reopen {key.as_value()}" if len(keys) == 1 else _reopen_all(rollout, finished)
        raise UserError(
            t(
                "error.finished",
                task=key_label(rollout, key),
                status=t(f"status.{states[key]}"),
                verb=verb,
                command=command,
            ),
            hint=t("hint.finished"),
        )


def _reopen_all(rollout: Rollout, keys: list[TaskKey]) -> str:
    names = dict.fromkeys(
        rollout.municipalities[k.municipality].slug for k in keys if k.municipality in rollout.municipalities
    )
    return " ".join(["reopen", keys[0].ref, *names])


def _set_status(
    ctx: CommandContext,
    inv: Invocation,
    args: Sequence[str],
    verb: str,
    status: Status,
    *,
    wants_reason: bool,
) -> Reply:
    rollout = load_rollout(ctx)
    targets = _resolve(ctx, inv, rollout, args, verb, wants_reason=wants_reason)
    reason = check_text(targets.reason, limit=MAX_REASON, what=t("label.reason"))
    if wants_reason and not reason:
        raise UserError(t("error.missing_reason", verb=verb), hint=t(f"usage.{verb}"))
    refused = [
        k for k in targets.keys if not can_change(inv.actor, ctx.graph.task(k.ref), k, rollout.municipalities)
    ]
    if refused:
        raise UserError(
            t(
                "error.not_allowed",
                task=key_label(rollout, refused[0]),
                owner=owner_name(ctx, ctx.graph.task(refused[0].ref).role),
            ),
            hint=t("hint.not_allowed"),
        )
    _check_direction(rollout, targets.keys, verb, status)
    keys = list(dict.fromkeys(targets.keys))  # a municipality named twice changes once
    new = TaskState(status, reason)
    # Going to an open state was checked against the state read above: if someone else
    # finished the task in between, that is a conflict, not a silent step back.
    result = ctx.store.record(
        ctx.command(inv, verb),
        tasks=[
            TaskChange(
                key,
                new,
                rollout.initial_state(key),
                expected=rollout.recorded_state(key) if status not in FINISHED else None,
            )
            for key in keys
        ],
    )
    if result.outcome == RecordOutcome.CONFLICT and result.conflict is not None:
        raise UserError(_conflict_text(rollout, result.conflict))
    lines: list[str] = [t("change.reason", reason=reason)] if reason else []
    changed_keys: list[TaskKey] = []
    for key, outcome in zip(keys, result.tasks, strict=True):
        label = key_label(rollout, key)
        if outcome.outcome == ChangeOutcome.UNCHANGED:
            lines.append(t("change.unchanged", task=label, status=t(f"status.{status}")))
            continue
        changed_keys.append(key)
        lines.append(
            t("change.done", task=label, old=t(f"status.{outcome.before.status}"), new=t(f"status.{status}"))
        )
        if status in FINISHED and rollout.waits_on(key):
            lines.append(t("change.out_of_order", refs=", ".join(k.ref for k in rollout.waits_on(key)[:4])))
    return _change_reply(ctx, inv, keys, changed_keys, lines, status)


def _conflict_text(rollout: Rollout, conflict: Conflict) -> str:
    """Someone else changed one of the tasks between reading and writing: nothing was recorded."""
    assert conflict.key is not None
    return t(
        "change.conflict",
        task=key_label(rollout, conflict.key),
        actor=conflict.actor,
        at=local_minute(conflict.at),
        source=conflict.source,
    )


def _change_reply(
    ctx: CommandContext,
    inv: Invocation,
    keys: list[TaskKey],
    changed: list[TaskKey],
    lines: list[str],
    status: Status,
) -> Reply:
    title = ctx.graph.task(keys[0].ref)
    headline = (
        t("change.headline", code=keys[0].ref, title=title.title_da, count=len(changed))
        if changed
        else t("change.nothing", code=keys[0].ref)
    )
    sections = [Section(lines=tuple(lines))]
    followers = _followers(ctx, changed)
    if followers:
        sections.append(Section(lines=tuple(followers)))
    if changed and status in FINISHED:
        after = load_rollout(ctx)
        unblocked = sorted({s for k in changed for s in after.unblocked_by(k)})
        if unblocked:
            sections.append(
                Section(
                    title=t("change.unblocked", count=len(unblocked)),
                    lines=tuple(
                        f"{key_label(after, k)} — {ctx.graph.task(k.ref).title_da} "
                        f"({owner_name(ctx, ctx.graph.task(k.ref).role)})"
                        for k in unblocked[:8]
                    ),
                    hidden=max(0, len(unblocked) - 8),
                    more=_more_ready(after, unblocked, 8),
                )
            )
        else:
            sections.append(Section(lines=(t("change.nothing_unblocked"),)))
    actions = (Action(t("button.undo"), "undo"),) if changed else ()
    return Reply(
        headline,
        tuple(sections),
        tone=Tone.SUCCESS if changed else Tone.INFO,
        actions=actions,
        changed=bool(changed),
    )


def _more_ready(rollout: Rollout, keys: Sequence[TaskKey], shown: int) -> Action | None:
    """A "Show more" for a cut list of tasks now ready: `next` of their municipalities, which
    lists what can start there now (these among them)."""
    if len(keys) <= shown:
        return None
    slugs = dict.fromkeys(m.slug for k in keys if (m := rollout.municipalities.get(k.municipality)))
    if not slugs:
        return None
    return Action(t("button.more", count=len(keys) - shown), " ".join(["next", *slugs]))


def _followers(ctx: CommandContext, changed: list[TaskKey]) -> list[str]:
    """The tasks whose state follows a changed one (its joint twin, its alternatives), as they
    stand now: nothing is written for them, their state is derived."""
    if not changed:
        return []
    after = load_rollout(ctx)
    # What was recorded may not be what counts: a twin or an alternative done outranks it.
    lines = [
        t("change.overridden", task=key_label(after, k), state=state_text(after.view(k, ctx.today)))
        for k in changed
        if after.derived(k) is not None
    ]
    return lines + [
        t("change.follows", task=key_label(after, f), state=state_text(after.view(f, ctx.today)))
        for k in changed
        for f in after.boxes.followers(k)
        if (via := after.derived(f)) is not None and via.source == k
    ]


def done(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task done for one or more municipalities: `done TS213 aarhus randers`."""
    return _set_status(ctx, inv, args, "done", Status.DONE, wants_reason=False)


def start(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task as in progress: `start A/TS110 aarhus`."""
    return _set_status(ctx, inv, args, "start", Status.IN_PROGRESS, wants_reason=False)


def block(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task blocked, with the reason: `block TS110 aarhus -- waiting for the supplier`."""
    return _set_status(ctx, inv, args, "block", Status.BLOCKED, wants_reason=True)


def skip(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Mark a task not applicable, with the reason: `skip TS101 aarhus -- done before the project`."""
    return _set_status(ctx, inv, args, "skip", Status.NOT_APPLICABLE, wants_reason=True)


def reopen(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Move a done or not-applicable task back to "to do": `reopen A/TS213 aarhus -- redo it`.

    Back to "to do", not "in progress": reopening says the work is not finished, not that
    someone has started it again; often a manager reopens and the owner then uses `start`.
    """
    return _set_status(ctx, inv, args, "reopen", Status.TODO, wants_reason=False)


def undo(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Undo your last command whole (every municipality of it); each `undo` goes one further back."""
    if args:
        raise UserError(t("error.undo_args"), hint=t("usage.undo"))
    return undo_last(ctx, inv)
