"""done / undo / move / decide through the command core, on the in-memory store (fast).

The same store contract holds on SQLite and PostgreSQL (tests/storage/test_store_contract.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from commands.context import Actor
from rollout.graph import PlanGraph
from rollout.model import Status
from storage.memory import MemoryRolloutStore
from storage.ports import CommandRecord, RecordResult
from tests.commands.chatbot import BO, THREE, Bot, make_bot


@pytest.fixture
def bot(sf1590_graph: PlanGraph) -> Bot:
    return make_bot(sf1590_graph, MemoryRolloutStore())


def test_undo_after_done_for_three_municipalities_undoes_all_three(bot: Bot) -> None:
    assert "3 changes recorded" in bot.say("done C/TS103 randers vejen vallensbæk")
    assert {bot.status(k) for k in THREE} == {Status.DONE}
    reply = bot.say("undo")
    assert "Undone: your `done` of 2020-01-21 09:01, 3 changes reversed." in reply
    for name in ("Randers", "Vejen", "Vallensbæk"):
        assert f"C/TS103 {name}: back from done to to do" in reply
    assert {bot.status(k) for k in THREE} == {Status.TODO}
    assert "no command left to undo" in bot.say("undo")


def test_every_change_of_one_command_carries_its_id(bot: Bot) -> None:
    bot.say("done C/TS103 randers vejen vallensbæk")
    ids = {e.command_id for e in bot.store.events()}
    assert len(ids) == 1 and None not in ids


def test_a_reply_says_per_municipality_what_was_already_so(bot: Bot) -> None:
    bot.say("done C/TS103 vejen")
    reply = bot.say("done C/TS103 randers vejen vallensbæk")
    assert "2 changes recorded" in reply
    assert "C/TS103 Vejen is already done; nothing changed." in reply
    assert reply.count("to do → done") == 2
    assert "C/TS103: nothing to change" in bot.say("done C/TS103 randers vejen")
    assert len(bot.store.events()) == 3


def test_a_municipality_named_twice_is_changed_once(bot: Bot) -> None:
    assert "1 change recorded" in bot.say("done C/TS103 vejen vejen")
    assert len(bot.store.events()) == 1


def test_successive_undos_go_back_through_your_commands(bot: Bot) -> None:
    bot.say("start C/TS103 randers vejen")
    bot.say("done C/TS103 vejen")
    assert "back from done to in progress" in bot.say("undo")
    assert bot.status(THREE[1]) == Status.IN_PROGRESS
    assert "2 changes reversed" in bot.say("undo")
    assert bot.status(THREE[0]) == bot.status(THREE[1]) == Status.TODO
    assert "no command left to undo" in bot.say("undo")


def test_undo_is_refused_naming_who_changed_a_task_since_and_changes_nothing(bot: Bot) -> None:
    bot.say("done C/TS103 randers vejen vallensbæk")
    bot.say("reopen C/TS103 vejen -- the supplier is late", BO)
    events = len(bot.store.events(limit=100))
    reply = bot.say("undo")
    assert (
        "Cannot undo your `done` of 2020-01-21 09:01: bo changed C/TS103 Vejen at "
        "2020-01-21 09:02 (console) since. Nothing was undone."
    ) in reply
    assert len(bot.store.events(limit=100)) == events
    assert [bot.status(k) for k in THREE] == [Status.DONE, Status.TODO, Status.DONE]


def test_undo_checks_your_rights_as_they_are_now(bot: Bot) -> None:
    bot.say("done C/TS103 randers vejen vallensbæk")
    without_rights = Actor("anna", "Anna")  # re-registered without any rights
    reply = bot.say("undo", without_rights)
    assert "You may no longer undo your `done` of 2020-01-21 09:01" in reply
    assert "Nothing was undone." in reply
    assert {bot.status(k) for k in THREE} == {Status.DONE}


def test_someone_elses_undo_is_not_yours(bot: Bot) -> None:
    bot.say("done C/TS103 randers")
    assert "no command left to undo" in bot.say("undo", BO)
    assert bot.status(THREE[0]) == Status.DONE


def test_undo_of_a_no_go_withdraws_the_decision_and_moves_the_municipality_back(bot: Bot) -> None:
    reply = bot.say("decide KP-3 P2 vejen no-go conversion failed")
    assert "NO-GO recorded for Vejen" in reply and "moves from P2 to K91" in reply
    assert bot.store.municipalities()[575].wave == "K91"
    reply = bot.say("undo")
    assert "KP-3 P2 Vejen: the NO-GO is withdrawn" in reply
    assert "Vejen: back from K91 to P2" in reply
    assert bot.store.municipalities()[575].wave == "P2"
    assert [d.decision for d in bot.store.gate_decisions(gate="KP-3")] == ["no_go", "withdrawn"]
    assert "WITHDRAWN by anna" in bot.say("gate KP-3 P2")


def test_undo_of_a_move_is_refused_once_someone_moved_it_again(bot: Bot) -> None:
    bot.say("move vejen K91 not ready")
    bot.say("move vejen P1 ready after all", BO)
    reply = bot.say("undo")
    assert "bo changed the wave of Vejen at 2020-01-21 09:02" in reply
    assert bot.store.municipalities()[575].wave == "P1"


def test_undo_of_a_move_needs_an_admin_now(bot: Bot) -> None:
    bot.say("move vejen K91 not ready")
    reply = bot.say("undo", Actor("anna", "Anna", coordinates=frozenset({575})))
    assert "Only an admin can undo your `move`" in reply
    assert bot.store.municipalities()[575].wave == "K91"


class _BoFinishesFirst(MemoryRolloutStore):
    """A store where Bo's `done` lands between Anna's reading and Anna's writing (a race)."""

    def __init__(self) -> None:
        super().__init__()
        self.race: Bot | None = None

    def record(self, command: CommandRecord, **changes: Any) -> RecordResult:
        race, self.race = self.race, None
        if race is not None:
            race.say("done C/TS103 vejen", BO)
        return super().record(command, **changes)


def test_a_task_finished_by_someone_else_meanwhile_is_not_silently_moved_back(
    sf1590_graph: PlanGraph,
) -> None:
    store = _BoFinishesFirst()
    bot = make_bot(sf1590_graph, store)
    store.race = bot
    reply = bot.say("block C/TS103 randers vejen -- the supplier is late")
    assert (
        "C/TS103 Vejen was changed by bo at 2020-01-21 09:02 (console) after I read it, so "
        "nothing was recorded" in reply
    )
    assert bot.status(THREE[0]) == Status.TODO  # Randers: not blocked either (all or nothing)
    assert bot.status(THREE[1]) == Status.DONE
    assert len(store.events()) == 1


def test_history_pages_through_every_change_with_an_exact_show_more(bot: Bot) -> None:
    for _ in range(9):
        bot.say("done C/TS103 vejen")
        bot.say("reopen C/TS103 vejen")
    first = bot.say("history vejen")
    assert first.count("C/TS103 Vejen") == 15
    second = bot.say("history vejen page:2")  # what the "Show 3 more" button sends
    assert second.count("C/TS103 Vejen") == 3
    assert "Waves" not in second  # the municipality's other sections stay on the first page
    assert "`²` is not a page number." in bot.say("history vejen page:²")
