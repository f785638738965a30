"""Reply -> Block Kit, as a pure function, always within Slack's limits.

At most 50 blocks, section text within 3000 characters, button labels within 75, every piece of
plan or user text escaped for mrkdwn (``&``, ``<``, ``>``) and @channel/@here/@everyone defused.
"""

from __future__ import annotations

from typing import Any

from bot.broadcast import defuse
from commands.messages import t
from commands.reply import Action, Reply, Section, TaskLine, Tone

__all__ = [
    "ACTION_PREFIX",
    "ASK_PREFIX",
    "MAX_BLOCKS",
    "MAX_TEXT",
    "action_id",
    "escape",
    "render_blocks",
    "render_text",
]

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_BUTTON = 75
MAX_VALUE = 2000
ACTION_PREFIX = "sf1590:"  # a button that runs its value as a command
ASK_PREFIX = "sf1590-ask:"  # a button that asks for a reason first (a modal)

_MARK = {Tone.ERROR: ":x: ", Tone.WARNING: ":warning: ", Tone.SUCCESS: ":white_check_mark: ", Tone.INFO: ""}

Block = dict[str, Any]


def escape(text: str) -> str:
    """Text safe inside mrkdwn: no markup, links or mentions can come from it."""
    return defuse(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text)}]}


def action_id(action: Action, index: int) -> str:
    """``sf1590:done:0``: the verb is in the id, the command in the button's value."""
    verb = (action.command.split() or ["run"])[0].lower()
    return f"{ASK_PREFIX if action.needs_reason else ACTION_PREFIX}{verb}:{index}"


def _button(action: Action, index: int) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id(action, index),
        "text": {"type": "plain_text", "text": _cut(defuse(action.label), MAX_BUTTON)},
        "value": action.command[:MAX_VALUE],
    }
    if action.style in ("primary", "danger"):
        button["style"] = action.style
    return button


def _actions(actions: tuple[Action, ...]) -> Block:
    return {"type": "actions", "elements": [_button(a, i) for i, a in enumerate(actions[:25])]}


def _task_text(task: TaskLine) -> str:
    flag = ":red_circle: " if task.urgent else ""
    head = f"{flag}*{escape(task.code)}* {escape(task.title)}"
    meta = " · ".join(escape(part) for part in (task.municipality, task.owner, task.deadline_note) if part)
    lines = [head, f"{meta} · _{escape(task.state)}_"]
    if task.detail:
        lines.append(f"> {escape(task.detail)}")
    return "\n".join(lines)


def _line_chunks(lines: tuple[str, ...]) -> list[str]:
    """Join lines into texts of at most MAX_TEXT characters (a long line is cut)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = _cut(escape(line))
        if current and len(current) + 1 + len(line) > MAX_TEXT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _section_blocks(section: Section) -> list[Block]:
    blocks: list[Block] = []
    if section.title:
        blocks.append(_section(f"*{escape(section.title)}*"))
    blocks.extend(_section(chunk) for chunk in _line_chunks(section.lines))
    for task in section.tasks:
        blocks.append(_section(_task_text(task)))
        if task.actions:
            blocks.append(_actions(task.actions))
    if section.hidden:
        blocks.append(_context(escape(t("chat.more", count=section.hidden))))
        if section.more:
            blocks.append(_actions((section.more,)))
    return blocks


def render_blocks(reply: Reply, *, note: str = "") -> list[Block]:
    """The blocks of one message; ``note`` (already mrkdwn) is added as a context line.

    Its own texts ("… and 3 more") are in the language being spoken (``speaking``)."""
    head = [_section(_MARK[reply.tone] + f"*{escape(reply.headline)}*")]
    body: list[Block] = [b for s in reply.sections for b in _section_blocks(s)]
    tail: list[Block] = []
    if reply.actions:
        tail.append(_actions(reply.actions))
    if reply.footer:
        tail.append(_context(escape(reply.footer)))
    if note:
        tail.append(_context(note))
    room = MAX_BLOCKS - len(head) - len(tail)
    if len(body) > room:
        cut = room - 1
        if cut > 0 and body[cut - 1]["type"] == "section" and body[cut]["type"] == "actions":
            cut -= 1  # keep a task and its buttons together
        body = [*body[:cut], _context(t("chat.too_long_message"))]
    return head + body + tail


def render_text(reply: Reply) -> str:
    """The plain-text fallback (notifications, screen readers)."""
    return _cut(escape(reply.headline))
