"""After `/sf1590 channel P2`: make sure the bot can post in that channel. A public channel is
joined (``conversations.join``, scope ``channels:join``); a private one cannot be joined by a bot,
so the answer says exactly what to type there."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from commands.messages import t

__all__ = ["ensure_member"]

log = logging.getLogger(__name__)

# Slack's answers to conversations.join for a channel a bot cannot join by itself
_INVITE = frozenset({"channel_not_found", "method_not_supported_for_channel_type", "is_private"})


def ensure_member(client: WebClient, channel_id: str, wave: str) -> str:
    """One line for the admin: joined, already a member, or the `/invite` to type."""
    if channel_id[:1] == "D":  # a direct message with the bot: it is always there
        return t("setup.link_member", wave=wave)
    try:
        response = client.conversations_join(channel=channel_id)
    except SlackApiError as err:
        code = str(err.response.get("error", ""))
        if code not in _INVITE:
            log.warning("conversations.join %s: %s", channel_id, code)
        return t("setup.link_invite", wave=wave, error=code)
    except SlackRequestError as err:
        log.warning("conversations.join %s: %s", channel_id, err)
        return t("setup.link_invite", wave=wave, error=str(err))
    if response.get("warning") == "already_in_channel" or response.get("already_in_channel"):
        return t("setup.link_member", wave=wave)
    return t("setup.link_joined", wave=wave)
