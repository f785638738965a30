"""Who asks, from where, at what moment, and what the command may use to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from rollout.graph import PlanGraph
from storage.people import PeopleStore
from storage.ports import Change, CommandRecord, RolloutStore
from storage.reminders import ReminderSettingsStore

__all__ = ["Actor", "BoardLink", "BoardLinkMinter", "CommandContext", "Invocation"]


@dataclass(frozen=True)
class Actor:
    """A person and what they may change.

    ``roles`` are plan roles the person acts for (``bookkeeping_supplier``), limited to
    ``municipalities`` when that is not empty; ``coordinates`` are municipalities whose own tasks
    the person may change; ``manages`` are waves whose every task the person may change.
    """

    handle: str
    name: str
    is_admin: bool = False
    roles: frozenset[str] = frozenset()
    municipalities: frozenset[int] = frozenset()
    coordinates: frozenset[int] = frozenset()
    manages: frozenset[str] = frozenset()

    @property
    def has_scope(self) -> bool:
        return bool(self.roles or self.coordinates or self.manages)


@dataclass(frozen=True)
class Invocation:
    """One command as typed (or clicked): text, actor, platform and the channel's wave."""

    text: str
    actor: Actor
    source: str  # console | slack | teams | scheduler
    channel_wave: str | None = None
    language: str = "en"
    channel: str | None = None  # the platform's channel id, for `channel` (link it to a wave)
    shared: bool = False  # every answer is seen by everyone in the conversation (a Teams channel)


@dataclass(frozen=True)
class BoardLink:
    """A link to the live board that only the server can mint, for one person, until ``expires``."""

    url: str
    expires: datetime


# (handle, name, page below /board, language) -> the link; set where a board is served
BoardLinkMinter = Callable[[str, str, str, str], BoardLink]


@dataclass
class CommandContext:
    """What a command runs against: storage, the plan graph and the moment of the request.

    ``people`` (for `register`, `channel`) and ``reminders`` (for `remind`) are None where the
    runtime has no such store; the commands that need them then say so.
    """

    store: RolloutStore
    graph: PlanGraph
    now: datetime  # aware
    today: date  # the rollout date in Europe/Copenhagen (may be a replayed date)
    people: PeopleStore | None = None
    reminders: ReminderSettingsStore | None = None
    command_id: str = ""  # set once per dispatch; every change the command records carries it
    board_link: BoardLinkMinter | None = None  # mints `board` links where a board is served

    def change(self, invocation: Invocation) -> Change:
        return Change(invocation.actor.handle, invocation.source, self.now)

    def command(self, invocation: Invocation, verb: str) -> CommandRecord:
        """The record that ties together every write of this command."""
        if not self.command_id:
            raise RuntimeError("a command writes only through commands.core.dispatch")
        return CommandRecord(self.command_id, verb, self.change(invocation))
