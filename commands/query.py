"""Read-only verbs: next, blocked, status, show."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from commands.context import Actor, CommandContext, Invocation
from commands.gating import escalation_section
from commands.groups import (
    Grouped,
    blocked_summary,
    done_of_all,
    grouped_sections,
    next_summary,
    split_codes,
    split_municipalities,
    split_page,
    wants_groups,
)
from commands.messages import t
from commands.parse import (
    Target,
    UserError,
    fold,
    match_municipality,
    match_tasks,
    match_wave,
    parse_target,
    untracked_tasks,
)
from commands.permissions import in_scope
from commands.plan_notes import (
    date_legend,
    refuse_untracked,
    split_klik,
    task_remark_lines,
    template_reply,
)
from commands.present import (
    confidence_mark,
    deadline_note,
    deadline_origin,
    key_label,
    load_rollout,
    owner_name,
    state_text,
    task_line,
    task_section,
)
from commands.reply import Reply, Section, Tone
from commands.runbook import runbook_listing, runbook_status_line
from commands.status_groups import wave_sections
from rollout.gates import next_gate, readiness, wave_controls
from rollout.model import FINISHED, Municipality, Status, TaskKey
from rollout.plan import Confidence, Gate, Milestone, Scope, TaskDef, WaveControl
from rollout.status import Part, Rollout, TaskView

__all__ = ["blocked", "next_", "show", "status"]


def _keys(rollout: Rollout, target: Target, inv: Invocation) -> list[TaskKey]:
    if target.kind == "municipality" and target.municipality is not None:
        return rollout.task_keys([target.municipality])
    if target.kind == "wave" and target.wave is not None:
        members = [m for m in rollout.municipalities.values() if m.wave == target.wave]
        return rollout.task_keys(members) + rollout.wave_keys([target.wave])
    if target.kind == "me":
        mine = _candidates(rollout, inv.actor)
        return [
            k
            for k in (rollout.task_keys() + rollout.wave_keys() if mine is None else mine)
            if in_scope(inv.actor, rollout.graph.task(k.ref), k, rollout.municipalities)
        ]
    keys = rollout.task_keys() + rollout.wave_keys()
    if target.kind == "role":
        return [k for k in keys if rollout.graph.task(k.ref).role == target.role]
    return keys


def _candidates(rollout: Rollout, actor: Actor) -> list[TaskKey] | None:
    """The instances that can be in ``actor``'s scope, in the order of every instance, or None
    when a role over every municipality makes that all of them (:func:`in_scope` decides)."""
    if actor.roles and not actor.municipalities:
        return None
    codes = actor.coordinates | actor.municipalities
    members = [m for m in rollout.municipalities.values() if m.code in codes or m.wave in actor.manages]
    return rollout.task_keys(members) + rollout.wave_keys()  # the runbooks' few: all of them


def _parts(rollout: Rollout, target: Target, inv: Invocation, several: list[Municipality]) -> list[Part]:
    """The instances of :func:`_keys` (or of ``several``), in the same order, with each
    municipality standing for its own instances: what the snapshot keeps per municipality is
    then read once per municipality, not once per instance."""
    system = rollout.task_keys([])
    if several:
        return [system, *several]
    if target.kind == "municipality" and target.municipality is not None:
        return [system, target.municipality]
    if target.kind == "wave" and target.wave is not None:
        members = [m for m in rollout.municipalities.values() if m.wave == target.wave]
        return [system, *members, rollout.wave_keys([target.wave])]
    return [_keys(rollout, target, inv)]


def _target_label(ctx: CommandContext, target: Target) -> str:
    if target.municipality is not None:
        return f"{target.municipality.name} ({target.municipality.wave})"
    if target.kind == "wave" and target.wave:
        return t("label.wave", wave=target.wave)
    if target.kind == "role" and target.role:
        return owner_name(ctx, target.role)
    if target.kind == "me":
        return t("label.you")
    return t("label.all_waves")


def _target(
    ctx: CommandContext, inv: Invocation, rollout: Rollout, args: list[str], allowed: tuple[str, ...]
) -> Target:
    target = parse_target(
        args, ctx.graph.plan, rollout.municipalities, allowed=allowed, default_wave=inv.channel_wave
    )
    if target.kind == "all" and "me" in allowed and inv.actor.has_scope:
        return Target("me")
    if target.kind == "me" and not inv.actor.has_scope:
        hint = t("console.no_scope_hint") if inv.source == "console" else t("hint.no_scope")
        raise UserError(t("error.no_scope"), hint=hint)
    return target


def _targets(
    ctx: CommandContext, inv: Invocation, rollout: Rollout, words: list[str], allowed: tuple[str, ...]
) -> tuple[Target, list[Municipality]]:
    """One target, or several municipalities named one a word (`aarhus randers`)."""
    several = split_municipalities(words, rollout.municipalities)
    if not several:
        return _target(ctx, inv, rollout, words, allowed), []
    return Target("municipalities"), several


def next_(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Tasks that can start now, most urgent first: `next aarhus`, `next aarhus randers`,
    `next P2 klik`, `next me`; a wave's answer grouped by task (`next K91 A/TS201` opens one)."""
    args, page = split_page(args)
    refuse_untracked(ctx, args)
    words, klik = split_klik(args)
    words, refs = split_codes(words, ctx.graph.plan)
    rollout = load_rollout(ctx)
    target, several = _targets(ctx, inv, rollout, words, ("municipality", "wave", "role", "me"))
    parts = _parts(rollout, target, inv, several)

    def wanted(ref: str) -> bool:
        """The tasks asked for: [KLIK] only with `klik`, those named with codes."""
        return (not klik or rollout.graph.task(ref).klik) and (not refs or ref in refs)

    ready = [v for v in rollout.next_in(parts, ctx.today) if wanted(v.key.ref)]
    label = (
        (", ".join(m.name for m in several) if several else _target_label(ctx, target))
        + (t("next.klik_suffix") if klik else "")
        + (f" · {', '.join(sorted(refs))}" if refs else "")
    )
    if not ready:
        keys = [k for part in parts for k in _keys_of(rollout, part) if wanted(k.ref)]
        return Reply(t("next.none", target=label), sections=_nothing_ready(rollout, target, ctx, keys))
    late = sum(1 for v in ready if v.overdue)
    headline = t("next.headline", target=label, count=len(ready))
    if late:
        headline += t("next.late_suffix", late=late)
    command = " ".join(["next", *args])
    if wants_groups(ready, refs):
        totals = done_of_all(rollout, parts, ctx, wanted)
        grouped = Grouped(
            "next",
            [*words, *(["klik"] if klik else [])],
            lambda vs: next_summary(vs, totals),
            "group.municipality_next",
        )
        sections = grouped_sections(
            ctx, rollout, ready, grouped, page, lambda v: task_line(ctx, rollout, v, inv.actor)
        )
        return Reply(headline, sections, footer=date_legend(ready))
    section = task_section(ctx, rollout, ready, inv.actor, page=page, command=command)
    return Reply(headline, (section,), footer=date_legend(ready))


