"""When the bot may not post in a wave's channel (not invited, or removed from the team): the
reminder stays in the outbox for a retry, and each of the wave's managers is told once how to fix
it, through the outbox itself (a notice keyed by channel and manager is inserted at most once)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.notify import DeliveryError
from bot.scheduler.payload import reply_to_json
from commands.messages import speaking, t
from commands.reply import Reply, Section, Tone
from storage.outbox import Claimed, NewNotice, SqlOutbox
from storage.people import Person

__all__ = ["KIND", "tell_managers"]

log = logging.getLogger(__name__)

KIND = "setup"  # the outbox kind of "I cannot post in your wave's channel"


def _reply(platform: str, channel_id: str, wave: str, error: DeliveryError) -> Reply:
    where = f"`{channel_id}`" if platform == "slack" else wave  # the renderer escapes <#C…>
    fix = t("setup.fix_slack") if platform == "slack" else t("setup.fix_teams", wave=wave)
    return Reply(
        t("setup.cannot_post", wave=wave, channel=where),
        (Section(lines=(fix, t("setup.kept"), t("setup.error", error=str(error)))),),
        tone=Tone.WARNING,
    )


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
    with speaking(language):
        payload = reply_to_json(_reply(claimed.platform, claimed.channel_id, wave, error))
    notices = [
        NewNotice(
            f"{KIND}|{wave}|{claimed.platform}:{user}|{claimed.channel_id}",
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
