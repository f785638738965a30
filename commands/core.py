"""The command core: one explicit registry of verbs and one error policy, for every platform."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from commands import admin, change, exports, query, remind, waves
from commands.board import board
from commands.charts.command import chart
from commands.context import CommandContext, Invocation
from commands.grammar import has_marker
from commands.messages import has_text, speaking, t
from commands.parse import UserError, split_command, suggest
from commands.reply import Reply, Section, Tone
from commands.report import report
from commands.roster import roster

__all__ = ["COMMANDS", "Command", "dispatch"]

log = logging.getLogger(__name__)

Handler = Callable[[CommandContext, Invocation, list[str]], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    admin: bool = False
    personal: bool = False  # its answer is for the asker alone (a link bound to them): never public

    @property
    def summary(self) -> str:
        """The help text: the handler's docstring (first line), or its translation."""
        if has_text(f"summary.{self.name}"):
            return t(f"summary.{self.name}")
        return (self.handler.__doc__ or "").strip().splitlines()[0]

    @property
    def usage(self) -> str:
        return t(f"usage.{self.name}")


def help_(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """What the bot can do; `help done` for one command."""
    if args:
        name = args[0].lower()
        command = COMMANDS.get(name)
        if command is None:
            raise _unknown(name)
        return Reply(f"`{command.usage}`", (Section(lines=(command.summary,)),))
    lines = tuple(
        f"`{c.usage}` — {c.summary}" for c in COMMANDS.values() if not c.admin or inv.actor.is_admin
    )
    return Reply(t("help.headline"), (Section(lines=lines),), footer=t("help.footer"))


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("help", help_),
        Command("next", query.next_),
        Command("blocked", query.blocked),
        Command("status", query.status),
        Command("show", query.show),
        Command("gate", waves.gate),
        Command("wave", waves.wave),
        Command("history", waves.history),
        Command("chart", chart),
        Command("export", exports.export),
        Command("done", change.done),
        Command("start", change.start),
        Command("block", change.block),
        Command("skip", change.skip),
        Command("reopen", change.reopen),
        Command("undo", change.undo),
        Command("move", waves.move, admin=True),
        Command("roster", roster, admin=True),
        Command("decide", waves.decide, admin=True),
        Command("register", admin.register, admin=True),
        Command("channel", admin.channel),
        Command("remind", remind.remind),
        Command("report", report),
        Command("board", board, personal=True),
    )
}


def _unknown(verb: str) -> UserError:
    options = suggest(verb, COMMANDS)
    hint = t("hint.did_you_mean", options=" / ".join(f"`{o}`" for o in options)) if options else ""
    return UserError(
        t("error.unknown_command", verb=verb, valid=", ".join(COMMANDS)), hint=hint or t("hint.help")
    )


def dispatch(ctx: CommandContext, inv: Invocation) -> Reply:
    """Run one command. Never raises: bad input and failures both come back as a Reply."""
    with speaking(inv.language):
        return _dispatch(replace(ctx, command_id=uuid.uuid4().hex), inv)


def _dispatch(ctx: CommandContext, inv: Invocation) -> Reply:
    try:
        verb, args = split_command(inv.text)
        # After a reason marker the last word is part of the reason, even if it is "public".
        public = bool(args) and args[-1].lower() == "public" and not has_marker(args)
        if public:
            args = args[:-1]
        if not verb:
            return help_(ctx, inv, [])
        command = COMMANDS.get(verb)
        if command is None:
            raise _unknown(verb)
        if command.personal and inv.shared:
            raise UserError(
                t("error.personal_in_shared", verb=verb), hint=t("hint.personal_in_shared", verb=verb)
            )
        if command.personal and public:
            raise UserError(
                t("error.personal_not_public", verb=verb), hint=t("hint.personal_not_public", verb=verb)
            )
        reply = command.handler(ctx, inv, args)
        return replace(reply, public=True) if public else reply
    except UserError as err:
        footer = err.hint
        return Reply(err.message, tone=Tone.ERROR, footer=footer)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception(
            "command failed [ref %s] actor=%s source=%s text=%r",
            reference,
            inv.actor.handle,
            inv.source,
            inv.text,
            extra={"reference": reference},  # a field of its own in JSON logs
        )
        # Every write of a command is one transaction: it either committed whole, or not at all.
        return Reply(
            t("error.internal_recorded" if _recorded(ctx) else "error.internal", ref=reference),
            tone=Tone.ERROR,
            extra={"reference": reference},  # for metrics and logs: an internal error, not the user's
        )


def _recorded(ctx: CommandContext) -> bool:
    """Whether this command committed before it failed (False if that cannot be told)."""
    try:
        return ctx.command_id != "" and ctx.store.command_recorded(ctx.command_id)
    except Exception:  # the store cannot answer: say the likelier (a failed write)
        log.exception("could not tell whether command %s was recorded", ctx.command_id)
        return False
