"""`export csv|xlsx|ics|history [wave|municipality]`: the rollout as files people keep.

Rows come from the same view models as every chat answer (:class:`rollout.status.TaskView`,
:func:`commands.present.deadline_origin`, :mod:`rollout.gates`): no second reading of states,
deadlines or gates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from commands.context import CommandContext, Invocation
from commands.export_files import CalendarEvent, csv_bytes, ics_bytes, uid_part, xlsx_bytes
from commands.messages import t
from commands.parse import UserError, parse_target, suggest
from commands.present import (
    deadline_origin,
    key_label,
    load_rollout,
    local_minute,
    owner_name,
    state_label,
)
from commands.reply import Attachment, Reply, Section, Tone
from rollout.gates import gate_date, gate_ids, reports_due
from rollout.model import TaskKey
from rollout.status import Rollout, TaskView
from storage.ports import GateDecision, TaskEvent, WaveMove

__all__ = ["FORMATS", "TASK_COLUMNS", "export", "export_keys"]

FORMATS = ("csv", "xlsx", "ics", "history")
TASK_COLUMNS = (
    "code",
    "title",
    "municipality",
    "owner",
    "state",
    "deadline",
    "origin",
    "reason",
    "changed_by",
    "changed_at",
    "changed_from",
)
HISTORY_COLUMNS = ("at", "kind", "subject", "old", "new", "note", "actor", "source", "command")
_ALL_EVENTS = 10_000_000  # the event log has no limit for an export
_COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_EVERY_WAVE = "all"
_MEDIA = {
    "csv": "text/csv",
    "history": "text/csv",
    "ics": "text/calendar",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Scope:
    """What an export covers: a wave, a municipality, or everything (both None)."""

    wave: str | None
    municipality: int | None
    label: str  # for people: "K91", "Aarhus (P2)", "all waves"
    slug: str  # for file names: "K91", "aarhus", "all"


def export(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Files to keep: `export csv K91`, `export xlsx aarhus`, `export ics P2`, `export history`."""
    if not args:
        raise UserError(t("error.export_format", word="", valid=", ".join(FORMATS)), hint=t("usage.export"))
    kind = args[0].lower()
    if kind not in FORMATS:
        close = suggest(kind, FORMATS)
        raise UserError(
            t("error.export_format", word=args[0], valid=", ".join(FORMATS)),
            hint=t("hint.did_you_mean", options=" / ".join(f"`export {c}`" for c in close))
            if close
            else t("usage.export"),
        )
    rollout = load_rollout(ctx)
    scope = _scope(ctx, inv, rollout, args[1:])
    if kind == "ics":
        attachment, count = _calendar(ctx, rollout, scope)
    elif kind == "history":
        attachment, count = _history(ctx, rollout, scope)
    else:
        attachment, count = _tasks(ctx, rollout, scope, kind)
    return Reply(
        t(f"export.done_{kind}", count=count, target=scope.label, file=attachment.filename),
        tone=Tone.SUCCESS,
        files=(attachment,),
        sections=(Section(lines=(t(f"export.what_{kind}"),)),),
    )


def _scope(ctx: CommandContext, inv: Invocation, rollout: Rollout, words: list[str]) -> Scope:
    target = parse_target(
        words,
        ctx.graph.plan,
        rollout.municipalities,
        allowed=("municipality", "wave"),
        default_wave=inv.channel_wave,
    )
    if target.municipality is not None:
        m = target.municipality
        return Scope(m.wave, m.code, f"{m.name} ({m.wave})", m.slug)
    if target.wave is not None:
        return Scope(target.wave, None, t("label.wave", wave=target.wave), target.wave)
    return Scope(None, None, t("label.all_waves"), "all")


def export_keys(rollout: Rollout, scope: Scope) -> list[TaskKey]:
    """The task instances of the scope, as `next` and `status` count them."""
    if scope.municipality is not None:
        return rollout.task_keys([rollout.municipalities[scope.municipality]])
    if scope.wave is not None:
        members = [m for m in rollout.municipalities.values() if m.wave == scope.wave]
        return rollout.task_keys(members) + rollout.wave_keys([scope.wave])
    return rollout.task_keys() + rollout.wave_keys()


