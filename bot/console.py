"""The console adapter: a terminal chat with the bot, interactive or from piped input.

Buttons are numbered in each reply; ``click N`` presses one (``click N reason…`` for Block…).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.runtime import Runtime
from commands.context import Actor
from commands.messages import speaking, t
from commands.reply import Action, Attachment, Reply, Tone

__all__ = ["DEFAULT_FILES_DIR", "PLATFORM", "ConsoleSession", "render_text", "save_file"]

PLATFORM = "console"
DEFAULT_FILES_DIR = Path("sf1590-files")

_MARK = {Tone.ERROR: "✗ ", Tone.WARNING: "! ", Tone.SUCCESS: "✓ ", Tone.INFO: ""}


def render_text(reply: Reply) -> tuple[str, list[Action]]:
    """Plain text for a terminal, and the buttons in the order they are numbered."""
    buttons: list[Action] = []

    def button(action: Action) -> str:
        buttons.append(action)
        return f"[{len(buttons)}] {action.label}"

    out = [_MARK[reply.tone] + reply.headline]
    for section in reply.sections:
        if section.title:
            out.append(section.title)
        out.extend(f"  {line}" for line in section.lines)
        for task in section.tasks:
            flag = "‼ " if task.urgent else "• "
            out.append(
                f"  {flag}{task.code} {task.title} — {task.municipality} — {task.owner}"
                f" — {task.deadline_note} — {task.state}"
            )
            if task.detail:
                out.append(f"      {task.detail}")
            if task.actions:
                out.append("      " + "  ".join(button(a) for a in task.actions))
        if section.hidden:
            more = f"  {button(section.more)}" if section.more else ""
            out.append("  " + t("console.more", count=section.hidden) + more)
    if reply.actions:
        out.append("  " + "  ".join(button(a) for a in reply.actions))
    if reply.footer:
        out.append(reply.footer)
    return "\n".join(out), buttons


@dataclass
class ConsoleSession:
    """One terminal conversation: reads lines, runs them, prints replies.

    ``actor`` is who types (``--as``; an admin); ``language`` a choice (``--language``), else the
    runtime's configured one. Files a reply carries (charts, reports, exports) are written to
    ``files_dir`` (``--files``) and their paths printed.
    """

    runtime: Runtime
    actor: Actor
    out: TextIO = field(default_factory=lambda: sys.stdout)
    language: str | None = None
    buttons: list[Action] = field(default_factory=list)
    files_dir: Path = DEFAULT_FILES_DIR

    def handle(self, line: str) -> Reply | None:
        """Run one typed line; ``None`` for blank lines."""
        text = line.strip()
        if not text:
            return None
        with speaking(self.runtime.language_for(self.language)):
            words = text.split()
            if words[0].lower() == "click":
                return self._click(words[1:])
            return self._run(text)

    def _run(self, text: str) -> Reply:
        answer = self.runtime.answer(
            PLATFORM, self.actor.handle, None, text, language=self.language, actor=self.actor
        )
        with speaking(answer.language):
            rendered, self.buttons = render_text(answer.reply)
            for attachment in answer.reply.files:
                path = save_file(self.files_dir, attachment)
                rendered += "\n  " + t("files.saved", path=path)
        print(rendered, file=self.out, flush=True)
        return answer.reply

    def _click(self, words: list[str]) -> Reply:
        # ASCII digits, a few of them: str.isdigit() accepts "²", and int() refuses 5,000 digits.
        if (
            not words
            or not re.fullmatch(r"[0-9]{1,6}", words[0])
            or not 1 <= int(words[0]) <= len(self.buttons)
        ):
            count = len(self.buttons)
            word = " ".join(words)
            word = word if len(word) <= 24 else word[:23] + "…"
            message = (
                "✗ "
                + t("console.no_button", word=word)
                + " "
                + (t("console.buttons", count=count) if count else t("console.no_buttons"))
            )
            print(message, file=self.out, flush=True)
            return Reply(message, tone=Tone.ERROR)
        action = self.buttons[int(words[0]) - 1]
        reason = " ".join(words[1:])
        if action.needs_reason and not reason:
            message = "✗ " + t("console.needs_reason", label=action.label, number=words[0])
            print(message, file=self.out, flush=True)
            return Reply(message, tone=Tone.ERROR)
        return self._run(f"{action.command} {reason}".strip())

    def loop(self, lines: Iterable[str], *, prompt: bool) -> None:
        if prompt:
            print("> ", end="", file=self.out, flush=True)
        for line in lines:
            if line.strip().lower() in ("exit", "quit"):
                break
            self.handle(line)
            if prompt:
                print("> ", end="", file=self.out, flush=True)


def save_file(folder: Path, attachment: Attachment) -> Path:
    """Write an attachment into ``folder`` (made if missing); a newer file of the same name
    replaces the older one (exports name their day). Written whole, then renamed, so a reader
    never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (Path(attachment.filename).name or "file")  # never outside the folder
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(attachment.content)
    partial.replace(path)
    return path.resolve()
