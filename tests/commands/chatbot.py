"""The command core on a store, as a chat would drive it: one line in, the reply's text out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from commands.context import Actor, CommandContext, Invocation
from commands.core import dispatch
from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey
from storage.ports import Change, RolloutStore

START = datetime(2020, 1, 21, 8, 0, tzinfo=UTC)  # 09:00 in Copenhagen
ROSTER = [
    Municipality(730, "Randers", "randers", "P2"),
    Municipality(575, "Vejen", "vejen", "P2"),
    Municipality(187, "Vallensbæk", "vallensbaek", "P2"),
    Municipality(751, "Aarhus", "aarhus", "P2"),
]
ANNA = Actor("anna", "Anna", is_admin=True)
BO = Actor("bo", "Bo", is_admin=True)
THREE = [TaskKey("C/TS103", code) for code in (730, 575, 187)]


@dataclass
class Bot:
    """The command core on a store, with a clock that moves a minute per command."""

    graph: PlanGraph
    store: RolloutStore
    now: datetime = START

    def say(self, text: str, actor: Actor = ANNA) -> str:
        self.now += timedelta(minutes=1)
        ctx = CommandContext(self.store, self.graph, self.now, date(2020, 1, 21))
        return "\n".join(dispatch(ctx, Invocation(text, actor, "console")).text_lines())

    def states(self) -> dict[TaskKey, tuple[Status, str]]:
        return {k: (v.status, v.reason) for k, v in self.store.task_states().items()}

    def status(self, key: TaskKey) -> Status:
        found = self.store.task_states().get(key)
        return found.status if found else Status.TODO


def make_bot(graph: PlanGraph, store: RolloutStore) -> Bot:
    """A bot whose store holds Randers, Vejen, Vallensbæk and Aarhus, all in P2."""
    store.save_municipalities(ROSTER, change=Change("import", "cli", START))
    return Bot(graph, store)