def _filename(kind: str, scope: Scope, today: date, ext: str) -> str:
    return f"sf1590-{kind}-{uid_part(scope.slug)}-{today.isoformat()}.{ext}"


def _tasks(
    ctx: CommandContext,
    rollout: Rollout,
    scope: Scope,
    kind: str,
) -> tuple[Attachment, int]:
    keys = export_keys(rollout, scope)
    last = _last_changes(ctx, set(keys))
    rows = [_task_row(ctx, rollout, rollout.view(k, ctx.today), last.get(k)) for k in keys]
    header = [t(f"export.col.{c}") for c in TASK_COLUMNS]
    title = t("export.title_tasks", target=scope.label, day=ctx.today.isoformat())
    if kind == "xlsx":
        content = xlsx_bytes(scope.slug, header, rows)
    else:
        content = csv_bytes(header, [[_text(v) for v in row] for row in rows])
    name = _filename("tasks", scope, ctx.today, kind)
    return Attachment(name, _MEDIA[kind], content, title=title), len(rows)


def _text(value: str | date | None) -> str:
    return value.isoformat() if isinstance(value, date) else (value or "")


def _last_changes(ctx: CommandContext, keys: set[TaskKey]) -> dict[TaskKey, TaskEvent]:
    """The newest recorded event of each task instance (the log is read newest first)."""
    found: dict[TaskKey, TaskEvent] = {}
    for event in ctx.store.events(limit=_ALL_EVENTS):
        if event.key in keys:
            found.setdefault(event.key, event)
    return found


def _task_row(
    ctx: CommandContext,
    rollout: Rollout,
    view: TaskView,
    event: TaskEvent | None,
) -> list[str | date | None]:
    where = key_label(rollout, view.key).split(" ", 1)[1]
    deadline = view.deadline
    return [
        view.key.ref,
        view.task.title_da,
        where,
        owner_name(ctx, view.task.role),
        state_label(view),
        deadline.day if deadline else None,
        deadline_origin(deadline) if deadline else "",
        view.state.reason or "",
        event.actor if event else "",
        local_minute(event.at) if event else "",
        event.source if event else "",
    ]


def _calendar(ctx: CommandContext, rollout: Rollout, scope: Scope) -> tuple[Attachment, int]:
    waves = [scope.wave] if scope.wave else list(ctx.graph.plan.waves)
    events: list[CalendarEvent] = []
    for wave in waves:
        events.extend(_gate_events(rollout, wave))
        events.extend(_report_events(rollout, wave))
    events.extend(_deadline_events(ctx, rollout, scope))
    name = t("export.calendar_name", target=scope.label)
    content = ics_bytes(name, events, ctx.now)
    attachment = Attachment(
        _filename("calendar", scope, ctx.today, "ics"), _MEDIA["ics"], content, title=name
    )
    return attachment, len(events)


def _gate_events(rollout: Rollout, wave: str) -> list[CalendarEvent]:
    out = []
    for gate_id in gate_ids(rollout):
        found = gate_date(rollout, gate_id, wave)
        if found is not None:
            out.append(
                CalendarEvent(
                    f"gate-{uid_part(gate_id)}-{uid_part(wave)}@sf1590",
                    found.day,
                    t("export.ics_gate", gate=gate_id, wave=wave),
                    category="gate",
                )
            )
    return out


def _report_events(rollout: Rollout, wave: str) -> list[CalendarEvent]:
    return [
        CalendarEvent(
            f"report-{uid_part(r.milestone)}-{uid_part(wave)}@sf1590",
            min(r.by_diagram.values()),
            t("export.ics_report", name=r.name, wave=wave),
            category="report",
        )
        for r in reports_due(rollout, wave)
    ]


