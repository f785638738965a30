"""Random command sequences from several people: undo restores exactly, the log only grows.

Run on the in-memory store and on a real SQLite file, through the command core.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.context import Actor
from rollout.graph import PlanGraph
from rollout.model import Status, TaskKey
from storage.engine import make_engine
from storage.memory import MemoryRolloutStore
from storage.migrate import upgrade
from storage.ports import RolloutStore, TaskEvent
from storage.repository import SqlRolloutStore
from tests.commands.chatbot import Bot, make_bot

PEOPLE = {name: Actor(name, name.title(), is_admin=True) for name in ("anna", "bo", "cy")}
REFS = ("C/TS103", "A/TS213")
PLACES = {"randers": 730, "vejen": 575, "vallensbaek": 187}
VERBS = {"done": "", "start": "", "block": " waiting for the supplier", "skip": " not used here"}

command_strategy = st.one_of(
    st.tuples(st.sampled_from(sorted(PEOPLE)), st.just("undo"), st.just(""), st.just(())),
    st.tuples(
        st.sampled_from(sorted(PEOPLE)),
        st.sampled_from(sorted(VERBS)),
        st.sampled_from(REFS),
        st.lists(st.sampled_from(sorted(PLACES)), min_size=1, max_size=3, unique=True),
    ),
)


@dataclass
class Past:
    """A person's command as the test saw it: the keys it changed and their states before."""

    seq: int
    before: dict[TaskKey, tuple[Status, str]]
    after: dict[TaskKey, tuple[Status, str]]


@dataclass
class Model:
    stacks: dict[str, list[Past]] = field(default_factory=dict)
    touched: list[tuple[int, frozenset[TaskKey]]] = field(default_factory=list)  # every write


def _log(store: RolloutStore) -> list[TaskEvent]:
    return list(reversed(store.events(limit=100_000)))


def _count(reply: str, what: str) -> int:
    found = re.search(rf"(\d+) changes? {what}", reply)
    return int(found.group(1)) if found else 0


def run_sequence(bot: Bot, commands: list[tuple[str, str, str, list[str]]]) -> None:
    model = Model()
    for seq, (person, verb, ref, places) in enumerate(commands):
        before, log = bot.states(), _log(bot.store)
        text = "undo" if verb == "undo" else f"{verb} {ref} {' '.join(places)}{VERBS[verb]}"
        reply = bot.say(text, PEOPLE[person])
        after, new_log = bot.states(), _log(bot.store)
        assert new_log[: len(log)] == log  # append-only: nothing lost, nothing rewritten
        stack = model.stacks.setdefault(person, [])
        if verb != "undo":
            added = new_log[len(log) :]
            assert len(added) == _count(reply, "recorded")
            changed = {e.key for e in added}
            assert {k for k in set(before) | set(after) if before.get(k) != after.get(k)} <= changed
            if added:
                stack.append(
                    Past(
                        seq,
                        {k: before.get(k, (Status.TODO, "")) for k in changed},
                        {k: after[k] for k in changed},
                    )
                )
                model.touched.append((seq, frozenset(changed)))
            continue
        if not stack:
            assert "no command left to undo" in reply and after == before
            continue
        last = stack[-1]
        if "Undone:" in reply:
            assert len(new_log) - len(log) == _count(reply, "reversed") == len(last.before)
            # Never over someone else's change: the tasks were as the command left them.
            assert {k: before.get(k) for k in last.after} == last.after
            assert {k: after.get(k, (Status.TODO, "")) for k in last.before} == last.before
            assert {k: v for k, v in after.items() if k not in last.before} == {
                k: v for k, v in before.items() if k not in last.before
            }
            stack.pop()
            model.touched.append((seq, frozenset(last.before)))
        else:
            assert "Cannot undo" in reply and "Nothing was undone." in reply, reply
            assert after == before and new_log == log
            # Refused only where a later write touched one of its tasks.
            assert any(s > last.seq and keys & set(last.before) for s, keys in model.touched)


SEQUENCES = st.lists(command_strategy, min_size=1, max_size=14)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(commands=SEQUENCES)
def test_random_commands_on_the_memory_store(sf1590_graph: PlanGraph, commands) -> None:  # type: ignore[no-untyped-def]
    run_sequence(make_bot(sf1590_graph, MemoryRolloutStore()), commands)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prop") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def fresh_sqlite(migrated: Path, tmp_path: Path) -> Callable[[], SqlRolloutStore]:
    counter = [0]

    def make() -> SqlRolloutStore:
        counter[0] += 1
        path = tmp_path / f"prop-{counter[0]}.db"
        shutil.copy(migrated, path)
        return SqlRolloutStore(make_engine(f"sqlite:///{path}"))

    return make


@settings(SETTINGS, max_examples=20)
@given(commands=SEQUENCES)
def test_random_commands_on_sqlite(
    sf1590_graph: PlanGraph, fresh_sqlite: Callable[[], SqlRolloutStore], commands
) -> None:  # type: ignore[no-untyped-def]
    store = fresh_sqlite()
    try:
        run_sequence(make_bot(sf1590_graph, store), commands)
    finally:
        store.engine.dispose()
