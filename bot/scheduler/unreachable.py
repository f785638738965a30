"""When the bot may not post in a wave's channel (not invited, removed from the team, or the Slack
app lacks a scope): the reminder stays in the outbox for a retry, never dropped as stale, and each
of the wave's managers is told once how to fix it and what is waiting, through the outbox itself (a
notice keyed by channel, or by scope, and manager is inserted at most once)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.clock import COPENHAGEN
from bot.notify import DeliveryError
from bot.scheduler.payload import reply_to_json
from commands.messages import speaking, t, tn
from commands.reply import Reply, Section, Tone
from storage.outbox import Claimed, NewNotice, SqlOutbox
from storage.people import Person
from storage.tables import OutboxRow

__all__ = ["KIND", "tell_managers"]

log = logging.getLogger(__name__)

KIND = "setup"  # the outbox kind of "I cannot post in your wave's channel"


SHOWN = 5  # waiting reminders listed by name in the notice; the rest are counted


def _reply(
    platform: str, channel_id: str, wave: str, error: DeliveryError, waiting: Sequence[OutboxRow]
) -> Reply:
    where = f"`{channel_id}`" if platform == "slack" else wave  # the renderer escapes <#C…>
    if error.missing_scope is not None:
        scope = f"`{error.missing_scope}`" if error.missing_scope else t("setup.scope_unnamed")
        headline = t("setup.missing_scope", wave=wave, channel=where, scope=scope)
        fix = t("setup.fix_scope")
    else:
        headline = t("setup.cannot_post", wave=wave, channel=where)
        fix = t("setup.fix_slack") if platform == "slack" else t("setup.fix_teams", wave=wave)
    sections = [Section(lines=(fix, t("setup.kept"), t("setup.error", error=str(error))))]
    if waiting:
        items = tuple(
            t(
                "setup.pending_item",
                kind=row.kind,
                subject=row.subject,
                planned=_local(row.due_at).strftime("%Y-%m-%d %H:%M"),
            )
            for row in waiting[:SHOWN]
        )
        more = (t("setup.pending_more", count=len(waiting) - SHOWN),) if len(waiting) > SHOWN else ()
        sections.append(
            Section(title=tn("setup.pending", len(waiting)), lines=(*items, *more, t("setup.late_kept")))
        )
    return Reply(headline, tuple(sections), tone=Tone.WARNING)


def _local(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(COPENHAGEN)


def tell_managers(
    outbox: SqlOutbox,
    claimed: Claimed,
    wave: str,
    error: DeliveryError,
    managers: Sequence[tuple[Person, str]],
    *,
    now: datetime,
    language: str,
) -> list[str]:
    """Queue one message per manager of ``wave`` (once per channel and manager, ever); returns
    the keys that are new. A channel without a wave (a person's messages) tells nobody."""
    told = [(p, user) for p, user in managers if wave and wave in p.manages and user != claimed.channel_id]
    if not told:
        log.warning(
            "cannot post in %s %s (%s) and no manager of wave %r to tell: run `sf1590 channel link`",
            claimed.platform,
            claimed.channel_id,
            error,
            wave,
        )
        return []
    # Once per channel, or once per missing scope (the whole app lacks it, not one channel).
    about = claimed.channel_id if error.missing_scope is None else f"scope:{error.missing_scope}"
    keys = {user: f"{KIND}|{wave}|{claimed.platform}:{user}|{about}" for _, user in told}
    if not set(keys.values()) - outbox.known(keys.values()):
        return []
    waiting = outbox.pending_in(claimed.platform, claimed.channel_id, now)
    with speaking(language):
        payload = reply_to_json(_reply(claimed.platform, claimed.channel_id, wave, error, waiting))
    notices = [
        NewNotice(
            keys[user],
            KIND,
            claimed.platform,
            user,
            wave,
            claimed.channel_id,
            now.date(),
            now,
            payload,
        )
        for _, user in told
    ]
    return outbox.add(notices, now=now)
