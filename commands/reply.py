"""The neutral reply model every command returns and every chat adapter renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = ["Action", "Attachment", "Reply", "Section", "TaskLine", "Tone"]


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Action:
    """A button: pressing it runs ``command`` as if the user had typed it."""

    label: str
    command: str
    style: str = ""  # "primary" | "danger" | ""
    needs_reason: bool = False  # the adapter asks for a reason and appends it to ``command``


@dataclass(frozen=True)
class TaskLine:
    key: str  # TaskKey.as_value()
    code: str  # namespaced, e.g. A/TS213
    title: str
    municipality: str
    owner: str
    deadline: date | None
    deadline_note: str
    state: str
    detail: str = ""
    urgent: bool = False
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str = ""
    lines: tuple[str, ...] = ()
    tasks: tuple[TaskLine, ...] = ()
    hidden: int = 0  # items left out to keep the message short
    more: Action | None = None


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a chart (PNG), a report (DOCX/PDF/MD/XLSX), an export
    (CSV/XLSX/ICS). Each adapter delivers it its own way: Slack uploads it into the conversation,
    Teams shows an image or a signed download link, the console writes it to a file and prints
    the path."""

    filename: str  # e.g. "readiness-K91-2020-03-20.png"; safe characters only
    media_type: str  # e.g. "image/png", "text/calendar"
    content: bytes
    title: str = ""  # what it is, in the reply's language
    alt_text: str = ""  # for images: what it shows, for screen readers


@dataclass(frozen=True)
class Reply:
    headline: str
    sections: tuple[Section, ...] = ()
    tone: Tone = Tone.INFO
    actions: tuple[Action, ...] = ()
    public: bool = False  # in-channel instead of only to the asker
    footer: str = ""
    changed: bool = False  # the command recorded a change
    extra: dict[str, str] = field(default_factory=dict)
    files: tuple[Attachment, ...] = ()

    def text_lines(self) -> list[str]:
        """Every line of text in the reply, for plain renderers and tests."""
        out = [self.headline]
        for section in self.sections:
            if section.title:
                out.append(section.title)
            out.extend(section.lines)
            out.extend(
                f"{t.code} {t.title} {t.municipality} {t.owner} {t.deadline_note} {t.state} {t.detail}"
                for t in section.tasks
            )
        if self.footer:
            out.append(self.footer)
        return out
