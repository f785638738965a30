"""The console adapter: a terminal chat with the bot, interactive or from piped input.

Buttons are numbered in each reply; ``click N`` presses one (``click N reason…`` for Block…).
At a terminal the line is edited with prompt_toolkit: history kept between runs, Tab completes
verbs, municipalities, waves, gates and task codes, Ctrl-C cancels the line, Ctrl-D leaves.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.runtime import Runtime
from commands.admin import CONSOLE, actor_for, describe, rights
from commands.context import Actor
from commands.core import COMMANDS
from commands.messages import speaking, t
from commands.parse import loose
from commands.reply import Action, Attachment, Reply, Tone
from rollout.graph import PlanGraph

__all__ = [
    "DEFAULT_FILES_DIR",
    "PLATFORM",
    "ConsoleSession",
    "completion_words",
    "console_actor",
    "history_path",
    "render_text",
    "replay_line",
    "save_file",
]

PLATFORM = CONSOLE
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

    ``actor`` is who types (``--as``, with the rights of ``--role`` or of their registration);
    ``channel`` the console channel they type in (``--channel``), which `channel P2` links to a
    wave; ``language`` a choice (``--language``), else the runtime's configured one. Files a
    reply carries (charts, reports, exports) are written to ``files_dir`` (``--files``) and their
    paths printed.
    """

    runtime: Runtime
    actor: Actor
    out: TextIO = field(default_factory=lambda: sys.stdout)
    language: str | None = None
    buttons: list[Action] = field(default_factory=list)
    files_dir: Path = DEFAULT_FILES_DIR
    channel: str | None = None

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
            PLATFORM, self.actor.handle, self.channel, text, language=self.language, actor=self.actor
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
        """Read lines until they end or `exit`: piped input, or a terminal without line editing."""
        if prompt:
            print("> ", end="", file=self.out, flush=True)
        for line in lines:
            if line.strip().lower() in ("exit", "quit"):
                break
            self.handle(line)
            if prompt:
                print("> ", end="", file=self.out, flush=True)

    def interactive(self, history: Path | None) -> None:
        """Read lines at a terminal with line editing, history (``history``, None for none) and
        Tab completion, until `exit` or Ctrl-D; Ctrl-C drops the line being typed."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import WordCompleter
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        kept: FileHistory | InMemoryHistory = InMemoryHistory()
        if history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                history.touch()
                kept = FileHistory(str(history))
            except OSError as err:  # a read-only home: edit lines all the same, keep none
                with speaking(self.runtime.language_for(self.language)):
                    print(t("console.no_history", path=history, error=err.strerror), file=self.out)
        words = completion_words(self.runtime)
        prompt: PromptSession[str] = PromptSession(
            history=kept,
            completer=WordCompleter(words, ignore_case=True, WORD=True),
            complete_while_typing=False,  # Tab asks, as in a shell
        )
        with speaking(self.runtime.language_for(self.language)):
            print(t("console.keys"), file=self.out, flush=True)
        while True:
            try:
                line = prompt.prompt("> ")
            except KeyboardInterrupt:  # Ctrl-C: the line is dropped, the console stays
                continue
            except EOFError:  # Ctrl-D: leave on a line of our own
                print(file=self.out, flush=True)
                return
            if line.strip().lower() in ("exit", "quit"):
                return
            try:
                self.handle(line)
            except KeyboardInterrupt:  # a long answer cut short: the next prompt, not a traceback
                with speaking(self.runtime.language_for(self.language)):
                    print(t("console.cancelled"), file=self.out, flush=True)


def completion_words(runtime: Runtime) -> list[str]:
    """What Tab completes: verbs, municipalities (as typed without Danish letters), waves,
    gates and task codes (A/TS213 and TS213)."""
    plan = runtime.graph.plan
    slugs = [m.slug for m in runtime.store.municipalities().values()]
    municipalities = sorted({*slugs, *(loose(slug) for slug in slugs)})  # koebenhavn and kobenhavn
    gates = sorted({g for d in plan.tracked for g in plan.diagrams[d].gates})
    refs = [task.ref for task in plan.tracked_tasks()]
    codes = sorted({task.code for task in plan.tracked_tasks()})
    return list(dict.fromkeys([*COMMANDS, "me", *municipalities, *plan.waves, *gates, *codes, *refs]))


def replay_line(graph: PlanGraph, today: date) -> str:
    """Where ``today`` lies in the plan, for the console's first line: the next gate of any wave
    and the working days left to it, or the last gate once every one has passed."""
    dated = sorted(
        (day, wave.order, gate, wave.id)
        for wave in graph.plan.wave_order()
        for gate in dict.fromkeys(g for d in graph.plan.tracked for g in graph.plan.diagrams[d].gates)
        if (days := graph.gate_dates(gate, wave.id)) and (day := min(days.values()))
    )
    upcoming = [item for item in dated if item[0] >= today]
    if upcoming:
        day, _, gate, wave = upcoming[0]
        if day == today:
            return t("console.replaying_on", today=today.isoformat(), gate=gate, wave=wave)
        left = graph.calendar.working_days_between(today, day)
        return t(
            "console.replaying_before",
            today=today.isoformat(),
            count=left,
            gate=gate,
            wave=wave,
            day=day.isoformat(),
        )
    if dated:
        day, _, gate, wave = max(dated)
        return t(
            "console.replaying_after", today=today.isoformat(), gate=gate, wave=wave, day=day.isoformat()
        )
    return t("console.replaying", today=today.isoformat())


def history_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the console keeps the lines typed: $SF1590_HISTORY, else the user's state folder
    ($XDG_STATE_HOME/sf1590/history, by default ~/.local/state/sf1590/history)."""
    env = os.environ if env is None else env
    if env.get("SF1590_HISTORY"):
        return Path(env["SF1590_HISTORY"]).expanduser()
    state = env.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(state) / "sf1590" / "history"


def console_actor(runtime: Runtime, user: str, roles: Sequence[str]) -> tuple[Actor, str]:
    """Who types at the console, and a line saying so: ``user`` with the rights ``roles`` give
    (``coordinator:aarhus``, ``manager:P2``, ``ksd:all``, ``admin``); without roles, the rights
    ``user`` was registered with in the console (`register @anna …`), else an admin.
    Raises UserError for a role word that gives no rights."""
    handle = user.lower()
    person = runtime.people.person_for(PLATFORM, handle)
    if roles:
        person = rights(
            runtime.context(),
            person.handle if person else handle,
            person.name if person else user,
            list(roles),
        )
    if person is None:
        return Actor(handle, user, is_admin=True), t("console.you_are_default", user=handle)
    described = describe(person, runtime.store.municipalities())
    if person.name == handle:
        return actor_for(person), t("console.you_are_plain", user=handle, rights=described)
    return actor_for(person), t("console.you_are", name=person.name, user=handle, rights=described)


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
