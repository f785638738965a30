"""The Bolt app: ack at once, translate, run the command core, render, answer. It decides nothing.

Every listener acks in its tiny ack function (run inline, ``process_before_response=True``), and
does the work in a lazy listener on the executor: the HTTP answer never waits for the database.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot.runtime import Answer, Runtime
from bot.slack.deferred import defer
from bot.slack.files import upload_files
from bot.slack.hooks import shared_poster
from bot.slack.membership import ensure_member
from bot.slack.render import ACTION_PREFIX, ASK_PREFIX, MAX_BLOCKS, render_blocks, render_text
from bot.slack.settings import SlackSettings
from commands.admin import LINKED_WAVE
from commands.context import Actor
from commands.messages import speaking, t
from commands.reply import Attachment, Reply

__all__ = ["PLATFORM", "REASON_CALLBACK", "SlackBot", "build_app", "retry_handlers"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
REASON_CALLBACK = "sf1590_reason"
HOME_MAX_BLOCKS = 100
LINKED = "sf1590_linked"  # a channel was just linked to this wave: check the bot can post there
FILES = "sf1590_files"  # the reply's attachments ride along the payload until they are uploaded


def retry_handlers() -> list[RetryHandler]:
    """Retry connection errors, and rate limits as Slack asks (Retry-After)."""
    return [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=2)]


@dataclass
class SlackBot:
    """Translation between Slack payloads and the runtime's one seam (``Runtime.answer``)."""

    runtime: Runtime
    workers: Any = None  # a bot.slack.workers.ProcessRunner: run the core in other processes

    # -- translation -------------------------------------------------------------------------

    def answer(
        self, text: str, user_id: str, user_name: str, channel: str | None, language: str | None = None
    ) -> dict[str, Any]:
        """The message for ``text``, computed here or in a worker process."""
        if self.workers is not None:
            result: dict[str, Any] = self.workers.message(text, user_id, user_name, channel, language)
            return result
        return self.message(text, user_id, user_name, channel, language)

    def answer_to(
        self, url: str, text: str, user_id: str, user_name: str, channel: str | None
    ) -> dict[str, Any] | None:
        """Answer ``text`` at the response URL where the answer needs nothing more (no file to
        upload, no channel to check): computed and posted in a worker process when there are
        workers, so the web process spends its time on acks. Otherwise the message, for the
        caller to finish."""
        if self.workers is not None:
            result: dict[str, Any] | None = self.workers.answer_to(url, text, user_id, user_name, channel)
            return result
        return self.post_plain(url, text, user_id, user_name, channel)

    def post_plain(
        self, url: str, text: str, user_id: str, user_name: str, channel: str | None
    ) -> dict[str, Any] | None:
        """Post the answer to ``text`` at ``url`` unless it has files or a channel to check;
        then return it instead."""
        message = self.message(text, user_id, user_name, channel)
        if message.get(FILES) or message.get(LINKED) or not url:
            return message
        post(url, message)
        return None

    def message(
        self, text: str, user_id: str, user_name: str, channel: str | None, language: str | None = None
    ) -> dict[str, Any]:
        """Run ``text`` for the user and render the answer as a message payload (with the
        reply's files under ``FILES``, taken off again before it is posted)."""
        answer = self.runtime.answer(PLATFORM, user_id, channel, text, language=language, user_name=user_name)
        message = render_message(answer)
        if answer.reply.files:
            message[FILES] = list(answer.reply.files)
        if answer.reply.extra.get(LINKED_WAVE):
            message[LINKED] = answer.reply.extra[LINKED_WAVE]
        return message

    def deliver(
        self,
        message: dict[str, Any],
        files: list[Attachment],
        client: WebClient,
        user_id: str,
        channel: str | None,
        url: str,
    ) -> None:
        """Upload the message's files (``files_upload_v2``): into the channel when the answer
        is public there, else into the asker's direct messages with the bot, because Slack has
        no ephemeral files and a private answer must not show its file to the channel."""
        if not files:
            return
        public = message.get("response_type") == "in_channel"
        try:
            target = channel if public and channel else _direct_channel(client, user_id)
            upload_files(client, target, files)
        except (SlackApiError, SlackRequestError) as err:
            error = err.response.get("error", "") if isinstance(err, SlackApiError) else str(err)
            log.error("upload of %s failed: %s", [f.filename for f in files], error)
            post(
                url,
                {
                    "text": t("files.upload_failed", error=error),
                    "response_type": "ephemeral",
                    "replace_original": False,
                },
            )

    # -- listeners (lazy: they run after the ack) -------------------------------------------

    def on_command(self, body: dict[str, Any], client: WebClient) -> None:
        url = body.get("response_url", "")
        # A slash command carries no locale: the configured language answers.
        language = self.runtime.language_for(None)
        with _guard("command", body.get("user_id"), body.get("text"), url, language):
            message = self.answer_to(
                url, body.get("text", ""), body["user_id"], body.get("user_name", ""), body.get("channel_id")
            )
            if message is None:  # posted already
                return
            files = message.pop(FILES, [])
            linked = message.pop(LINKED, "")
            with speaking(language):
                if linked and body.get("channel_id"):  # can the bot post in the channel just linked?
                    check = ensure_member(client, body["channel_id"], linked)
                    message["blocks"].append({"type": "section", "text": {"type": "mrkdwn", "text": check}})
                post(url, _where_files_go(message, files))
                self.deliver(message, files, client, body["user_id"], body.get("channel_id"), url)

    def on_click(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        url = body.get("response_url", "")
        user = body["user"]
        hint = locale(body)
        with _guard("click", user.get("id"), action.get("value"), url, self.runtime.language_for(hint)):
            channel = (body.get("channel") or {}).get("id")
            message = self.answer(
                action.get("value", ""), user["id"], user.get("username", ""), channel, hint
            )
            files = message.pop(FILES, [])
            if url:
                with speaking(self.runtime.language_for(hint)):
                    message = _where_files_go(message, files)
                post(url, {**message, "replace_original": True})
                with speaking(self.runtime.language_for(hint)):
                    self.deliver(message, files, client, user["id"], channel, url)
            else:  # a click on the Home tab
                self.on_home({"user": user["id"], "tab": "home"}, client)

    def on_ask(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Block… : open a modal that asks for the reason."""
        url = body.get("response_url", "")
        language = self.runtime.language_for(locale(body))
        with _guard("ask", body["user"].get("id"), action.get("value"), url, language):
            command = action.get("value", "")
            meta = json.dumps(
                {"command": command, "response_url": url, "channel": (body.get("channel") or {}).get("id")}
            )
            with speaking(language):
                view = reason_modal(command, meta)
            client.views_open(trigger_id=body["trigger_id"], view=view)

    def on_reason(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        url = meta.get("response_url", "")
        user = body["user"]
        reason = " ".join(str(view["state"]["values"]["reason"]["reason"]["value"] or "").split())
        text = f"{meta.get('command', '')} {reason}"
        hint = locale(body)
        with _guard("reason", user.get("id"), text, url, self.runtime.language_for(hint)):
            message = self.answer(text, user["id"], user.get("username", ""), meta.get("channel"), hint)
            message.pop(FILES, None)  # a reason finishes a change: it makes no file
            if url:
                post(url, {**message, "replace_original": True})
            else:
                self.on_home({"user": user["id"], "tab": "home"}, client)

    def on_home(self, event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        with _guard("home", event.get("user"), "app_home_opened", "", self.runtime.language):
            view = (
                self.workers.home_view(event["user"])
                if self.workers is not None
                else self.home_view(event["user"])
            )
            client.views_publish(user_id=event["user"], view=view)

    def home_view(self, user_id: str) -> dict[str, Any]:
        """The Home tab: the user's next tasks and the next gate of their wave(s)."""
        first = self.runtime.answer(PLATFORM, user_id, None, "next me")
        with speaking(first.language):
            if not first.registered:
                blocks: list[dict[str, Any]] = [
                    {"type": "section", "text": {"type": "mrkdwn", "text": first.note}}
                ]
            else:
                blocks = render_blocks(
                    first.reply if first.actor.has_scope else Reply(t("chat.home_no_tasks"))
                )
                for wave in self._waves(first.actor):
                    blocks.append({"type": "divider"})
                    wave_answer = self.runtime.answer(PLATFORM, user_id, None, f"wave {wave}")
                    blocks.extend(render_blocks(wave_answer.reply))
        return {"type": "home", "blocks": blocks[:HOME_MAX_BLOCKS]}

    def _waves(self, actor: Actor) -> list[str]:
        waves = set(actor.manages)
        codes = actor.coordinates | actor.municipalities
        if codes:
            municipalities = self.runtime.store.municipalities()
            waves |= {municipalities[c].wave for c in codes if c in municipalities}
        return sorted(waves)[:2]


def _where_files_go(message: dict[str, Any], files: list[Attachment]) -> dict[str, Any]:
    """A private answer with files says they are in the asker's direct messages."""
    blocks = message.get("blocks") or []
    if not files or message.get("response_type") == "in_channel" or len(blocks) >= MAX_BLOCKS:
        return message
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": t("files.slack_dm")}]}
    return {**message, "blocks": [*blocks, note]}


def _direct_channel(client: WebClient, user_id: str) -> str:
    """The bot's direct-message conversation with a user (``im:write``)."""
    opened = client.conversations_open(users=user_id)
    channel: str = opened["channel"]["id"]
    return channel


def render_message(answer: Answer) -> dict[str, Any]:
    """An answer as a Slack message payload, all of it in the answer's language."""
    with speaking(answer.language):
        return {
            "text": render_text(answer.reply),
            "blocks": render_blocks(answer.reply, note=answer.note),
            "response_type": "in_channel" if answer.reply.public else "ephemeral",
        }


def locale(body: dict[str, Any]) -> str | None:
    """The user's locale in an interactive payload, when Slack sends one (it is opt-in)."""
    found = body.get("locale") or (body.get("user") or {}).get("locale")
    return found if isinstance(found, str) else None


def reason_modal(command: str, meta: str) -> dict[str, Any]:
    """The modal that asks why a task is blocked (in the language being spoken)."""
    what = " ".join(command.split()[1:2])
    return {
        "type": "modal",
        "callback_id": REASON_CALLBACK,
        "private_metadata": meta,
        "title": {"type": "plain_text", "text": t("chat.reason_title")[:24]},
        "submit": {"type": "plain_text", "text": t("chat.reason_submit")[:24]},
        "close": {"type": "plain_text", "text": t("chat.reason_cancel")[:24]},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": t("chat.reason_question", what=what)[:2000]},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "multiline": True,
                    "max_length": 500,
                },
            }
        ],
    }


