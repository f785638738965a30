"""Wiring: database, plan and clock in; ``answer(platform, user, channel, text)`` that every chat
adapter calls, so who asks, from which channel's wave and in which language is decided once."""

from __future__ import annotations

import gc
import logging
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import Engine

from bot import metrics
from bot.clock import Clock
from bot.heap import release_free_heap
from bot.settings import Settings
from commands.admin import actor_for, unknown_actor
from commands.context import Actor, BoardLinkMinter, CommandContext, Invocation
from commands.core import dispatch
from commands.messages import LANGUAGES, has_text, speaking, t
from commands.reply import Reply
from rollout.graph import PlanGraph
from rollout.model import Status, TaskKey, TaskState
from rollout.plan_loader import load_plan_file
from rollout.status import Rollout
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.people import PeopleStore, SqlPeopleStore
from storage.ports import Change, CommandRecord, RolloutStore, TaskChange
from storage.reminders import ReminderSettingsStore, SqlReminderSettings
from storage.repository import SqlRolloutStore
from storage.roster import read_demo_roster

__all__ = ["Answer", "Runtime", "not_registered", "open_runtime", "pick_language", "seed_demo"]

log = logging.getLogger(__name__)

DEMO_ACTOR = "demo-seed"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # a platform's user id as shown in a note: nothing else


@dataclass(frozen=True)
class Answer:
    """A command's reply for one person, and what the adapter needs to render it.

    ``language`` is the language of the reply: render the rest of the message in it too.
    ``note`` is, for someone not registered, how to get registered (in that language), else "".
    """

    reply: Reply
    language: str
    actor: Actor
    registered: bool
    note: str = ""


@dataclass
class Runtime:
    """One bot: its storage, its plan, its clock and the language it answers in by default."""

    engine: Engine
    store: RolloutStore
    graph: PlanGraph
    clock: Clock
    people: PeopleStore
    reminders: ReminderSettingsStore
    language: str = "en"
    board_link: BoardLinkMinter | None = None  # set where the board is served (bot.board)

    def context(self) -> CommandContext:
        return CommandContext(
            self.store,
            self.graph,
            self.clock.now(),
            self.clock.today(),
            people=self.people,
            reminders=self.reminders,
            board_link=self.board_link,
        )

    def run(self, invocation: Invocation) -> Reply:
        """Run one command as of now."""
        return dispatch(self.context(), invocation)

    def warm(self) -> None:
        """Build the kept snapshot and today's view of every instance now, so a server's first
        wave-wide answer does not pay for them (later changes only renew what they reach)."""
        rollout = self.store.snapshot(self.graph)
        rollout.views([*rollout.task_keys(), *rollout.wave_keys()], self.clock.today())
        release_free_heap()  # what the build's temporaries freed: 3 MB of a 10x worker

    def language_for(self, hint: str | None) -> str:
        """The language to answer in: the hint ("da", "da-DK") when we speak it, else the default."""
        return pick_language(hint, self.language)

    def identify(self, platform: str, user_id: str, user_name: str = "") -> tuple[Actor, bool]:
        """The person behind a chat account and their rights; False when not registered."""
        person = self.people.person_for(platform, user_id) if user_id else None
        if person is None:
            return unknown_actor(platform, user_id or "unknown", user_name), False
        return actor_for(person), True

    def answer(
        self,
        platform: str,
        user_id: str,
        channel_id: str | None,
        text: str,
        *,
        language: str | None = None,
        user_name: str = "",
        actor: Actor | None = None,
        shared: bool = False,
    ) -> Answer:
        """Run ``text`` typed by ``user_id`` on ``platform`` in ``channel_id``: the one seam of
        every chat adapter. ``language`` is the platform's hint (a locale); ``actor`` overrides
        the person lookup (the console's ``--as``, who acts as an admin); ``shared`` says that
        everyone in the conversation sees every answer (Teams has no answer for one person)."""
        spoken = self.language_for(language)
        registered = actor is not None
        if actor is None:
            actor, registered = self.identify(platform, user_id, user_name)
        wave = self.people.channel_wave(platform, channel_id) if channel_id else None
        started = time.perf_counter()
        reply = self.run(
            Invocation(text, actor, platform, wave, language=spoken, channel=channel_id, shared=shared)
        )
        metrics.observe(text, reply, time.perf_counter() - started)
        return Answer(
            reply, spoken, actor, registered, "" if registered else not_registered(platform, user_id, spoken)
        )


