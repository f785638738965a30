"""`remind`: how this channel gets its reminders (pause, resume, time, kinds), and `remind me`
for a personal daily message with your own next tasks.

It needs the reminder settings store, which the runtime puts in ``CommandContext.reminders``.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

from commands.context import CommandContext, Invocation
from commands.messages import t
from commands.parse import UserError, fold
from commands.reply import Reply, Section, Tone
from rollout.reminders import KINDS, parse_kinds
from storage.reminders import ChannelSettings, ReminderSettingsStore

__all__ = ["remind"]

_DURATION = re.compile(r"^([0-9]{1,7})\s*([hdw])$")  # ASCII digits; 7 keep int() and timedelta safe
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_FOREVER = timedelta(days=3650)
MAX_PAUSE = timedelta(days=90)  # longer is a mistake or "forever": `remind pause` with no duration


def _store(ctx: CommandContext) -> ReminderSettingsStore:
    if ctx.reminders is None:
        raise UserError(t("remind.unavailable"))
    return ctx.reminders


def _describe(ctx: CommandContext, settings: ChannelSettings) -> tuple[str, ...]:
    paused = settings.paused_until is not None and settings.paused_until > ctx.now
    state = (
        t("remind.paused_until", until=f"{settings.paused_until:%Y-%m-%d %H:%M}")
        if paused and settings.paused_until
        else t("remind.active")
    )
    return (
        t("remind.state", state=state),
        t("remind.posting_time", at=f"{settings.post_time:%H:%M}"),
        t("remind.kinds", kinds=_kinds(settings.kinds)),
    )


def _kinds(kinds: frozenset[str]) -> str:
    return ", ".join(k for k in KINDS if k in kinds) or t("remind.no_kinds")


def _usage() -> str:
    return f"`{t('usage.remind')}`"


def remind(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """This channel's reminders: `remind pause 3d`, `resume`, `time 08:30`, `kinds …`, `me on|off`."""
    store = _store(ctx)
    word = fold(args[0]) if args else ""
    if word == "me":
        return _personal(ctx, inv, store, args[1:])
    if inv.channel is None:
        hint = t("remind.in_chat_hint") + (" " + t("console.channel_hint") if inv.source == "console" else "")
        raise UserError(t("remind.in_chat"), hint=hint)
    if not word:
        settings = store.channel_settings(inv.source, inv.channel)
        return Reply(t("remind.headline"), (Section(lines=_describe(ctx, settings)),), footer=_usage())
    if not (inv.actor.is_admin or (inv.channel_wave and inv.channel_wave in inv.actor.manages)):
        raise UserError(t("remind.not_allowed"))
    change = ctx.change(inv)
    rest = args[1:]
    if word == "pause":
        until = ctx.now + (_duration(rest[0]) if rest else _FOREVER)
        store.update_channel(inv.source, inv.channel, change=change, paused_until=until)
        when = t("remind.until", until=f"{until:%Y-%m-%d %H:%M}") if rest else t("remind.until_resumed")
        return Reply(t("remind.paused", when=when), tone=Tone.SUCCESS, changed=True)
    if word == "resume":
        store.update_channel(inv.source, inv.channel, change=change, paused_until=ctx.now)
        return Reply(t("remind.resumed"), tone=Tone.SUCCESS, changed=True)
    if word == "time" and rest:
        try:
            at = time.fromisoformat(rest[0])
        except ValueError as exc:
            raise UserError(t("remind.bad_time", word=rest[0])) from exc
        store.update_channel(inv.source, inv.channel, change=change, post_time=at)
        return Reply(t("remind.time_set", at=f"{at:%H:%M}"), tone=Tone.SUCCESS, changed=True)
    if word == "kinds" and rest:
        try:
            kinds = parse_kinds(",".join(rest))
        except ValueError as exc:
            raise UserError(f"{exc}.") from exc
        store.update_channel(inv.source, inv.channel, change=change, kinds=kinds)
        return Reply(t("remind.kinds_set", kinds=_kinds(kinds)), tone=Tone.SUCCESS, changed=True)
    raise UserError(t("remind.unknown", words=" ".join(args)), hint=_usage())


def _duration(text: str) -> timedelta:
    found = _DURATION.match(text.lower())
    if not found and re.fullmatch(r"[0-9]+\s*[hdw]", text.lower()):
        raise UserError(t("error.pause_range", word=_short(text), days=MAX_PAUSE.days))
    if not found:
        raise UserError(t("remind.bad_duration", word=_short(text)))
    duration = int(found.group(1)) * _UNITS[found.group(2)]
    if not timedelta(hours=1) <= duration <= MAX_PAUSE:
        raise UserError(t("error.pause_range", word=_short(text), days=MAX_PAUSE.days))
    return duration


def _short(word: str, limit: int = 24) -> str:
    """A word as echoed back: a pasted 900-digit number is cut, not repeated whole."""
    return word if len(word) <= limit else word[: limit - 1] + "…"


def _personal(ctx: CommandContext, inv: Invocation, store: ReminderSettingsStore, args: list[str]) -> Reply:
    word = fold(args[0]) if args else ""
    if word not in ("on", "off"):
        raise UserError(t("remind.me_usage"))
    if not store.set_personal(inv.source, inv.actor.handle, word == "on", change=ctx.change(inv)):
        hint = (
            t("console.register_hint", user=inv.actor.handle)
            if inv.source == "console"
            else t("remind.unknown_person_hint")
        )
        raise UserError(t("remind.unknown_person"), hint=hint)
    if word == "on":
        return Reply(t("remind.me_on"), tone=Tone.SUCCESS, changed=True)
    return Reply(t("remind.me_off"), tone=Tone.SUCCESS, changed=True)
