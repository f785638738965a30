"""The Teams agent: translate an activity, run the command core, render a card, answer. It decides
nothing.

* A message (``@sf1590 next aarhus`` in a channel, ``next aarhus`` in a personal chat; the bot's
  @-mention and a leading ``sf1590`` are stripped) answers with an Adaptive Card.
* A button (``Action.Execute``: an ``adaptiveCard/action`` invoke) runs its command and answers the
  invoke with the new card, which Teams shows in place of the clicked one. An ``Action.Submit``
  (a message whose ``value`` holds the data) updates the clicked card through the connector.
* ``channel P2`` that links a channel also stores its conversation reference (our database), so
  the scheduler can post there later; so does installing the bot into a team or chat.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ConversationReference,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    CardFactory,
    ConnectorClientBase,
    MemoryStorage,
    MessageFactory,
    TurnContext,
    TurnState,
)

from bot.files import FileLink, FileLinks
from bot.runtime import Answer, Runtime
from bot.teams.render import CARD_CONTENT_TYPE, MAX_COMMAND, MAX_REASON, REASON_PREFIX, VERB, render_card
from commands.messages import speaking, t
from commands.reply import Reply, Tone
from storage.conversations import ConversationRef, ConversationRefStore
from storage.outbox import SqlOutbox

__all__ = [
    "PLATFORM",
    "TeamsBot",
    "apology",
    "build_agent",
    "card_activity",
    "channel_key",
    "command_text",
    "reference_for",
    "user_mentions",
]

log = logging.getLogger(__name__)

PLATFORM = "teams"

_AT = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
_TAG = re.compile(r"<(?!@)[^>]+>")  # markup, but not a <@user> we put in
_PREFIX = re.compile(r"^/?sf1590\b[:,]?\s*", re.IGNORECASE)
_LINK_VERB = "channel"
_REGISTER_VERB = "register"


def user_mentions(activity: Activity) -> dict[str, str]:
    """``{Teams user id: mention text}`` of the people (not the bot) @-mentioned in a message."""
    recipient = activity.recipient.id if activity.recipient else None
    found: dict[str, str] = {}
    for entity in activity.entities or []:
        props = entity.model_dump(by_alias=True)
        mentioned = props.get("mentioned") or {}
        if entity.type == "mention" and mentioned.get("id") not in (None, recipient) and props.get("text"):
            found[str(mentioned["id"])] = str(props["text"])
    return found


def command_text(activity: Activity, users: Mapping[str, str] | None = None) -> str:
    """The command typed: without the bot's @-mention, markup or a leading ``sf1590``.

    ``users`` maps Teams user ids to AAD object ids: a mention of such a user becomes ``<@id>``,
    the form `register` takes (elsewhere a mention is just the name).
    """
    text = activity.text or ""
    recipient = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = entity.model_dump(by_alias=True)
        mentioned = props.get("mentioned") or {}
        if entity.type != "mention" or not props.get("text"):
            continue
        if mentioned.get("id") == recipient:
            text = text.replace(str(props["text"]), " ")
        elif users and mentioned.get("id") in users:
            text = text.replace(str(props["text"]), f" <@{users[mentioned['id']]}> ")
    text = _AT.sub(" ", text) if text.lstrip().lower().startswith("<at>") else text
    text = html.unescape(_TAG.sub(" ", text)).replace("\xa0", " ")
    return _PREFIX.sub("", " ".join(text.split()))


def channel_key(activity: Activity) -> str:
    """The id a channel is linked by: the Teams channel (not the thread), else the chat."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = (data.get("channel") or {}).get("id") if isinstance(data.get("channel"), dict) else None
    if channel:
        return str(channel)
    conversation_id = activity.conversation.id if activity.conversation else ""
    return conversation_id.split(";messageid=")[0]


def reference_for(activity: Activity, key: str) -> ConversationReference:
    """A reference that posts a new message into the channel (not a reply in the thread)."""
    reference = activity.get_conversation_reference()
    reference.conversation.id = key
    reference.activity_id = None
    return reference


def _is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return bool(conversation and conversation.conversation_type == "personal")


def card_activity(
    reply: Reply, *, note: str = "", language: str = "en", files: Sequence[FileLink] = ()
) -> Activity:
    """A message carrying the reply as an Adaptive Card (with a plain-text summary)."""
    with speaking(language):
        card = render_card(reply, note=note, files=files)
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = reply.headline[:200]
    return activity


def answer_card(answer: Answer, files: Sequence[FileLink] = ()) -> dict[str, Any]:
    """The card of an answer, all of it in the answer's language."""
    with speaking(answer.language):
        return render_card(answer.reply, note=answer.note, files=files)


