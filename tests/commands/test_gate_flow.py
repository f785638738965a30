"""Gates as the source draws them (domain notes §4.2), through the command core with a clock.

Only a KP-3 "Nej" moves a municipality to the next wave; KP-4 "Stop aktivitet" stops its
go-live; a Gate no-go and a no-go in the last wave are escalations, listed until decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from commands.context import Actor, CommandContext, Invocation
from commands.core import dispatch
from commands.gate_outcome import rollout_on
from rollout.decisions import stopped
from rollout.gates import gate_date, readiness
from rollout.graph import PlanGraph
from rollout.model import SYSTEM_WIDE, Municipality
from rollout.reminders import Target, due_on
from rollout.status import Rollout
from storage.memory import MemoryRolloutStore
from storage.ports import Change, CommandRecord, RecordResult
from tests.commands.chatbot import ANNA, BO, START, Bot, make_bot


@dataclass
class DayBot(Bot):
    """The command core on a store, on a day the test sets (the clock is an input)."""

    today: date = date(2020, 1, 21)

    def on(self, day: date) -> DayBot:
        self.today = day
        self.now = datetime.combine(day, START.timetz())  # 09:00 in Copenhagen
        return self

    language: str = "en"

    def say(self, text: str, actor: Actor = ANNA) -> str:
        self.now += timedelta(minutes=1)
        ctx = CommandContext(self.store, self.graph, self.now, self.today)
        inv = Invocation(text, actor, "console", language=self.language)
        return "\n".join(dispatch(ctx, inv).text_lines())

    def snapshot(self) -> Rollout:
        return Rollout(self.graph, self.store.municipalities(), self.store.task_states())

    def finish_for(self, gate: str, wave: str, names: list[str]) -> None:
        """Say `done` for every task the gate still lacks for these municipalities."""
        rollout = self.snapshot()
        found = gate_date(rollout, gate, wave)
        assert found is not None
        by_ref: dict[str, set[str]] = {}
        for m in rollout.municipalities.values():
            if m.name in names:
                for view in readiness(rollout, m, found, self.today).missing:
                    by_ref.setdefault(view.key.ref, set()).add(
                        "" if view.key.municipality == SYSTEM_WIDE else m.slug
                    )
        for ref, slugs in sorted(by_ref.items()):
            assert "recorded" in self.say(f"done {ref} {' '.join(sorted(slugs))}".strip())


@pytest.fixture
def bot(sf1590_graph: PlanGraph) -> DayBot:
    base = make_bot(sf1590_graph, MemoryRolloutStore())
    return DayBot(base.graph, base.store, base.now)


def p2_report_due(bot: DayBot, day: date) -> list[tuple[str, int | None]]:
    target = Target("console", "#p2", "P2", kinds=frozenset({"report"}))
    return [(i.subject, i.days_left) for i in due_on(bot.snapshot(), [target], day)]


def test_the_p2_wave_through_its_gates_as_the_source_draws_it(bot: DayBot) -> None:
    three = ["Aarhus", "Vallensbæk", "Vejen"]
    # Start criteria and preparation (Fase 2.2): all four get ready for the Gate.
    bot.on(date(2019, 9, 2)).finish_for("GATE", "P2", [*three, "Randers"])
    reply = bot.on(date(2019, 9, 26)).say("gate GATE P2")
    assert "GATE for P2 is on 2019-09-27: 1 days left" in reply
    assert "4/4 municipalities ready, 0 not ready, 0 at risk" in reply
    # Udrulningsrapport v1 → Gate: go for every one of them.
    bot.on(date(2019, 9, 27))
    for name in ("aarhus", "randers", "vallensbæk", "vejen"):
        assert "GATE P2: GO recorded for" in bot.say(f"decide gate P2 {name} go")
    # Conversion up to KP-3: the three finish; Randers' conversion is not approved.
    bot.on(date(2020, 1, 27)).finish_for("KP-3", "P2", three)
    reply = bot.say("gate KP-3 P2")
    assert "3/4 municipalities ready, 1 not ready" in reply
    lacking = next(line for line in reply.splitlines() if line.startswith("Randers: "))
    first_missing = lacking.split("(")[1].split(",")[0]  # "Randers: 8 missing (B/TS…, …"
    randers_done = bot.say("status randers").splitlines()[1]
    # KP-3 go/no-go: Randers "Nej" → moved to the next wave, re-dated, its work kept.
    bot.on(date(2020, 1, 28))
    reply = bot.say("decide KP-3 P2 randers no-go -- konverteringen blev ikke godkendt")
    assert "KP-3 P2: NO-GO recorded for Randers." in reply
    assert "Randers is not approved and moves from P2 to K91; completed tasks are kept." in reply
    assert "The dates of K91 apply now: KP-3 there is on 2020-03-31." in reply
    assert (
        "Roll-back due in P2: R/SLET Slet kommune i bølge for Randers "
        "(`done R/SLET randers` when it is done)."
    ) in reply
    status = bot.say("status randers")
    assert "Status: Randers (K91)" in status and status.splitlines()[1] == randers_done
    assert "Next gate GATE on 2020-03-06" in status  # K91's dates now
    for name in ("aarhus", "vallensbæk", "vejen"):
        assert "KP-3 P2: GO recorded for" in bot.say(f"decide KP-3 P2 {name} go")
    # KP-4, the day after: okay for the others, the go-live continues.
    bot.on(date(2020, 1, 29))
    reply = bot.say("gate KP-3 P2")
    assert "KP-3 for P2 was on 2020-01-28, 1 days ago" in reply and "AT RISK" not in reply
    assert "4/4 decided (3 go, 1 no-go), 0 not decided" in reply
    randers = next(line for line in reply.splitlines() if line.startswith("Randers: NO-GO"))
    assert randers.startswith(
        "Randers: NO-GO by anna at 2020-01-28 09:01, moved to K91; not ready on the day: "
    )
    assert "Vejen: GO by anna at 2020-01-28 09:05" in reply.splitlines()  # ready on the day
    # Done after the day: the day's outcome does not change.
    assert "1 change recorded" in bot.say(f"done {first_missing} randers")
    assert randers in bot.say("gate KP-3 P2").splitlines()
    assert "Slet kommune i bølge: Randers leaves P2 (now in K91) after a NO-GO at KP-3" in reply
    for name in ("aarhus", "vallensbæk", "vejen"):
        reply = bot.say(f"decide KP-4 P2 {name} okay")
        assert "KP-4 P2: OKAY recorded for" in reply and "go-live of" in reply
    assert "Open escalations" not in bot.say("status P2")
    # The roll-back of the wave Randers left: done by KSD for P2.
    assert "R/SLET Randers (P2): to do → done" in bot.say("done R/SLET randers")
    # Fase 3: Udrulningsrapport v3 (Evaluering), 14 days after KP-4.
    assert "Udrulningsrapport v3 (Evaluering) 2020-02-12" in bot.say("wave P2")
    assert ("REPORT-V3", 5) in p2_report_due(bot, date(2020, 2, 5))
    assert ("REPORT-V3", 0) in p2_report_due(bot, date(2020, 2, 12))


def test_kp4_not_okay_stops_the_go_live_without_a_move(bot: DayBot) -> None:
    reply = bot.say("decide KP-4 P2 vejen stop -- overvågning er ikke etableret")
    assert "KP-4 P2: STOP ACTIVITY recorded for Vejen." in reply
    assert "Stop aktivitet: the go-live of Vejen stops" in reply and "It stays in its wave" in reply
    assert bot.store.municipalities()[575].wave == "P2"
    assert bot.store.wave_moves(575)[-1].to_wave == "P2" and len(bot.store.wave_moves(575)) == 1
    assert "R/SLET exists only for a municipality a KP-3 no-go moved out" in bot.say(
        "done R/SLET vejen"
    )  # a stop is no roll-back
    status = bot.say("status vejen")
    assert "Vejen: STOP ACTIVITY at KP-4 (P2) by anna" in status and "go-live on hold" in status
    assert "Vejen: STOP ACTIVITY at KP-4" in bot.say("gate KP-4 P2")
    # No reminders for the stopped municipality's tasks; the others still get theirs.
    rollout = bot.snapshot()
    halted = Rollout(
        rollout.graph,
        rollout.municipalities,
        rollout.states,
        stopped=frozenset(stopped(bot.graph.plan, bot.store.gate_decisions())),
    )
    target = Target("console", "#p2", "P2", kinds=frozenset({"deadline", "overdue"}))
    reminded = {
        v.key.municipality
        for day in (date(2020, 1, 21), date(2020, 1, 22))
        for item in due_on(halted, [target], day)
        for v in item.tasks
    }
    assert 751 in reminded and 575 not in reminded
    # Okay later: the go-live continues and the escalation is closed.
    reply = bot.say("decide KP-4 P2 vejen okay confirm -- overvågning etableret")
    assert "This supersedes the STOP ACTIVITY by anna" in reply
    assert "Open escalations" not in bot.say("status vejen")


def test_a_k91_no_go_is_stored_and_listed_until_someone_decides(bot: DayBot) -> None:
    bot.say("move vejen K91 -- not ready for P2")
    reply = bot.say("decide KP-3 K91 vejen no-go -- konvertering fejlede")
    assert "K91 has no next wave, so Vejen stays in K91" in reply
    assert [d.decision for d in bot.store.gate_decisions(wave="K91")] == ["no_go"]
    for asked in ("gate KP-3 K91", "status K91", "status vejen"):
        assert "Vejen: NO-GO at KP-3 in K91, which has no next wave" in bot.say(asked), asked
    reply = bot.say("decide KP-3 K91 vejen go confirm -- styregruppen: videre i K91", BO)
    assert "This supersedes the NO-GO by anna" in reply
    for asked in ("gate KP-3 K91", "status K91"):
        assert "Open escalations" not in bot.say(asked), asked


def test_a_gate_no_go_escalates_to_the_wave_and_moves_nothing(bot: DayBot) -> None:
    reply = bot.say("decide gate P2 aarhus no-go -- Udrulningsrapport v1 ikke parat")
    assert "Escalated to the managers of P2; nothing moves." in reply
    assert bot.store.municipalities()[751].wave == "P2"
    assert "Aarhus: NO-GO at GATE (P2) by anna" in bot.say("status P2")


def test_a_second_decision_supersedes_the_first_with_a_reason_and_history_shows_both(bot: DayBot) -> None:
    bot.say("decide KP-4 P2 vejen stop -- overvågning mangler")
    assert "already has STOP ACTIVITY" in bot.say("decide KP-4 P2 vejen stop -- igen")
    reply = bot.say("decide KP-4 P2 vejen okay confirm", BO)
    assert "`confirm` goes before the reason marker" in reply
    reply = bot.say("decide KP-4 P2 vejen no-go", BO)
    assert "already has STOP ACTIVITY" in reply and len(bot.store.gate_decisions()) == 1
    assert "GO recorded" in bot.say("decide KP-3 P2 vejen go confirm -- aftalt med KOMBIT", BO)
    reply = bot.say("decide KP-3 P2 vejen no-go")
    assert "Vejen already has GO at KP-3 (by bo at" in reply
    assert "Type: `decide KP-3 P2 vejen no-go -- REASON`" in reply
    assert bot.store.municipalities()[575].wave == "P2"
    reply = bot.say("decide KP-3 P2 vejen no-go -- 0-sums test fejlede")
    assert "This supersedes the GO by bo at 2020-01-21 09:0" in reply
    assert "moves from P2 to K91" in reply
    history = bot.say("history vejen")
    assert "KP-3 P2: GO by bo (console) — aftalt med KOMBIT" in history
    assert "(superseded)" in history and "KP-3 P2: NO-GO by anna (console)" in history
    # Undo of the superseding no-go: the go stands again and Vejen is back in P2.
    assert "Vejen: back from K91 to P2" in bot.say("undo")
    assert "Vejen already has GO" in bot.say("decide KP-3 P2 vejen go -- again")
    assert "R/SLET exists only for a municipality a KP-3 no-go moved out" in bot.say(
        "done R/SLET vejen"
    )  # the no-go was undone: no roll-back is owed
    assert "(withdrawn)" in bot.say("history vejen")


def test_a_go_with_missing_tasks_is_refused_until_confirmed_and_kept_with_them(bot: DayBot) -> None:
    reply = bot.say("decide KP-4 P2 vejen go -- confirm later")  # a reason, not a confirmation
    assert "Vejen is not ready for KP-4:" in reply and "Nothing was recorded." in reply
    assert "C/TS100 Vejen" in reply
    assert "To record it anyway, type: `decide KP-4 P2 vejen go confirm -- REASON`" in reply
    assert bot.store.gate_decisions() == []
    reply = bot.say("decide KP-4 P2 vejen go confirm -- aftalt med styregruppen")
    assert "KP-4 P2: OKAY recorded for Vejen." in reply and "Recorded with" in reply
    (decision,) = bot.store.gate_decisions()
    assert "C/TS100@575" in decision.missing
    history = bot.say("history vejen")
    assert f"taken with {len(decision.missing)} tasks not finished: " in history


class _BoDecidesFirst(MemoryRolloutStore):
    """A store where Bo's decision lands between Anna's reading and Anna's writing (a race)."""

    def __init__(self) -> None:
        super().__init__()
        self.race: DayBot | None = None

    def record(self, command: CommandRecord, **changes: Any) -> RecordResult:
        race, self.race = self.race, None
        if race is not None:
            race.say("decide KP-4 P2 vejen stop -- overvågning mangler", BO)
        return super().record(command, **changes)


