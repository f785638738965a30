"""Adaptive Card TextBlock markdown for Teams: plan and user text escaped so it shows as typed,
and real mentions (``<at>…</at>`` plus a ``mention`` entity) of the owners a notice names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.broadcast import defuse
from commands.notices import MENTIONS
from commands.reply import Reply

__all__ = ["escape", "mention_map", "with_mentions"]

# TextBlock text is markdown: these make links, emphasis, code, headings and (Teams) mentions.
_MARKDOWN = re.compile(r"([\\`*_\[\]()<>#~])")
_LIST_START = re.compile(r"^([ \t]*)([-+]|\d+\.)(?=[ \t]|$)", re.MULTILINE)
_HANDLE = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9-]*)")


def _unlist(match: re.Match[str]) -> str:
    indent, marker = match.groups()
    return f"{indent}{marker[:-1]}\\." if marker.endswith(".") else f"{indent}\\{marker}"


def escape(text: str) -> str:
    """Plan or user text shown as typed in a TextBlock: a backslash before every markdown
    character, and before a list marker at a line's start, so no link (``[x](url)``), emphasis,
    list or ``<at>`` mention can come from it; @here-style tokens are defused too."""
    return _LIST_START.sub(_unlist, _MARKDOWN.sub(r"\\\1", defuse(text)))


def mention_map(reply: Reply) -> dict[str, str]:
    """``handle -> Teams id`` of the owners a notice names (``Reply.extra[MENTIONS]``)."""
    pairs = (part.split("=", 1) for part in reply.extra.get(MENTIONS, "").split(";") if "=" in part)
    return {handle: address for handle, address in pairs if handle and address}


def _mention(node: Any, mentions: Mapping[str, str], used: set[str]) -> None:
    """``@handle`` in the TextBlocks under ``node`` -> ``<at>handle</at>`` (escaped user text
    cannot make an ``<at>`` of its own: its ``<`` carries a backslash)."""

    def swap(match: re.Match[str]) -> str:
        handle = match.group(1)
        if handle not in mentions:
            return match.group(0)
        used.add(handle)
        return f"<at>{handle}</at>"

    if isinstance(node, list):
        for item in node:
            _mention(item, mentions, used)
    elif isinstance(node, dict):
        if node.get("type") == "TextBlock":
            node["text"] = _HANDLE.sub(swap, node["text"])
        for value in node.values():
            if isinstance(value, list | dict):
                _mention(value, mentions, used)


def with_mentions(card: dict[str, Any], mentions: Mapping[str, str]) -> dict[str, Any]:
    """Real Teams mentions: ``<at>handle</at>`` in the text and one ``mention`` entity per
    person (``mentioned.id`` is the AAD object id the person registered with)."""
    used: set[str] = set()
    _mention(card["body"], mentions, used)
    if used:
        card["msteams"]["entities"] = [
            {
                "type": "mention",
                "text": f"<at>{handle}</at>",
                "mentioned": {"id": mentions[handle], "name": handle},
            }
            for handle in sorted(used)
        ]
    return card
