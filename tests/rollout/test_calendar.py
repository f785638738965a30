"""Working days and countdowns follow Danish public holidays in Europe/Copenhagen."""

from datetime import date

import pytest

from rollout.calendar import WorkingCalendar
from rollout.graph import PlanGraph
from rollout.plan_loader import PlanError, load_plan

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2019, 12, 24), "Juleaftensdag"),
        (date(2019, 12, 25), "Juledag"),
        (date(2019, 12, 26), "Anden juledag"),
        (date(2020, 1, 1), "Nytårsdag"),
        (date(2019, 12, 31), "Nytårsaftensdag"),
        (date(2020, 4, 9), "Skærtorsdag"),
        (date(2020, 4, 10), "Langfredag"),
        (date(2020, 4, 13), "Anden påskedag"),
        (date(2020, 5, 8), "Store bededag"),
    ],
)
def test_danish_holidays_are_not_working_days(day: date, name: str) -> None:
    assert not CAL.is_working_day(day)
    assert name.lower() in (CAL.holiday_name(day) or "").lower()


def test_weekends_are_not_working_days_and_weekdays_are() -> None:
    assert not CAL.is_working_day(date(2020, 1, 25))  # Saturday
    assert not CAL.is_working_day(date(2020, 1, 26))  # Sunday
    assert CAL.is_working_day(date(2020, 1, 27))


def test_countdown_to_kp3_p2_from_the_demo_date() -> None:
    # 2020-01-21 (Tue) -> 2020-01-28 (Tue): 7 calendar days, 5 working days.
    countdown = CAL.countdown(date(2020, 1, 21), date(2020, 1, 28))
    assert (countdown.calendar_days, countdown.working_days) == (7, 5)


def test_countdown_across_christmas_and_new_year() -> None:
    # 2019-12-20 (Fri) -> 2020-01-03 (Fri): 23, 24, 27, 30, 2, 3 are working days;
    # 24-26 Dec, 31 Dec and 1 Jan are not.
    countdown = CAL.countdown(date(2019, 12, 20), date(2020, 1, 3))
    assert countdown.calendar_days == 14
    assert countdown.working_days == 5  # 23, 27, 30 Dec, 2, 3 Jan


def test_countdown_across_easter_2020() -> None:
    # 2020-04-08 (Wed) -> 2020-04-15 (Wed): 9, 10, 13 are holidays: 14, 15 remain.
    assert CAL.working_days_between(date(2020, 4, 8), date(2020, 4, 15)) == 2


def test_countdown_after_the_date_is_negative() -> None:
    countdown = CAL.countdown(date(2020, 1, 30), date(2020, 1, 28))
    assert countdown.passed
    assert countdown.working_days == -2


def test_add_working_days_skips_holidays() -> None:
    assert CAL.add_working_days(date(2019, 12, 23), 1) == date(2019, 12, 27)
    assert CAL.add_working_days(date(2020, 1, 2), -2) == date(2019, 12, 27)


def test_grundlovsdag_is_closed_by_default_and_in_the_plan(sf1590_graph) -> None:
    grundlovsdag = date(2020, 6, 5)  # a Friday
    for calendar in (CAL, sf1590_graph.calendar):
        assert not calendar.is_working_day(grundlovsdag)
        assert calendar.holiday_name(grundlovsdag) == "Grundlovsdag"
    assert sf1590_graph.calendar.working_days_between(date(2020, 6, 4), date(2020, 6, 8)) == 1


PLAN = """
plan: {id: x, title_da: x, title_en: x%(closed)s}
waves: [{id: W1, name_da: x, name_en: x, next: null}]
roles: [{id: r, name_da: x, name_en: x}]
phases: [{id: p, name_da: x, name_en: x}]
diagrams:
  - id: A
    integration: X
    gates: [{id: G, kind: readiness, name_da: G, name_en: G, dates: {W1: 2020-05-04}}]
    tasks: [{code: T1, title_da: a, title_en: a, role: r, phase: p}]
"""


def test_a_plan_can_close_another_day_and_the_calendar_honours_it() -> None:
    closed = ', customary_closed_days: ["06-05", {day: "05-01", name: "Arbejdernes kampdag"}]'
    graph = PlanGraph(load_plan(PLAN % {"closed": closed}))
    assert graph.calendar.holiday_name(date(2020, 5, 1)) == "Arbejdernes kampdag"
    assert not graph.calendar.is_working_day(date(2020, 6, 5))
    assert graph.calendar.is_working_day(date(2019, 12, 24))  # this plan lists only its own days
    # the day counts: 2020-04-30 (Thu) -> 2020-05-04 (Mon) has one working day left, not two
    assert graph.calendar.working_days_between(date(2020, 4, 30), date(2020, 5, 4)) == 1
    default = PlanGraph(load_plan(PLAN % {"closed": ""}))
    assert default.calendar.is_working_day(date(2020, 5, 1))
    assert not default.calendar.is_working_day(date(2020, 6, 5))


def test_a_closed_day_that_is_not_a_date_is_reported_with_its_place() -> None:
    with pytest.raises(
        PlanError,
        match=r"plan.customary_closed_days\[1\]: '13-40' is not a "
        r"month-day like 06-05 or 12-24",
    ):
        load_plan(PLAN % {"closed": ', customary_closed_days: ["06-05", "13-40"]'})
