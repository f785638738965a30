"""Wiring: database, plan and clock in, a ``run(invocation)`` that every adapter calls."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import Engine

from bot.clock import Clock
from bot.settings import Settings
from commands.context import CommandContext, Invocation
from commands.core import dispatch
from commands.remind import REMINDERS
from commands.reply import Reply
from rollout.graph import PlanGraph
from rollout.model import Status, TaskKey, TaskState
from rollout.plan_loader import load_plan_file
from rollout.status import Rollout
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.ports import Change, CommandRecord, RolloutStore, TaskChange
from storage.reminders import SqlReminderSettings
from storage.repository import SqlRolloutStore
from storage.roster import read_demo_roster

__all__ = ["Runtime", "open_runtime", "seed_demo"]

log = logging.getLogger(__name__)

DEMO_ACTOR = "demo-seed"


@dataclass
class Runtime:
    """One bot: its storage, its plan and its clock."""

    engine: Engine
    store: RolloutStore
    graph: PlanGraph
    clock: Clock

    def context(self) -> CommandContext:
        return CommandContext(self.store, self.graph, self.clock.now(), self.clock.today(),
                              extras={REMINDERS: SqlReminderSettings(self.engine)})

    def run(self, invocation: Invocation) -> Reply:
        """Run one command as of now."""
        return dispatch(self.context(), invocation)


def open_runtime(settings: Settings, clock: Clock, *, migrate: bool = True,
                 engine: Engine | None = None) -> Runtime:
    """Migrate the database (unless told not to), load the plan, and wire a runtime."""
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    graph = PlanGraph(load_plan_file(settings.plan_path))
    return Runtime(engine, SqlRolloutStore(engine), graph, clock)


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
        exceptions[TaskKey(item["task"], code)] = TaskState(Status(item.get("status", "todo")),
                                                            item.get("reason", ""))
    cutoffs = {str(w): rule["done_when_due_before"]
               for rule in raw.get("rules") or [] for w in rule["waves"]}
    states: dict[TaskKey, TaskState] = {}
    rollout = Rollout(runtime.graph, municipalities, states)
    due = set()
    for key in rollout.task_keys():
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
    runtime.store.record(CommandRecord(uuid.uuid4().hex, "seed", change), tasks=[
        TaskChange(key, state, rollout.initial_state(key)) for key, state in states.items()])
    log.info("demo progress loaded from %s (%d task states)", path, len(states))