def test_a_decision_taken_by_someone_else_meanwhile_is_not_silently_superseded(
    sf1590_graph: PlanGraph,
) -> None:
    store = _BoDecidesFirst()
    base = make_bot(sf1590_graph, store)
    bot = DayBot(base.graph, store, base.now)
    store.race = bot
    reply = bot.say("decide KP-4 P2 vejen go confirm -- ok efter telefonmøde")
    assert "Nothing was recorded: bo decided KP-4 for Vejen at 2020-01-21 09:02" in reply
    assert [(d.decision, d.actor) for d in store.gate_decisions()] == [("no_go", "bo")]


def test_a_danish_bot_tells_the_stop_and_the_escalation_in_danish(bot: DayBot) -> None:
    bot.language = "da"
    reply = bot.say("decide KP-4 P2 vejen stop -- overvågning mangler")
    assert "KP-4 P2: STOP AKTIVITET registreret for Vejen." in reply
    assert "Stop aktivitet: ibrugtagningen af Vejen stopper" in reply
    assert "Vejen: STOP AKTIVITET ved KP-4 (P2) af anna" in bot.say("status P2")


def test_a_past_gate_is_read_from_its_members_history_alone_with_the_same_readiness(bot: DayBot) -> None:
    """`gate` past the day replays only the members' tasks and those of no municipality (a
    full replay of every municipality cost a pilot gate at 10x as much as K91's): each
    member's readiness on the day is that of a replay of the whole history."""
    bot.store.save_municipalities(
        [Municipality(461, "Odense", "odense", "K91")], change=Change("import", "cli", START)
    )
    bot.on(date(2019, 9, 2)).finish_for("GATE", "P2", ["Aarhus", "Vejen"])
    bot.finish_for("GATE", "K91", ["Odense"])  # history of a municipality outside the wave
    bot.on(date(2019, 9, 30)).finish_for("GATE", "P2", ["Randers"])  # after the day
    rollout = bot.snapshot()
    found = gate_date(rollout, "GATE", "P2")
    assert found is not None
    members = [m for m in rollout.municipalities.values() if m.wave == "P2"]
    ctx = CommandContext(bot.store, bot.graph, bot.now, bot.today)
    then = rollout_on(ctx, rollout, found.day, "P2", members)
    assert {k.municipality for k in then.states} <= {SYSTEM_WIDE, *(m.code for m in members)}
    end = datetime.combine(found.day + timedelta(days=1), time(0), ZoneInfo(bot.graph.plan.timezone))
    whole = {e.key: e.new for e in reversed(bot.store.events(limit=10**6)) if e.at < end}
    assert any(k.municipality == 461 for k in whole)  # Odense's history is there to leave out
    full = Rollout(bot.graph, then.municipalities, whole)
    answers = [readiness(then, then.municipalities[m.code], found, found.day) for m in members]
    assert answers == [readiness(full, full.municipalities[m.code], found, found.day) for m in members]
    assert sorted(a.ready for a in answers) == [False, False, True, True]
