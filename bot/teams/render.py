"""Reply -> Adaptive Card (schema 1.5, what Teams renders), as a pure function.

Buttons are ``Action.Execute`` (Universal Actions: Teams sends an ``adaptiveCard/action`` invoke
and shows the card we answer with in place of the old one). A button that needs a reason is an
``Action.ShowCard`` holding a required ``Input.Text`` and its own ``Action.Execute``. Every button
carries the command to run in ``data.command``; the adapter runs it as if it had been typed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.broadcast import defuse
from bot.files import FileLink
from bot.teams.markdown import escape, mention_map, with_mentions
from commands.messages import t
from commands.reply import Action, Reply, Section, TaskLine, Tone

__all__ = [
    "CARD_CONTENT_TYPE",
    "CARD_VERSION",
    "MAX_CARD_BYTES",
    "REASON_PREFIX",
    "VERB",
    "render_card",
    "render_text",
]

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERB = "sf1590"  # the Action.Execute verb (and Action.Submit data "verb") of every button
REASON_PREFIX = "reason-"  # ids of the reason inputs: reason-0, reason-1, …
MAX_REASON = 500
MAX_COMMAND = 500
MAX_TEXT = 2000
MAX_CARD_BYTES = 24_000  # Teams refuses messages above ~28 KB; keep room for the envelope
MAX_TASKS = 25

_COLOR = {Tone.ERROR: "Attention", Tone.WARNING: "Warning", Tone.SUCCESS: "Good", Tone.INFO: "Default"}

Element = dict[str, Any]


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    """Texts outside markdown (buttons, labels): broadcast tokens are defused, long text is cut
    with a visible "…"."""
    text = defuse(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(text: str, **style: Any) -> Element:
    cut = text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
    return {"type": "TextBlock", "text": escape(cut), "wrap": True, **style}


class _Ids:
    """Unique ids for the reason inputs of one card (the schema demands unique input ids)."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"{REASON_PREFIX}{self.count - 1}"


def _button(action: Action, ids: _Ids) -> Element:
    command = action.command[:MAX_COMMAND]
    if not action.needs_reason:
        button: Element = {
            "type": "Action.Execute",
            "title": _cut(action.label, 80),
            "verb": VERB,
            "data": {"verb": VERB, "command": command},
        }
        if action.style in ("primary", "danger"):
            button["style"] = "positive" if action.style == "primary" else "destructive"
        return button
    input_id = ids.next()
    what = " ".join(command.split()[1:2])
    return {
        "type": "Action.ShowCard",
        "title": _cut(action.label, 80),
        "card": {
            "type": "AdaptiveCard",
            "body": [
                {
                    "type": "Input.Text",
                    "id": input_id,
                    "label": _cut(t("chat.reason_question", what=what), 200),
                    "isMultiline": True,
                    "maxLength": MAX_REASON,
                    "isRequired": True,
                    "errorMessage": t("chat.reason_missing"),
                }
            ],
            "actions": [
                {
                    "type": "Action.Execute",
                    "title": _cut(action.label.rstrip("…. "), 80) or "OK",
                    "verb": VERB,
                    "style": "destructive",
                    "data": {"verb": VERB, "command": command, "reason_input": input_id},
                }
            ],
        },
    }


def _action_set(actions: tuple[Action, ...], ids: _Ids) -> Element:
    return {"type": "ActionSet", "actions": [_button(a, ids) for a in actions[:6]]}


def _task(task: TaskLine, ids: _Ids) -> Element:
    head = f"{'🔴 ' if task.urgent else ''}{task.code} {task.title}"
    meta = " · ".join(
        part for part in (task.municipality, task.owner, task.deadline_note, task.state) if part
    )
    items: list[Element] = [_text(head, weight="Bolder"), _text(meta, isSubtle=True, spacing="None")]
    if task.detail:
        items.append(_text(task.detail, isSubtle=True, spacing="None"))
    if task.actions:
        items.append(_action_set(task.actions, ids))
    return {"type": "Container", "separator": True, "items": items}


def _pieces(line: str) -> list[str]:
    """A line longer than MAX_TEXT split between words (a list of 91 names), never cut."""
    pieces: list[str] = []
    while len(line) > MAX_TEXT:
        space = line.rfind(" ", 0, MAX_TEXT)
        cut = space if space > 0 else MAX_TEXT
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return [*pieces, line]