def apology(ref: str, language: str) -> str:
    """The short apology (with a reference for the logs) a user gets when something failed."""
    with speaking(language):
        return t("chat.apology", ref=ref)


def _click_command(data: object) -> str | None:
    """The command a card button carries, validated like typed text; None when it carries none."""
    if not isinstance(data, dict) or not isinstance(data.get("command"), str):
        return None
    command = " ".join(data["command"].split())
    if not command or len(command) > MAX_COMMAND:
        return None
    reason_input = data.get("reason_input")
    if reason_input is None:
        return command
    if not isinstance(reason_input, str) or not reason_input.startswith(REASON_PREFIX):
        return None
    reason = data.get(reason_input)
    reason = " ".join(reason.split())[:MAX_REASON] if isinstance(reason, str) else ""
    return f"{command} {reason}".strip()


@dataclass
class TeamsBot:
    """Translation between Teams activities and the runtime's one seam (``Runtime.answer``)."""

    runtime: Runtime
    refs: ConversationRefStore
    links: FileLinks | None = None  # where the reply's files get their signed links

    def publish(self, answer: Answer) -> tuple[FileLink, ...]:
        """The answer's files, stored and linked (none when this server serves no files)."""
        if self.links is None:
            return ()
        return tuple(self.links.publish(f) for f in answer.reply.files)

    def language(self, activity: Activity) -> str:
        """The activity's locale ("da-DK") when we speak it, else the configured language."""
        return self.runtime.language_for(activity.locale)

    def run(self, activity: Activity, text: str) -> Answer:
        """Run ``text`` for the sender, in the activity's channel and locale."""
        sender = activity.from_property
        user = (sender.aad_object_id or "") if sender else ""
        key = channel_key(activity)
        answer = self.runtime.answer(
            PLATFORM,
            user,
            key,
            text,
            language=activity.locale,
            user_name=(sender.name or "") if sender else "",
            shared=not _is_personal(activity),
        )
        if answer.reply.changed and text.split()[0].lower() == _LINK_VERB:
            self.remember(activity)
        if answer.registered and _is_personal(activity):
            self.remember(activity, key=user)  # where the scheduler reaches this person
        return answer

    def remember(self, activity: Activity, *, key: str | None = None) -> None:
        """Store where to post into this conversation later (the scheduler's reminders): under
        the channel's id, or under a person's AAD object id for their personal chat."""
        conversation = channel_key(activity)
        reference = reference_for(activity, conversation).model_dump_json(by_alias=True, exclude_none=True)
        key = key or conversation
        stored = self.refs.get(PLATFORM, key)
        if stored is None or stored.reference != reference:
            self.refs.save(
                ConversationRef(
                    PLATFORM, key, activity.service_url or "", reference, self.runtime.clock.now()
                )
            )

    # -- handlers --------------------------------------------------------------------------

    async def on_message(self, context: TurnContext, _state: TurnState) -> None:
        activity = context.activity
        if activity.value is not None and not (activity.text or "").strip():
            await self.on_submit(context)
            return
        text = command_text(activity)
        with _guard("message", activity, self.language(activity)) as guard:
            if text.split()[:1] == [_REGISTER_VERB] and user_mentions(activity):
                text = command_text(activity, await self.object_ids(context))
            answer = await asyncio.to_thread(self.run, activity, text or "help")
            files = await asyncio.to_thread(self.publish, answer)
            await context.send_activity(
                card_activity(answer.reply, note=answer.note, language=answer.language, files=files)
            )
        await guard.apologise(context)

    async def object_ids(self, context: TurnContext) -> dict[str, str]:
        """The AAD object ids of the users mentioned (Teams' roster, through the connector)."""
        activity = context.activity
        client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        conversation = activity.conversation.id if activity.conversation else ""
        found: dict[str, str] = {}
        if client is None:  # no connector in this turn (expectReplies): names stay names
            return found
        for user_id in user_mentions(activity):
            member = await client.conversations.get_conversation_member(conversation, user_id)
            if member.aad_object_id:
                found[user_id] = member.aad_object_id
        return found

    async def on_submit(self, context: TurnContext) -> None:
        """Action.Submit: run the command and update the clicked card through the connector."""
        activity = context.activity
        with _guard("submit", activity, self.language(activity)) as guard:
            card = await self.click_card(activity, activity.value)
            update = card_activity_from(card)
            if activity.reply_to_id:
                update.id = activity.reply_to_id
                update.conversation = activity.conversation
                await context.update_activity(update)
            else:
                await context.send_activity(update)
        await guard.apologise(context)

    async def on_execute(
        self, context: TurnContext, _state: TurnState, data: Any
    ) -> AdaptiveCardInvokeResponse:
        """Action.Execute: run the command; Teams shows the card we answer with in place."""
        with _guard("execute", context.activity, self.language(context.activity)) as guard:
            card = await self.click_card(context.activity, data)
            return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=CARD_CONTENT_TYPE, value=card)
        sorry = Reply(apology(guard.ref, self.language(context.activity)), tone=Tone.ERROR)
        return AdaptiveCardInvokeResponse(
            status_code=HTTPStatus.OK, type=CARD_CONTENT_TYPE, value=render_card(sorry)
        )

    async def click_card(self, activity: Activity, data: object) -> dict[str, Any]:
        command = _click_command(data)
        if command is None:
            log.warning(
                "teams click without a valid command from %s: %r",
                activity.from_property.id if activity.from_property else "?",
                data,
            )
            with speaking(self.language(activity)):
                return render_card(Reply(t("chat.bad_click"), tone=Tone.ERROR))
        answer = await asyncio.to_thread(self.run, activity, command)
        return answer_card(answer, await asyncio.to_thread(self.publish, answer))

    async def on_members_added(self, context: TurnContext, _state: TurnState) -> None:
        """The bot was installed in a team, a group chat or a personal chat: say hello."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if not any(m.id == bot_id for m in activity.members_added or []):
            return
        with _guard("install", activity, self.language(activity)) as guard:
            await asyncio.to_thread(self.remember, activity)
            await asyncio.to_thread(self.resume, activity)
            language = self.language(activity)
            with speaking(language):
                welcome = Reply(t("chat.welcome"))
            await context.send_activity(card_activity(welcome, language=language))
        await guard.apologise(context)

    def resume(self, activity: Activity) -> None:
        """The bot is back: reminders kept while it could not post go out at the next sweep
        instead of waiting out their backoff (whichever channel of the team they are for)."""
        count = SqlOutbox(self.runtime.engine).retry_kept(PLATFORM)
        if count:
            sender = activity.from_property
            log.info(
                "teams: bot added to %s by %s: %d kept reminders go out at the next sweep",
                channel_key(activity),
                sender.aad_object_id if sender else "?",
                count,
            )

    async def on_members_removed(self, context: TurnContext, _state: TurnState) -> None:
        """The bot was removed from a team or chat: nothing can be posted there until it is back;
        reminders for it are kept (the connector's 403/404) and the wave's managers told."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(m.id == bot_id for m in activity.members_removed or []):
            sender = activity.from_property
            log.warning(
                "teams: bot removed from %s by %s: its reminders are kept until it is added back",
                channel_key(activity),
                sender.aad_object_id if sender else "?",
            )


def card_activity_from(card: dict[str, Any]) -> Activity:
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    return activity


class _guard:
    """Log a failure with its context; the user gets a short apology with a reference, never a
    trace (the SDK's default error handler would send the exception text)."""

    def __init__(self, what: str, activity: Activity, language: str) -> None:
        self.what, self.activity, self.language = what, activity, language
        self.ref = ""

    def __enter__(self) -> _guard:
        return self

    def __exit__(self, kind: object, error: BaseException | None, _tb: object) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        self.ref = uuid.uuid4().hex[:8]
        sender = self.activity.from_property
        log.error(
            "teams %s failed [ref %s] user=%s text=%r: %s: %s",
            self.what,
            self.ref,
            sender.aad_object_id if sender else None,
            self.activity.text,
            type(error).__name__,
            error,
            exc_info=error,
        )
        return True

    async def apologise(self, context: TurnContext) -> None:
        if not self.ref:
            return
        try:
            await context.send_activity(MessageFactory.text(apology(self.ref, self.language)))
        except Exception:
            log.exception("could not send the apology [ref %s]", self.ref)


def build_agent(bot: TeamsBot, connection_manager: Any) -> AgentApplication[TurnState]:
    """The AgentApplication with our routes (no SDK objects at import time)."""
    app: AgentApplication[TurnState] = AgentApplication[TurnState](
        storage=MemoryStorage(), connection_manager=connection_manager
    )
    app.conversation_update("membersAdded")(bot.on_members_added)
    app.conversation_update("membersRemoved")(bot.on_members_removed)
    app.adaptive_card.action_execute(VERB)(bot.on_execute)
    app.activity(ActivityTypes.message)(bot.on_message)
    return app
