"""``TeamsNotifier``: the scheduler's ``bot.notify.Notifier`` for Teams (proactive messages).

It posts a new message (an Adaptive Card) into a conversation whose reference was stored when the
channel was linked (``@sf1590 channel P2``) or the bot was installed. The SDK is async; ``post``
is a plain blocking call, as the Protocol wants, run on a private event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import ConversationReference
from microsoft_agents.hosting.core import ClaimsIdentity, TurnContext
from sqlalchemy import Engine

from bot.clock import SystemClock
from bot.files import FileLinks, file_links
from bot.notify import DeliveryError, Posted
from bot.settings import Settings
from bot.teams.app import PLATFORM, card_activity
from bot.teams.server import StarletteAdapter, build_adapter
from bot.teams.settings import ANONYMOUS_VAR, APP_ID_VAR, ConfigError, TeamsSettings
from commands.reply import Reply
from storage.conversations import ConversationRefStore, SqlConversationRefStore
from storage.engine import make_engine
from storage.files import SqlFileStore

__all__ = ["BOT_FRAMEWORK_AUDIENCE", "TeamsNotifier", "notifier_from_env"]

log = logging.getLogger(__name__)

BOT_FRAMEWORK_AUDIENCE = "https://api.botframework.com"
_PERMANENT = {400, 401}
_UNREACHABLE = {403, 404}  # the bot was removed from the team or channel: kept until it is back
T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, also when this thread has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class TeamsNotifier:
    """Posts replies proactively to stored Teams conversations."""

    platform = PLATFORM

    def __init__(
        self,
        adapter: StarletteAdapter,
        settings: TeamsSettings,
        refs: ConversationRefStore,
        links: FileLinks | None = None,
    ) -> None:
        self.adapter = adapter
        self.settings = settings
        self.refs = refs
        self.links = links  # the web process serves them: same database, same link key

    def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
        stored = self.refs.get(PLATFORM, channel_id)
        if stored is None:
            raise DeliveryError(
                f"no Teams conversation reference for {channel_id}: mention the bot "
                "in that channel with `channel WAVE` (or reinstall it there)",
                permanent=True,
            )
        reference = ConversationReference.model_validate_json(stored.reference)
        try:
            remote_id = _run(self._send(reference, reply))
        except aiohttp.ClientResponseError as err:
            retry = err.headers.get("Retry-After") if err.headers else None
            raise DeliveryError(
                f"Teams answered HTTP {err.status} for {key}",
                retry_after=float(retry) if retry and retry.isdigit() else None,
                permanent=err.status in _PERMANENT,
                unreachable=err.status in _UNREACHABLE,
            ) from err
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise DeliveryError(f"Teams could not be reached for {key}: {err}") from err
        log.info("teams: posted %s to %s as %s", key, channel_id, remote_id)
        return Posted(remote_id)

    def find_posted(self, channel_id: str, key: str) -> Posted | None:
        """Teams' connector cannot search a channel's messages, so the outbox's own record (mark
        sent only after the post succeeded) is all there is: None."""
        return None

    async def _send(self, reference: ConversationReference, reply: Reply) -> str:
        posted: list[str] = []

        async def send(context: TurnContext) -> None:
            # Through the adapter, not context.send_activity: that would make the post a reply
            # to the continuation event's made-up id; this is a new message in the channel.
            files = tuple(self.links.publish(f) for f in reply.files) if self.links else ()
            activity = card_activity(reply, files=files).apply_conversation_reference(reference)
            responses = await context.adapter.send_activities(context, [activity])
            posted.append((responses[0].id if responses else None) or "")

        adapter, settings = self.adapter, self.settings
        activity = reference.get_continuation_activity()
        if settings.app_id and not settings.anonymous:
            await adapter.continue_conversation(settings.app_id, activity, send)
        else:  # local testing without an app registration: no outbound token
            await adapter.continue_conversation_with_claims(
                ClaimsIdentity(), activity, send, audience=BOT_FRAMEWORK_AUDIENCE
            )
        return posted[0] if posted else ""


def notifier_from_env(env: Mapping[str, str] | None = None, *, engine: Engine | None = None) -> TeamsNotifier:
    """The scheduler's Teams notifier, from the environment (the app registration, and
    $DATABASE_URL for the stored conversation references); ConfigError when Teams is not set up.

    Pick it for platform "teams" when ``TeamsSettings.from_env()`` is not None.
    """
    settings = TeamsSettings.from_env(env)
    if settings is None:
        raise ConfigError(
            f"Teams is not configured: set {APP_ID_VAR} (and its client secret), "
            f"or {ANONYMOUS_VAR}=1 for local testing only."
        )
    engine = engine or make_engine(Settings.from_env(env).database_url)
    _auth, _connections, adapter = build_adapter(settings)
    links = file_links(SqlFileStore(engine), SystemClock(), os.environ if env is None else env)
    return TeamsNotifier(adapter, settings, SqlConversationRefStore(engine), links)