def _line_chunks(lines: tuple[str, ...]) -> list[str]:
    """Lines joined into texts of at most MAX_TEXT characters each, so no line is cut short
    because the lines before it were long (a page of a wave's answer)."""
    chunks: list[str] = []
    for line in (piece for whole in lines for piece in _pieces(whole)):
        if chunks and len(chunks[-1]) + 2 + len(line) <= MAX_TEXT:
            chunks[-1] += "\n\n" + line
        else:
            chunks.append(line)
    return chunks


def _section(section: Section, ids: _Ids, room: int) -> tuple[list[Element], int]:
    out: list[Element] = []
    if section.title:
        out.append(_text(section.title, weight="Bolder", size="Medium", separator=True))
    out.extend(_text(chunk, spacing="Small") for chunk in _line_chunks(section.lines))
    shown = section.tasks[: max(room, 0)]
    out.extend(_task(task, ids) for task in shown)
    hidden = section.hidden + len(section.tasks) - len(shown)
    if hidden:
        out.append(_text(t("chat.more", count=hidden), isSubtle=True))
        if section.more:
            out.append(_action_set((section.more,), ids))
    return out, room - len(shown)


def _files(files: Sequence[FileLink]) -> list[Element]:
    """Images in the card (served under their signed links); other files as download buttons."""
    out: list[Element] = []
    for link in files:
        attachment = link.attachment
        if link.is_image:
            out.append(
                {
                    "type": "Image",
                    "url": link.url,
                    "size": "Stretch",
                    "separator": True,
                    "altText": _cut(attachment.alt_text or attachment.title or attachment.filename, 400),
                }
            )
    downloads = [link for link in files if not link.is_image]
    if downloads:
        out.append(
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.OpenUrl",
                        "url": link.url,
                        "title": _cut(
                            t("files.link", title=link.attachment.title or link.attachment.filename), 80
                        ),
                    }
                    for link in downloads[:6]
                ],
            }
        )
    if files:
        out.append(_text(t("files.link_note"), isSubtle=True, spacing="None"))
    return out


def _card(reply: Reply, note: str, max_tasks: int, files: Sequence[FileLink] = ()) -> Element:
    ids = _Ids()
    body: list[Element] = [_text(reply.headline, weight="Bolder", size="Medium", color=_COLOR[reply.tone])]
    room = max_tasks
    for section in reply.sections:
        elements, room = _section(section, ids, room)
        body.extend(elements)
    body.extend(_files(files))
    if room < 0 or sum(len(s.tasks) for s in reply.sections) > max_tasks:
        body.append(_text(t("chat.too_long_card"), isSubtle=True))
    if reply.footer:
        body.append(_text(reply.footer, isSubtle=True, separator=True))
    if note:
        body.append(_text(note, isSubtle=True))
    card: Element = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if reply.actions:
        card["actions"] = [_button(a, ids) for a in reply.actions[:6]]
    return card


def render_card(reply: Reply, *, note: str = "", files: Sequence[FileLink] = ()) -> Element:
    """The Adaptive Card of one reply, within Teams' size limit (fewer tasks when too big);
    ``files`` are the reply's files published under signed links (bot.files).

    Its own texts ("… and 3 more") are in the language being spoken (``speaking``)."""
    max_tasks = MAX_TASKS
    while True:
        card = _card(reply, note, max_tasks, files)
        if len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_CARD_BYTES:
            return with_mentions(card, mention_map(reply))
        if max_tasks == 0:
            return with_mentions(_without_last_lines(card), mention_map(reply))
        max_tasks //= 2


def _size(card: Element) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def _without_last_lines(card: Element) -> Element:
    """Still too big without any task: the last texts of the sections' lines (the blocks
    ``_section`` gives spacing "Small") go, and the card says that the rest did not fit."""
    body: list[Element] = card["body"]
    note = _text(t("chat.too_long_card"), isSubtle=True)
    lines = [n for n, e in enumerate(body) if e["type"] == "TextBlock" and e.get("spacing") == "Small"]
    while lines and _size(card) + _size(note) > MAX_CARD_BYTES:
        del body[lines.pop()]
    if note not in body:
        body.insert(lines[-1] + 1 if lines else len(body), note)
    return card


def render_text(reply: Reply) -> str:
    """The plain-text summary (notifications, the activity feed)."""
    return _cut(reply.headline, 200)