def post(url: str, message: dict[str, Any]) -> None:
    """Answer through a response_url (over this process's kept connections), retrying rate
    limits as Slack asks."""
    if not url:
        log.warning("no response_url to answer to: %s", message.get("text"))
        return
    response = shared_poster().post(url, message)
    if response.status != 200:
        log.error("response_url answered HTTP %s: %s", response.status, response.body[:200])


class _guard:
    """Log a failure with its context and give the user a short apology, never a trace."""

    def __init__(self, what: str, user: object, text: object, url: str, language: str) -> None:
        self.what, self.user, self.text, self.url = what, user, text, url
        self.language = language

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _tb: object) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        ref = uuid.uuid4().hex[:8]
        log.error(
            "slack %s failed [ref %s] user=%s text=%r: %s: %s",
            self.what,
            ref,
            self.user,
            self.text,
            type(error).__name__,
            error,
            exc_info=error,
        )
        if self.url:
            try:
                with speaking(self.language):
                    apology = t("chat.apology", ref=ref)
                post(self.url, {"text": apology, "response_type": "ephemeral"})
            except Exception:
                log.exception("could not send the apology [ref %s]", ref)
        return True


def build_app(runtime: Runtime, settings: SlackSettings, *, workers: int = 4, processes: Any = None) -> App:
    """The Bolt app for these settings (calls ``auth.test`` once, as Bolt does at start-up)."""
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, retry_handlers=retry_handlers())
    later = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sf1590-slack")
    app = App(
        client=client,
        signing_secret=settings.signing_secret or None,
        process_before_response=True,
        request_verification_enabled=True,
        listener_executor=later,
    )
    bot = SlackBot(runtime, processes)

    def on_command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        defer(later, lambda: bot.on_command(body, client))

    def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        defer(later, lambda: bot.on_click(body, action, client))

    def on_ask(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        defer(later, lambda: bot.on_ask(body, action, client))

    def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        defer(later, lambda: bot.on_reason(body, view, client))

    def on_home(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
        ack()
        defer(later, lambda: bot.on_home(event, client))

    app.command("/sf1590")(on_command)
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(on_click)
    app.action(re.compile("^" + re.escape(ASK_PREFIX)))(on_ask)
    app.view(REASON_CALLBACK)(on_reason)
    app.event("app_home_opened")(on_home)
    assert MAX_BLOCKS <= HOME_MAX_BLOCKS
    return app
