"""What is due when: the pure reminder rules on the real SF1590 plan and a small fresh roster."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rollout.graph import PlanGraph
from rollout.model import Municipality, Status, TaskKey, TaskState
from rollout.reminders import DueItem, Target, due_at, due_on, parse_kinds
from rollout.status import Rollout

CPH = ZoneInfo("Europe/Copenhagen")
AARHUS = Municipality(751, "Aarhus", "aarhus", "P2")
RANDERS = Municipality(730, "Randers", "randers", "P2")
ASSENS = Municipality(420, "Assens", "assens", "P1")
P2 = Target("slack", "C0P2", "P2")
START, END = date(2019, 10, 1), date(2020, 2, 15)


def fresh(graph: PlanGraph, states: dict[TaskKey, TaskState] | None = None) -> Rollout:
    roster = {m.code: m for m in (AARHUS, RANDERS, ASSENS)}
    return Rollout(graph, roster, states or {})


def days(start: date = START, end: date = END) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def simulate(rollout: Rollout, targets: list[Target]) -> dict[date, list[DueItem]]:
    return {d: due_on(rollout, targets, d) for d in days()}


def test_the_kp3_countdown_says_5_working_days_left_on_2020_01_21(sf1590_graph: PlanGraph) -> None:
    items = due_on(fresh(sf1590_graph), [P2], date(2020, 1, 21))
    (kp3,) = [i for i in items if i.kind == "countdown" and i.subject == "KP-3"]
    assert kp3.days_left == 5
    assert kp3.gate is not None and kp3.gate.day == date(2020, 1, 28)
    assert {r.municipality.name for r in kp3.readiness} == {"Aarhus", "Randers"}  # not Assens (P1)
    assert all(not r.ready and r.missing for r in kp3.readiness)
    assert kp3.key == "countdown|P2|slack:C0P2|KP-3|2020-01-21"


def test_p2_from_october_to_february_posts_only_on_danish_working_days(sf1590_graph: PlanGraph) -> None:
    rollout = fresh(sf1590_graph)
    plan = simulate(rollout, [P2])
    calendar = sf1590_graph.calendar
    for day, items in plan.items():
        if not calendar.is_working_day(day):
            assert items == [], day
        else:  # a morning digest on every working day, and never two items with one key
            assert [i.kind for i in items].count("digest") == 1, day
    for closed in (
        "2019-12-24",
        "2019-12-25",
        "2019-12-26",
        "2019-12-31",
        "2020-01-01",
        "2019-12-21",
        "2019-12-22",
        "2020-02-15",
    ):
        assert plan[date.fromisoformat(closed)] == []
    keys = [i.key for items in plan.values() for i in items]
    assert len(keys) == len(set(keys))


def test_gate_countdowns_run_each_working_day_from_10_days_before(sf1590_graph: PlanGraph) -> None:
    plan = simulate(fresh(sf1590_graph), [P2])
    kp3 = {
        d: i.days_left
        for d, items in plan.items()
        for i in items
        if i.kind == "countdown" and i.subject == "KP-3"
    }
    assert [d.isoformat() for d in kp3] == [
        "2020-01-14",
        "2020-01-15",
        "2020-01-16",
        "2020-01-17",
        "2020-01-20",
        "2020-01-21",
        "2020-01-22",
        "2020-01-23",
        "2020-01-24",
        "2020-01-27",
        "2020-01-28",
    ]
    assert list(kp3.values()) == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    kp4 = [d for d, items in plan.items() for i in items if i.kind == "countdown" and i.subject == "KP-4"]
    assert kp4[0] == date(2020, 1, 15) and kp4[-1] == date(2020, 1, 29) and len(kp4) == 11


def test_reports_are_announced_5_and_1_working_days_before_and_on_the_day(sf1590_graph: PlanGraph) -> None:
    plan = simulate(fresh(sf1590_graph), [P2])
    reports = sorted(
        (i.subject, d.isoformat(), i.days_left)
        for d, items in plan.items()
        for i in items
        if i.kind == "report"
    )
    assert reports == [
        ("REPORT-V2", "2020-01-21", 5),
        ("REPORT-V2", "2020-01-27", 1),
        ("REPORT-V2", "2020-01-28", 0),
        # v3: "14 days after" KP-4 (2020-01-29) is 2020-02-12
        ("REPORT-V3", "2020-02-05", 5),
        ("REPORT-V3", "2020-02-11", 1),
        ("REPORT-V3", "2020-02-12", 0),
    ]


def expected_deadline_days(rollout: Rollout) -> tuple[set[date], set[date]]:
    """Independently: the days a P2 deadline is 5/1/0 working days away, and the escalation days
    (the working day after, then every 5 working days), from the plan's deadline dates, for the
    municipalities' tasks and the wave's own runbook. Only a task that waits on nothing open is
    escalated: one that still waits is not late itself."""
    calendar = rollout.graph.calendar

    def p2s(key: TaskKey) -> bool:  # a system-wide task belongs to the wave that needs it first
        if rollout.wave_of(key) is not None:
            return rollout.wave_of(key) == "P2"
        own, first = rollout.graph.deadline(key.ref, "P2"), rollout.deadline(key)
        return own is not None and first is not None and own.day == first.day

    open_keys = [
        k
        for k in (*rollout.task_keys(), *rollout.wave_keys())
        if p2s(k) and rollout.state(k).status not in (Status.DONE, Status.NOT_APPLICABLE)
    ]
    remind, escalate = set(), set()
    for key in open_keys:
        deadline = rollout.deadline(key)
        if deadline is None:
            continue
        last = calendar.working_day_on_or_before(deadline.day)
        remind |= {calendar.add_working_days(last, -5), calendar.add_working_days(last, -1), last}
        if not any(
            rollout.state(p).status not in (Status.DONE, Status.NOT_APPLICABLE)
            for p in rollout.predecessors(key)
        ):
            escalate |= {calendar.add_working_days(last, 1 + 5 * week) for week in range(40)}
    window = set(days())
    return remind & window, escalate & window


def test_deadline_and_overdue_messages_come_on_the_expected_days(sf1590_graph: PlanGraph) -> None:
    rollout = fresh(sf1590_graph)
    plan = simulate(rollout, [P2])
    remind, escalate = expected_deadline_days(rollout)
    assert {d for d, items in plan.items() if any(i.kind == "deadline" for i in items)} == remind
    assert {d for d, items in plan.items() if any(i.kind == "overdue" for i in items)} == escalate
    # grouped: one deadline message per channel and day, naming every task due at 5/1/0 days
    for items in plan.values():
        assert sum(1 for i in items if i.kind == "deadline") <= 1


def test_a_task_done_before_its_reminder_gets_none(sf1590_graph: PlanGraph) -> None:
    key = TaskKey("C/TS103", AARHUS.code)
    rollout = fresh(sf1590_graph)
    deadline = rollout.deadline(key)
    assert deadline is not None
    five_before = sf1590_graph.calendar.add_working_days(deadline.day, -5)
    one_before = sf1590_graph.calendar.add_working_days(deadline.day, -1)

    def reminded(r: Rollout, day: date) -> bool:
        return any(key in {v.key for v in i.tasks} for i in due_on(r, [P2], day) if i.kind == "deadline")

    assert reminded(rollout, five_before) and reminded(rollout, one_before)
    done = fresh(sf1590_graph, {key: TaskState(Status.DONE)})
    assert not reminded(done, one_before) and not reminded(done, deadline.day)
    late = sf1590_graph.calendar.add_working_days(deadline.day, 1)
    assert not any(key in {v.key for v in i.tasks} for i in due_on(done, [P2], late))


def test_nothing_before_the_posting_time_and_missed_days_come_from_the_lookback(
    sf1590_graph: PlanGraph,
) -> None:
    rollout = fresh(sf1590_graph)
    late_channel = Target("slack", "C0LATE", "P2", post_time=time(9, 30))
    at_9 = datetime(2020, 1, 21, 9, 0, tzinfo=CPH)
    items = due_at(rollout, [P2, late_channel], at_9, lookback_days=0)
    assert items and {i.target.channel_id for i in items} == {"C0P2"}
    assert all(i.at == datetime(2020, 1, 21, 8, 0, tzinfo=CPH) for i in items)
    before = due_at(rollout, [P2], datetime(2020, 1, 21, 7, 59, tzinfo=CPH), lookback_days=0)
    assert before == []
    # Monday morning with a 3-day look back: Friday's items are still there (Sat/Sun had none)
    monday = due_at(rollout, [P2], datetime(2020, 1, 20, 8, 1, tzinfo=CPH), lookback_days=3)
    assert {i.day for i in monday} == {date(2020, 1, 17), date(2020, 1, 20)}
    assert [i.at for i in monday] == sorted(i.at for i in monday)
    with pytest.raises(ValueError):
        due_at(rollout, [P2], datetime(2020, 1, 21, 9))


def test_pause_kinds_and_link_time_hold_messages_back(sf1590_graph: PlanGraph) -> None:
    rollout = fresh(sf1590_graph)
    day = date(2020, 1, 21)
    eight = datetime(2020, 1, 21, 8, tzinfo=CPH)
    paused = Target("slack", "C0P2", "P2", paused_until=eight + timedelta(days=3))
    assert due_on(rollout, [paused], day) == []
    resumed = Target("slack", "C0P2", "P2", paused_until=eight + timedelta(minutes=1))
    assert due_on(rollout, [resumed], day) == []  # held back while paused: never sent later
    assert due_on(rollout, [resumed], date(2020, 1, 22))
    only = Target("slack", "C0P2", "P2", kinds=parse_kinds("deadline,countdown"))
    assert {i.kind for i in due_on(rollout, [only], day)} == {"deadline", "countdown"}
    linked_later = Target("slack", "C0P2", "P2", since=eight + timedelta(hours=1))
    assert due_on(rollout, [linked_later], day) == []
    # a rehearsal of a past day: a channel linked after that moment counts as always linked
    rehearsal = Target("slack", "C0P2", "P2", since=datetime(2026, 11, 28, tzinfo=CPH))
    assert due_at(rollout, [rehearsal], eight + timedelta(minutes=5), lookback_days=0)
    manager = Target("slack", "U0MGR", "P2", kinds=frozenset({"overdue"}))
    # the weekly escalation of the late tasks that can be done falls on Wednesday 2020-01-22
    assert {i.kind for i in due_on(rollout, [manager], date(2020, 1, 22))} == {"overdue"}
    with pytest.raises(ValueError, match="nonsense"):
        parse_kinds("deadline,nonsense")


def test_a_personal_target_gets_one_item_a_working_day(sf1590_graph: PlanGraph) -> None:
    me = Target("slack", "U0BO", "", kinds=frozenset({"personal"}), person="bo")
    rollout = fresh(sf1590_graph)
    assert [i.key for i in due_on(rollout, [me], date(2020, 1, 21))] == ["personal||slack:U0BO|bo|2020-01-21"]
    assert due_on(rollout, [me], date(2020, 1, 25)) == []