def _deadline_events(ctx: CommandContext, rollout: Rollout, scope: Scope) -> list[CalendarEvent]:
    """One event per task and wave (per municipality for a municipality's calendar): the
    wave's instances share their deadline, so the event counts how many are still open."""
    groups: dict[tuple[str, str], list[TaskView]] = {}
    for key in export_keys(rollout, scope):
        view = rollout.view(key, ctx.today)
        # a task done once for everyone is due by the earliest wave: one event for all waves
        wave = rollout.wave_of(key) or _EVERY_WAVE
        if view.deadline is not None:
            groups.setdefault((key.ref, wave), []).append(view)
    out = []
    for (ref, wave), views in groups.items():
        first = views[0]
        assert first.deadline is not None
        open_count = sum(1 for v in views if not v.finished)
        where = f"-{scope.municipality}" if scope.municipality is not None else ""
        out.append(
            CalendarEvent(
                f"deadline-{uid_part(ref)}-{uid_part(wave)}{where}@sf1590",
                first.deadline.day,
                t("export.ics_deadline", ref=ref, title=first.task.title_da, wave=wave),
                t(
                    "export.ics_deadline_text",
                    open=open_count,
                    total=len(views),
                    origin=deadline_origin(first.deadline),
                    owner=owner_name(ctx, first.task.role),
                ),
                category="deadline",
            )
        )
    return out


def _history(ctx: CommandContext, rollout: Rollout, scope: Scope) -> tuple[Attachment, int]:
    rows = sorted(
        _task_history(ctx, rollout, scope)
        + _move_history(rollout, scope, ctx)
        + _decision_history(rollout, scope, ctx),
        key=lambda r: r[0],
    )
    header = [t(f"export.col.h_{c}") for c in HISTORY_COLUMNS]
    content = csv_bytes(header, [[local_minute(r[0]), *r[1:]] for r in rows])
    title = t("export.title_history", target=scope.label)
    name = _filename("history", scope, ctx.today, "csv")
    return Attachment(name, _MEDIA["history"], content, title=title), len(rows)


Row = tuple[Any, ...]  # (at, kind, subject, old, new, note, actor, source, command id)


def _task_history(ctx: CommandContext, rollout: Rollout, scope: Scope) -> list[Row]:
    keys = set(export_keys(rollout, scope)) if scope.wave or scope.municipality else None
    return [
        (
            e.at,
            t("export.kind_task"),
            key_label(rollout, e.key),
            t(f"status.{e.old.status}"),
            t(f"status.{e.new.status}"),
            e.new.reason or (t("history.undo").strip() if e.compensates else ""),
            e.actor,
            e.source,
            e.command_id or "",
        )
        for e in ctx.store.events(limit=_ALL_EVENTS)
        if keys is None or e.key in keys
    ]


def _name(rollout: Rollout, code: int) -> str:
    found = rollout.municipalities.get(code)
    return found.name if found else str(code)


def _move_history(rollout: Rollout, scope: Scope, ctx: CommandContext) -> list[Row]:
    moves: list[WaveMove] = ctx.store.wave_moves(scope.municipality)
    if scope.municipality is None and scope.wave is not None:
        moves = [m for m in moves if scope.wave in (m.from_wave, m.to_wave)]
    return [
        (
            m.at,
            t("export.kind_move"),
            _name(rollout, m.municipality),
            m.from_wave or "",
            m.to_wave,
            m.reason,
            m.actor,
            m.source,
            m.command_id or "",
        )
        for m in moves
    ]


def _decision_history(rollout: Rollout, scope: Scope, ctx: CommandContext) -> list[Row]:
    found: list[GateDecision] = ctx.store.gate_decisions(
        wave=scope.wave if scope.municipality is None else None
    )
    if scope.municipality is not None:
        found = [d for d in found if d.municipality == scope.municipality]
    return [
        (
            d.at,
            t("export.kind_decision"),
            f"{d.gate} {d.wave} {_name(rollout, d.municipality)}",
            "",
            t(f"decision.{d.decision}"),
            d.note,
            d.actor,
            d.source,
            d.command_id or "",
        )
        for d in found
    ]