def open_runtime(
    settings: Settings, clock: Clock, *, migrate: bool = True, engine: Engine | None = None
) -> Runtime:
    """Migrate the database (unless told not to), load the plan, and wire a runtime."""
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    graph = PlanGraph(load_plan_file(settings.plan_path))
    _freeze_startup_heap()
    language = settings.language if settings.language in LANGUAGES else "en"
    if language != settings.language:
        log.warning(
            "SF1590_LANGUAGE=%r is not one of %s; answering in English",
            settings.language,
            ", ".join(LANGUAGES),
        )
    return Runtime(
        engine,
        SqlRolloutStore(engine),
        graph,
        clock,
        SqlPeopleStore(engine),
        SqlReminderSettings(engine),
        language,
    )


_HEAP_FROZEN: list[bool] = []  # once per process


def _freeze_startup_heap() -> None:
    """Move what start-up loaded (every module, the plan) out of the cyclic garbage collector's
    way: it lives as long as the process, and a full collection would walk all of it each
    time (a quarter of a from-scratch K91 answer's CPU). Once per process, so only start-up's
    objects are frozen."""
    if not _HEAP_FROZEN:
        gc.collect()
        gc.freeze()
        _HEAP_FROZEN.append(True)


def pick_language(hint: str | None, default: str) -> str:
    """``hint`` (a language or a locale: "da", "da-DK", "da_DK") when we speak it, else
    ``default``."""
    base = (hint or "").replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else default


def not_registered(platform: str, user_id: str, language: str) -> str:
    """How someone not registered gets registered, in ``language``, for their platform."""
    user = _UNSAFE.sub("", user_id) or "unknown"
    with speaking(language):
        key = f"chat.not_registered.{platform}"
        return t(key if has_text(key) else "chat.not_registered", user=user)


def seed_demo(runtime: Runtime, settings: Settings) -> int:
    """Load the demo roster and its recorded progress into an empty database.

    Returns the number of municipalities loaded (0 when the database already has a roster).
    """
    if runtime.store.municipalities():
        return 0
    change = Change(DEMO_ACTOR, "seed", runtime.clock.now())
    roster = read_demo_roster(settings.demo_roster_path, settings.municipalities_path)
    runtime.store.save_municipalities(roster, change=change)
    if settings.demo_progress_path.exists():
        _seed_progress(runtime, settings.demo_progress_path, change)
    return len(roster)


def _seed_progress(runtime: Runtime, path: Path, change: Change) -> None:
    """Record the demo's progress: tasks due before a date are done, with named exceptions.

    Tasks due before the cutoff, and all they wait on, are marked done in dependency order,
    never past an exception (a task left open or blocked), so the demo never shows work done
    out of order.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    municipalities = runtime.store.municipalities()
    by_slug = {m.slug: m for m in municipalities.values()}
    exceptions: dict[TaskKey, TaskState] = {}
    for item in raw.get("exceptions") or []:
        code = by_slug[item["municipality"]].code if item.get("municipality") else 0
        key = (
            TaskKey.for_wave(item["task"], str(item["wave"]))
            if item.get("wave")
            else TaskKey(item["task"], code)
        )  # a runbook task of the wave
        exceptions[key] = TaskState(Status(item.get("status", "todo")), item.get("reason", ""))
    cutoffs = {str(w): rule["done_when_due_before"] for rule in raw.get("rules") or [] for w in rule["waves"]}
    states: dict[TaskKey, TaskState] = {}
    rollout = Rollout(runtime.graph, municipalities, states)
    due = set()
    for key in [*rollout.task_keys(), *rollout.wave_keys()]:
        deadline = rollout.deadline(key)
        wave = rollout.wave_of(key)
        cutoff = cutoffs.get(wave) if wave else max(cutoffs.values(), default=None)
        if deadline is not None and cutoff is not None and deadline.day < cutoff:
            due.add(key)
    # A wave on track has also done everything its due tasks wait on.
    frontier = list(due)
    while frontier:
        for pred in runtime.graph.predecessors(frontier.pop(), municipalities):
            if pred not in due:
                due.add(pred)
                frontier.append(pred)
    order = {ref: i for i, ref in enumerate(runtime.graph.topological_refs())}
    for key in sorted(due | set(exceptions), key=lambda k: (order[k.ref], k)):
        if key in exceptions:
            states[key] = exceptions[key]
        elif not rollout.waits_on(key):
            states[key] = TaskState(Status.DONE)
    # One transaction for the whole demo: all of it is seeded, or none (and it is fast).
    runtime.store.record(
        CommandRecord(uuid.uuid4().hex, "seed", change),
        tasks=[TaskChange(key, state, rollout.initial_state(key)) for key, state in states.items()],
    )
    log.info("demo progress loaded from %s (%d task states)", path, len(states))
