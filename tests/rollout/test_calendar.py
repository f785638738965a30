"""Working days and countdowns follow Danish public holidays in Europe/Copenhagen."""

from datetime import date

import pytest

from rollout.calendar import WorkingCalendar

CAL = WorkingCalendar()


@pytest.mark.parametrize("day, name", [
    (date(2019, 12, 24), "Juleaftensdag"),
    (date(2019, 12, 25), "Juledag"),
    (date(2019, 12, 26), "Anden juledag"),
    (date(2020, 1, 1), "Nytårsdag"),
    (date(2019, 12, 31), "Nytårsaftensdag"),
    (date(2020, 4, 9), "Skærtorsdag"),
    (date(2020, 4, 10), "Langfredag"),
    (date(2020, 4, 13), "Anden påskedag"),
    (date(2020, 5, 8), "Store bededag"),
])
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
