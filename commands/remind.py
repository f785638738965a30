"""`remind`: how this channel gets its reminders (pause, resume, time, kinds), and `remind me`
for a personal daily message with your own next tasks.

It needs the reminder settings store, which the runtime puts in
``CommandContext.extras["reminders"]``.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

from commands.context import CommandContext, Invocation
from commands.messages import EN, t
from commands.messages_da import DA
from commands.parse import UserError, fold
from commands.reply import Reply, Section, Tone
from rollout.reminders import KINDS, parse_kinds
from storage.reminders import ChannelSettings, ReminderSettingsStore

__all__ = ["REMINDERS", "remind"]

REMINDERS = "reminders"  # the key of the settings store in CommandContext.extras
USAGE = "remind [pause 3d|resume|time 08:30|kinds deadline,countdown|me on|off]"
EN.setdefault("usage.remind", USAGE)
DA.setdefault("usage.remind", "remind [pause 3d|resume|time 08:30|kinds deadline,countdown|me on|off]")
DA.setdefault("summary.remind", "Kanalens påmindelser: `remind pause 3d`, `resume`, `time 08:30`, "
                                "`kinds …`, `me on|off` (din egen daglige besked).")

_DURATION = re.compile(r"^([0-9]{1,7})\s*([hdw])$")  # ASCII digits; 7 keep int() and timedelta safe
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_FOREVER = timedelta(days=3650)
MAX_PAUSE = timedelta(days=90)  # longer is a mistake or "forever": `remind pause` with no duration


def _store(ctx: CommandContext) -> ReminderSettingsStore:
    store = ctx.extras.get(REMINDERS)
    if store is None:
        raise UserError("Reminder settings are not available here.")
    return store  # type: ignore[return-value]


def _describe(ctx: CommandContext, settings: ChannelSettings) -> tuple[str, ...]:
    paused = (settings.paused_until is not None and settings.paused_until > ctx.now)
    state = (f"paused until {settings.paused_until:%Y-%m-%d %H:%M} UTC"
             if paused and settings.paused_until else "active")
    return (f"Reminders: {state}.",
            f"Posting time: {settings.post_time:%H:%M} Europe/Copenhagen, on Danish working days.",
            f"Kinds: {', '.join(k for k in KINDS if k in settings.kinds) or 'none'}.")


def remind(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """This channel's reminders: `remind pause 3d`, `resume`, `time 08:30`, `kinds …`, `me on|off`."""
    store = _store(ctx)
    word = fold(args[0]) if args else ""
    if word == "me":
        return _personal(ctx, inv, store, args[1:])
    if inv.channel is None:
        raise UserError("`remind` works in a chat channel linked to a wave (`channel P2`).",
                        hint="For your own daily message: `remind me on`.")
    if not word:
        settings = store.channel_settings(inv.source, inv.channel)
        return Reply("Reminders in this channel", (Section(lines=_describe(ctx, settings)),),
                     footer=f"`{USAGE}`")
    if not (inv.actor.is_admin or (inv.channel_wave and inv.channel_wave in inv.actor.manages)):
        raise UserError("Only an admin or the wave's manager can change this channel's reminders.")
    change = ctx.change(inv)
    rest = args[1:]
    if word == "pause":
        until = ctx.now + (_duration(rest[0]) if rest else _FOREVER)
        store.update_channel(inv.source, inv.channel, change=change, paused_until=until)
        when = f"until {until:%Y-%m-%d %H:%M} UTC" if rest else "until `remind resume`"
        return Reply(f"Reminders paused {when}. Nothing planned meanwhile will be sent later.",
                     tone=Tone.SUCCESS, changed=True)
    if word == "resume":
        store.update_channel(inv.source, inv.channel, change=change, paused_until=ctx.now)
        return Reply("Reminders resumed from now on.", tone=Tone.SUCCESS, changed=True)
    if word == "time" and rest:
        try:
            at = time.fromisoformat(rest[0])
        except ValueError as exc:
            raise UserError(f"`{rest[0]}` is not a time like 08:30.") from exc
        store.update_channel(inv.source, inv.channel, change=change, post_time=at)
        return Reply(f"Reminders will be posted at {at:%H:%M} Europe/Copenhagen.",
                     tone=Tone.SUCCESS, changed=True)
    if word == "kinds" and rest:
        try:
            kinds = parse_kinds(",".join(rest))
        except ValueError as exc:
            raise UserError(f"{exc}.") from exc
        store.update_channel(inv.source, inv.channel, change=change, kinds=kinds)
        return Reply(f"This channel gets: {', '.join(k for k in KINDS if k in kinds) or 'nothing'}.",
                     tone=Tone.SUCCESS, changed=True)
    raise UserError(f"`remind {' '.join(args)}` is not something I know.", hint=f"`{USAGE}`")


def _duration(text: str) -> timedelta:
    found = _DURATION.match(text.lower())
    if not found and re.fullmatch(r"[0-9]+\s*[hdw]", text.lower()):
        raise UserError(t("error.pause_range", word=_short(text), days=MAX_PAUSE.days))
    if not found:
        raise UserError(f"`{_short(text)}` is not a duration like 3d, 12h or 1w.")
    duration = int(found.group(1)) * _UNITS[found.group(2)]
    if not timedelta(hours=1) <= duration <= MAX_PAUSE:
        raise UserError(t("error.pause_range", word=_short(text), days=MAX_PAUSE.days))
    return duration


def _short(word: str, limit: int = 24) -> str:
    """A word as echoed back: a pasted 900-digit number is cut, not repeated whole."""
    return word if len(word) <= limit else word[:limit - 1] + "…"


def _personal(ctx: CommandContext, inv: Invocation, store: ReminderSettingsStore,
              args: list[str]) -> Reply:
    word = fold(args[0]) if args else ""
    if word not in ("on", "off"):
        raise UserError("`remind me on` or `remind me off`.")
    if not store.set_personal(inv.source, inv.actor.handle, word == "on", change=ctx.change(inv)):
        raise UserError("I do not know you here yet, so I cannot message you.",
                        hint="Ask an admin to `register` you.")
    if word == "on":
        return Reply("Every working day at 08:00 I will send you your own next tasks.",
                     tone=Tone.SUCCESS, changed=True)
    return Reply("No more daily messages with your next tasks.", tone=Tone.SUCCESS, changed=True)