def _keys_of(rollout: Rollout, part: Part) -> Sequence[TaskKey]:
    return rollout.task_keys([part], include_system=False) if isinstance(part, Municipality) else part


def _nothing_ready(
    rollout: Rollout, target: Target, ctx: CommandContext, keys: list[TaskKey]
) -> tuple[Section, ...]:
    if target.municipality is None:
        return ()
    open_views = [v for v in rollout.views(keys, ctx.today) if not v.finished]
    if not open_views:
        return (Section(lines=(t("next.all_done"),)),)
    return (Section(lines=(t("next.waiting", count=len(open_views)),)),)


def blocked(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """What is stuck and on what: blocked or overdue tasks that hold others up; a wave's
    answer grouped by task (`blocked K91 B/TS203` opens one)."""
    args, page = split_page(args)
    words, refs = split_codes(args, ctx.graph.plan)
    rollout = load_rollout(ctx)
    target, several = _targets(ctx, inv, rollout, words, ("municipality", "wave", "me"))
    parts = _parts(rollout, target, inv, several)
    roots = [r for r in rollout.stuck_in(parts, ctx.today) if not refs or r.view.key.ref in refs]
    label = (", ".join(m.name for m in several) if several else _target_label(ctx, target)) + (
        f" · {', '.join(sorted(refs))}" if refs else ""
    )
    if not roots:
        return Reply(t("blocked.none", target=label), tone=Tone.SUCCESS)
    views = [r.view for r in roots]
    details = {r.view.key.as_value(): _stuck_detail(rollout, r.view, r.holds) for r in roots}
    held = len({k for r in roots for k in r.holds})
    headline = t("blocked.headline", target=label, count=len(roots), held=t("blocked.held", count=held))
    if wants_groups(views, refs):
        holds = {r.view.key: r.holds for r in roots}
        grouped = Grouped(
            "blocked", words, lambda vs: blocked_summary(vs, holds), "group.municipality_blocked"
        )
        sections = grouped_sections(
            ctx,
            rollout,
            sorted(views, key=TaskView.urgency),
            grouped,
            page,
            lambda v: task_line(ctx, rollout, v, inv.actor, detail=details[v.key.as_value()]),
        )
        return Reply(headline, sections, tone=Tone.WARNING, footer=date_legend(views))
    section = task_section(ctx, rollout, views, inv.actor, page=page, command=" ".join(["blocked", *args]))
    tasks = tuple(replace(line, detail=details[line.key]) for line in section.tasks)
    return Reply(
        headline,
        (Section(tasks=tasks, hidden=section.hidden, more=section.more),),
        tone=Tone.WARNING,
        footer=date_legend(views),
    )


def _stuck_detail(rollout: Rollout, view: TaskView, holds: tuple[TaskKey, ...]) -> str:
    why = (
        t("blocked.reason", reason=view.state.reason)
        if view.state.status == Status.BLOCKED
        else t("blocked.overdue")
    )
    if not holds:
        return why
    shown = ", ".join(k.ref for k in holds[:3]) + (f" +{len(holds) - 3}" if len(holds) > 3 else "")
    return f"{why}; " + t("blocked.holds", count=len(holds), refs=shown)


def status(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Progress of a municipality, a wave, or every wave: done, open, late, blocked, next gate.

    Every view counts the same way (:meth:`Rollout.counts`): a municipality's own tasks, and
    the tasks done once for everyone on a line of their own, each counted once.
    """
    command = " ".join(["status", *split_page(args)[0]])
    args, page = split_page(args)
    rollout = load_rollout(ctx)
    target = _target(ctx, inv, rollout, args, ("municipality", "wave"))
    if target.municipality is not None:
        return _municipality_status(ctx, rollout, target)
    waves = [target.wave] if target.wave else list(ctx.graph.plan.waves)
    lines: list[str] = []
    for wave in waves:
        members = sorted((m for m in rollout.municipalities.values() if m.wave == wave), key=lambda m: m.name)
        counts = rollout.counts(members, ctx.today)
        gate = next_gate(rollout, wave, ctx.today)
        gate_text = (
            t(
                "status.gate",
                gate=gate.gate,
                day=gate.day.isoformat(),
                days=ctx.graph.calendar.working_days_between(ctx.today, gate.day),
            )
            if gate
            else t("status.no_gate")
        )
        lines.append(
            t(
                "status.wave_line",
                wave=wave,
                municipalities=len(members),
                done=counts.done,
                total=counts.total,
                late=counts.late,
                blocked=counts.blocked,
                gate=gate_text,
            )
        )
        lines.append(runbook_status_line(ctx, rollout, wave))
    lines.append(_shared_line(rollout, ctx))
    sections = [Section(lines=tuple(lines))]
    if target.wave:
        sections.extend(wave_sections(ctx, rollout, target.wave, page, command))
    escalations = escalation_section(ctx, rollout, target.wave)
    if escalations is not None:
        sections.append(escalations)
    return Reply(t("status.headline", target=_target_label(ctx, target)), tuple(sections))


def _shared_line(rollout: Rollout, ctx: CommandContext) -> str:
    shared = rollout.shared_counts(ctx.today)
    return t("status.shared", done=shared.done, total=shared.total, late=shared.late, blocked=shared.blocked)


def _municipality_status(ctx: CommandContext, rollout: Rollout, target: Target) -> Reply:
    municipality = target.municipality
    assert municipality is not None
    counts = rollout.counts([municipality], ctx.today)
    lines = [
        t(
            "status.counts",
            done=counts.done,
            total=counts.total,
            ready=counts.ready,
            late=counts.late,
            blocked=counts.blocked,
        ),
        _shared_line(rollout, ctx),
    ]
    gate = next_gate(rollout, municipality.wave, ctx.today)
    if gate is not None:
        ready = readiness(rollout, municipality, gate, ctx.today)
        lines.append(
            t(
                "status.gate_readiness",
                gate=gate.gate,
                day=gate.day.isoformat(),
                days=ready.countdown.working_days,
                count=len(ready.missing),
                chain=ready.chain_days,
                risk=t("status.at_risk") if ready.at_risk else "",
            )
        )
    views = rollout.views(rollout.task_keys([municipality], include_system=False), ctx.today)
    by_diagram = Counter(v.key.diagram for v in views if not v.finished)
    if by_diagram:
        lines.append(
            t("status.open_by_diagram", parts=", ".join(f"{d}: {n}" for d, n in sorted(by_diagram.items())))
        )
    escalations = escalation_section(ctx, rollout, None, municipality=municipality.code)
    return Reply(
        t("status.headline", target=_target_label(ctx, target)),
        (Section(lines=tuple(lines)),) + ((escalations,) if escalations else ()),
    )


def show(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """A task in full: title, owner, deadline, what it waits on and what waits on it."""
    if not args:
        raise UserError(t("error.missing_code", verb="show"), hint=t("usage.show"))
    if fold(args[0]) in ("runbook", "drejebog"):
        return runbook_listing(ctx)
    template = untracked_tasks(args[0], ctx.graph.plan)
    if template:
        return template_reply(ctx, template)
    rollout = load_rollout(ctx)
    controls = _controls_named(args[0], ctx)
    if controls:
        return _control_reply(ctx, inv, rollout, controls, args[1:])
    if not ctx.graph.plan.tasks_with_code(_bare(args[0])) and (dated := _dated_named(args[0], ctx)):
        return _dated_reply(ctx, args[0], dated)
    tasks = match_tasks(args[0], ctx.graph.plan)
    wave = match_wave(" ".join(args[1:]), ctx.graph.plan) if args[1:] else None
    municipality = match_municipality(args[1:], rollout.municipalities) if args[1:] and wave is None else None
    sections = []
    for task in tasks:
        lines = [
            t("show.title_en", title=task.title_en),
            t(
                "show.meta",
                integration=ctx.graph.plan.diagrams[task.diagram].integration,
                owner=owner_name(ctx, task.role),
                confidence=task.role_confidence,
                scope=t(f"scope.{task.scope}"),
                phase=ctx.graph.plan.phases[task.phase].name_da,
            ),
        ]
        flags = [
            t(flag)
            for flag, on in (
                ("show.optional", task.optional),
                ("show.klik", task.klik),
                ("show.control", task.per_wave_control),
            )
            if on
        ]
        if task.not_applicable:
            flags.append(t("show.not_applicable", reason=task.not_applicable))
        if task.joint_with:
            flags.append(t("show.joint", ref=f"{task.diagram}/{task.joint_with}"))
        if alternatives := rollout.boxes.alternative_refs.get(task.ref):
            flags.append(t("show.alternatives", refs=", ".join(alternatives)))
        if flags:
            lines.append(" · ".join(flags))
        if task.opens_after:
            lines.append(t("show.opens_after", gate=task.opens_after))
        key = _show_key(task, municipality, wave)
        if key is not None:
            view = rollout.view(key, ctx.today)
            lines.append(
                t(
                    "show.state",
                    where=key_label(rollout, key),
                    state=state_text(view),
                    reason=f" — {view.state.reason}" if view.state.reason else "",
                    deadline=deadline_note(view, ctx.today),
                )
            )
            lines.extend(_neighbours(ctx, rollout, key))
        else:
            lines.append(
                t(
                    "show.deadlines",
                    parts=", ".join(
                        f"{w}: {confidence_mark(d)}{d.day.isoformat()} "
                        f"({deadline_origin(d)}{'*' if d.fallback else ''})"
                        if (d := ctx.graph.deadline(task.ref, w))
                        else f"{w}: –"
                        for w in ctx.graph.plan.waves
                    ),
                )
            )
            lines.extend(_plan_neighbours(ctx, task.ref))
        lines.extend(task_remark_lines(ctx, task))
        sections.append(
            Section(title=f"{task.ref} {task.title_da or t('show.title_lost')}", lines=tuple(lines))
        )
    if len(tasks) == 1:
        (only,) = sections
        return Reply(only.title, (Section(lines=only.lines),))
    return Reply(t("show.headline_many", code=args[0].upper(), count=len(tasks)), tuple(sections))


def _bare(word: str) -> str:
    return word.upper().rpartition("/")[2]


def _squash(word: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", word.upper())


def _dated_named(word: str, ctx: CommandContext) -> list[tuple[str, Gate | Milestone]]:
    """The gates and milestones ``word`` names (KP-3, kp3, GATE, TS214-216-BLOCK, B/KP-3), as
    the bot prints them in deadlines, per tracked diagram."""
    diagram, _, code = word.upper().rpartition("/")
    plan = ctx.graph.plan
    found: list[tuple[str, Gate | Milestone]] = []
    for diagram_id in plan.tracked:
        if diagram not in ("", diagram_id.upper()):
            continue
        page = plan.diagrams[diagram_id]
        found += [(diagram_id, g) for g in page.gates.values() if _squash(g.id) == _squash(code)]
        found += [(diagram_id, m) for m in page.milestones.values() if _squash(m.id) == _squash(code)]
    return found


def _dated_reply(ctx: CommandContext, word: str, dated: list[tuple[str, Gate | Milestone]]) -> Reply:
    """A gate or milestone: its name and its date per wave on each diagram, and where to look next."""
    first = dated[0][1]
    lines = [t("show.title_en", title=first.name_en)]
    days: list[tuple[date, str]] = []
    for diagram_id, item in dated:
        on = [
            (wave, day)
            for wave in ctx.graph.plan.waves
            if (day := ctx.graph.milestone_date(diagram_id, item.id, wave)) is not None
        ]
        days += [(day, wave) for wave, day in on]
        lines.append(f"{diagram_id}: {', '.join(f'{w} {d.isoformat()}' for w, d in on) or '–'}")
    if isinstance(first, Gate):
        upcoming = sorted(d for d in days if d[0] >= ctx.today) or sorted(days, reverse=True)
        example = upcoming[0][1] if upcoming else next(iter(ctx.graph.plan.waves))
        lines.append(t("show.gate_hint", gate=first.id, wave=example))
    else:
        refs = [
            task.ref
            for diagram_id, _ in dated
            for task in ctx.graph.plan.diagrams[diagram_id].tasks.values()
            if task.deadline == first.id
        ]
        if refs:
            lines.append(t("show.milestone_tasks", refs=", ".join(refs)))
    title = first.name_da if first.name_da.startswith(first.id) else f"{first.id} {first.name_da}"
    return Reply(title, (Section(lines=tuple(lines)),))


def _controls_named(word: str, ctx: CommandContext) -> list[tuple[str, WaveControl]]:
    """The per-wave control questions ``word`` names: ``B/KONTROL-2`` (as `gate` prints them)
    or the bare ``KONTROL-2`` (one per diagram that asks it)."""
    diagram, _, code = word.upper().rpartition("/")
    plan = ctx.graph.plan
    return [
        (diagram_id, control)
        for diagram_id in plan.tracked
        if diagram in ("", diagram_id.upper())
        for control in plan.diagrams[diagram_id].controls
        if control.id.upper() == code
    ]


def _control_reply(
    ctx: CommandContext,
    inv: Invocation,
    rollout: Rollout,
    controls: list[tuple[str, WaveControl]],
    where: list[str],
) -> Reply:
    """A control question in full: what it asks, at which gate, the tasks that answer it, and
    (for a wave) how many of them are done."""
    wave = match_wave(" ".join(where), ctx.graph.plan) if where else inv.channel_wave
    if where and wave is None:
        raise UserError(t("admin.not_a_wave", word=" ".join(where), valid=", ".join(ctx.graph.plan.waves)))
    members = [m for m in rollout.municipalities.values() if m.wave == wave]
    sections = []
    for diagram_id, control in controls:
        ref = f"{diagram_id}/{control.id}"
        checks = ctx.graph.plan.diagrams[diagram_id].tasks
        lines = [
            t("show.title_en", title=control.question_en),
            t("show.control_checks", gate=control.gate, count=len(control.checks)),
            *(
                f"  {diagram_id}/{code} {checks[code].title_da if code in checks else ''}".rstrip()
                for code in control.checks
            ),
        ]
        if control.confidence == Confidence.GUESS:
            lines.append(t("gate.control_inferred").strip(" ()"))
        if wave is not None:
            answer = next(
                (a for a in wave_controls(rollout, members, gate=control.gate) if a.control_id == ref), None
            )
            if answer is not None:
                lines.append(t("show.control_answer", wave=wave, done=answer.done, total=answer.total))
                lines.extend(f"  ✗ {key_label(rollout, key)}" for key in answer.open)
        else:
            lines.append(t("show.control_where", ref=ref, wave=next(iter(ctx.graph.plan.waves))))
        sections.append(Section(title=f"{ref} {control.question_da}", lines=tuple(lines)))
    if len(sections) == 1:
        (only,) = sections
        return Reply(only.title, (Section(lines=only.lines),))
    return Reply(t("show.headline_many", code=controls[0][1].id, count=len(sections)), tuple(sections))


def _show_key(
    task: TaskDef,
    municipality: Municipality | None,
    wave: str | None,
) -> TaskKey | None:
    """The instance `show CODE WHERE` means: the municipality's, or the wave's runbook task."""
    if task.scope == Scope.WAVE:
        chosen = wave or (municipality.wave if municipality is not None else None)
        return TaskKey.for_wave(task.ref, chosen) if chosen else None
    if municipality is None or task.scope == Scope.ROLLBACK:
        return None
    if task.scope == Scope.SYSTEM:
        return TaskKey(task.ref)
    return TaskKey(
        task.ref, municipality.code, municipality.connections[0] if task.scope == Scope.CONNECTION else ""
    )


def _neighbours(ctx: CommandContext, rollout: Rollout, key: TaskKey) -> list[str]:
    preds = ctx.graph.predecessors(key, rollout.municipalities)
    open_preds = [p for p in preds if rollout.state(p).status not in FINISHED]
    finished = len(preds) - len(open_preds)
    lines = []
    if open_preds:
        parts = []
        for p in open_preds[:8]:
            edge = ctx.graph.edge(p.ref, key.ref)
            conf = f", {edge.confidence}" if edge else ""
            parts.append(f"{p.ref} ({t(f'status.{rollout.state(p).status}')}{conf})")
        more = f" +{len(open_preds) - 8}" if len(open_preds) > 8 else ""
        lines.append(t("show.waits_on", parts="; ".join(parts) + more, count=finished))
    elif preds:
        lines.append(t("show.all_finished", count=finished))
    else:
        lines.append(t("show.no_predecessors"))
    succs = ctx.graph.successors(key, rollout.municipalities)
    if succs:
        lines.append(t("show.needed_by", refs=", ".join(sorted({s.ref for s in succs}))))
    return lines


def _plan_neighbours(ctx: CommandContext, ref: str) -> list[str]:
    lines = []
    preds = ctx.graph.predecessor_refs(ref)
    if preds:
        parts = []
        for p in preds[:8]:
            edge = ctx.graph.edge(p, ref)
            parts.append(f"{p} ({edge.provenance}, {edge.confidence})" if edge else p)
        more = f" +{len(preds) - 8}" if len(preds) > 8 else ""
        lines.append(t("show.plan_waits_on", parts="; ".join(parts) + more))
    succs = ctx.graph.successor_refs(ref)
    if succs:
        lines.append(
            t(
                "show.needed_by",
                refs=", ".join(succs[:10]) + (f" +{len(succs) - 10}" if len(succs) > 10 else ""),
            )
        )
    return lines
