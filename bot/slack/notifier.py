"""The scheduler's notifier for Slack: ``chat.postMessage`` with the outbox key in the message's
metadata, and a look in the channel's recent history for that key after a crash mid-send.

The outbox owns retries: the Web client here retries nothing itself, and every failure comes back
as a :class:`~bot.notify.DeliveryError` (with Slack's Retry-After on a 429).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.notify import DeliveryError, Posted
from bot.slack.files import upload_files
from bot.slack.render import render_blocks, render_text
from bot.slack.settings import DEFAULT_API_URL, ConfigError, SlackSettings
from commands.notices import MENTIONS
from commands.reply import Reply

__all__ = ["EVENT_TYPE", "SlackNotifier", "notifier_from_env", "with_mentions"]

log = logging.getLogger(__name__)

EVENT_TYPE = "sf1590_notification"
HISTORY_LIMIT = 200  # recent messages searched for a key
PERMANENT = frozenset(
    {
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "msg_too_long",
        "invalid_blocks",
        "no_text",
        "restricted_action",
        "missing_scope",
        "user_not_found",
    }
)
# A scope the app lacks is fixed by reinstalling it with the manifest: keep the message till then.
KEPT_ON_POST = frozenset({"missing_scope"})
# The bot is not in the channel (or cannot see it): an admin fixes it with /invite, so kept.
UNREACHABLE = frozenset({"not_in_channel", "channel_not_found"})
_HANDLE = re.compile(r"@([a-z0-9][a-z0-9-]*)")


def with_mentions(blocks: Any, mentions: dict[str, str]) -> Any:
    """Turn ``@handle`` into ``<@U…>`` for people the reply says are mapped to Slack users."""
    if not mentions:
        return blocks
    if isinstance(blocks, list):
        return [with_mentions(b, mentions) for b in blocks]
    if isinstance(blocks, dict):
        return {
            k: (
                with_mentions(v, mentions)
                if k in ("text", "elements", "fields") or isinstance(v, list | dict)
                else v
            )
            for k, v in blocks.items()
        }
    if isinstance(blocks, str):
        return _HANDLE.sub(
            lambda m: f"<@{mentions[m.group(1)]}>" if m.group(1) in mentions else m.group(0), blocks
        )
    return blocks


def _mentions(reply: Reply) -> dict[str, str]:
    raw = reply.extra.get(MENTIONS, "")
    pairs = (part.split("=", 1) for part in raw.split(";") if "=" in part)
    return {handle: address for handle, address in pairs}


def _error(err: Exception, *, kept: frozenset[str] = frozenset()) -> DeliveryError:
    if isinstance(err, SlackApiError):
        status = getattr(err.response, "status_code", 0)
        data = err.response.data if isinstance(err.response.data, dict) else {}
        code = str(data.get("error", "") or f"http_{status}")
        if status == 429:
            headers = {k.lower(): v for k, v in (err.response.headers or {}).items()}
            value = headers.get("retry-after")
            raw = value[0] if isinstance(value, list) else value
            return DeliveryError(f"slack: rate limited ({code})", retry_after=float(raw) if raw else None)
        if code in UNREACHABLE:
            return DeliveryError(f"slack: {code} (HTTP {status})", unreachable=True)
        if code == "missing_scope" and code in kept:
            needed = str(data.get("needed") or "")
            return DeliveryError(
                f"slack: missing_scope{f' (needs {needed})' if needed else ''} (HTTP {status})",
                missing_scope=needed,
            )
        return DeliveryError(f"slack: {code} (HTTP {status})", permanent=code in PERMANENT - kept)
    return DeliveryError(f"slack: {type(err).__name__}: {err}")  # timeouts, refused connections


class SlackNotifier:
    """Posts rendered replies to Slack channels (or users, by user id)."""

    platform = "slack"

    def __init__(self, client: WebClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: SlackSettings, *, timeout: int = 10) -> SlackNotifier:
        return cls(
            WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=timeout, retry_handlers=[])
        )

    def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
        """Post the message; its files first (``files_upload_v2``), so a message that says
        "attached" is never found posted without them (a failed post may upload them twice)."""
        blocks = with_mentions(render_blocks(reply), _mentions(reply))
        try:
            if reply.files:
                upload_files(self.client, self._conversation(channel_id), reply.files)
            response = self.client.chat_postMessage(
                channel=channel_id,
                text=render_text(reply),
                blocks=blocks,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackClientError, OSError, ValueError) as err:  # ValueError: a body not JSON
            raise _error(err, kept=KEPT_ON_POST) from err
        return Posted(str(response.get("ts") or ""))

    def find_posted(self, channel_id: str, key: str) -> Posted | None:
        """The message with this key in the channel's recent history (a person's: their direct
        messages with the bot). When Slack cannot tell (no such channel, a missing scope), None:
        the message is posted again rather than lost. A transient failure raises, to retry."""
        try:
            channel = self._conversation(channel_id)
            response = self.client.conversations_history(
                channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except (SlackClientError, OSError, ValueError) as exc:  # ValueError: a body not JSON
            err = _error(exc)
            if not err.permanent and not err.unreachable:
                raise err from exc
            log.warning("cannot look for %s in %s's history (%s): posting it again", key, channel_id, err)
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return Posted(str(message.get("ts") or ""))
        return None

    def _conversation(self, channel_id: str) -> str:
        """A user id's direct-message channel (``conversations.open``); a channel id as it is."""
        if not _is_user(channel_id):
            return channel_id
        opened = self.client.conversations_open(users=channel_id)
        return str((opened.get("channel") or {}).get("id") or channel_id)


def _is_user(channel_id: str) -> bool:
    return channel_id[:1] in ("U", "W")


def notifier_from_env(env: Mapping[str, str] | None = None) -> SlackNotifier:
    """A notifier from $SLACK_BOT_TOKEN (and $SLACK_API_URL, for a fake Slack in rehearsals)."""
    env = os.environ if env is None else env
    token = env.get("SLACK_BOT_TOKEN")
    if not token:
        raise ConfigError(
            "Missing environment variable: SLACK_BOT_TOKEN (Slack app settings → "
            "OAuth & Permissions; see the README, Slack)."
        )
    url = env.get("SLACK_API_URL") or DEFAULT_API_URL
    return SlackNotifier.from_settings(SlackSettings(bot_token=token, api_url=url.rstrip("/") + "/"))
