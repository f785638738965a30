"""A neutral reply as JSON, for the outbox: the message is fixed when its row is made."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from commands.reply import Action, Attachment, Reply, Section, TaskLine, Tone

__all__ = ["reply_from_json", "reply_to_json"]


def _default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):  # an attachment's content (a report on its milestone day)
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot store {type(value).__name__} in a payload")


def reply_to_json(reply: Reply) -> str:
    return json.dumps(asdict(reply), default=_default, ensure_ascii=False, sort_keys=True)


def _action(raw: dict[str, Any] | None) -> Action | None:
    return Action(**raw) if raw else None


def _task(raw: dict[str, Any]) -> TaskLine:
    deadline = date.fromisoformat(raw["deadline"]) if raw.get("deadline") else None
    actions = tuple(Action(**a) for a in raw.get("actions") or ())
    return TaskLine(**{**raw, "deadline": deadline, "actions": actions})


def _section(raw: dict[str, Any]) -> Section:
    return Section(
        title=raw.get("title", ""),
        lines=tuple(raw.get("lines") or ()),
        tasks=tuple(_task(t) for t in raw.get("tasks") or ()),
        hidden=int(raw.get("hidden", 0)),
        more=_action(raw.get("more")),
    )


def _file(raw: dict[str, Any]) -> Attachment:
    return Attachment(**{**raw, "content": base64.b64decode(raw["content"])})


def reply_from_json(text: str) -> Reply:
    raw = json.loads(text)
    return Reply(
        headline=raw["headline"],
        sections=tuple(_section(s) for s in raw["sections"]),
        tone=Tone(raw.get("tone", "info")),
        actions=tuple(Action(**a) for a in raw.get("actions") or ()),
        public=bool(raw.get("public")),
        footer=raw.get("footer", ""),
        changed=bool(raw.get("changed")),
        extra=dict(raw.get("extra") or {}),
        files=tuple(_file(f) for f in raw.get("files") or ()),
    )
