"""Danish working days: weekdays that are neither public holidays nor days the plan closes.

Every function takes the dates it works on; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays
from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule

__all__ = ["CUSTOMARY_CLOSED_DAYS", "ClosedDay", "Countdown", "WorkingCalendar", "danish_calendar"]


class ClosedDay(NamedTuple):
    """A day closed every year by custom, not by law (Grundlovsdag, Juleaftensdag …)."""

    month: int
    day: int
    name: str


# Closed in Danish public administration, though the `holidays` library (official holidays)
# does not list them. A plan can name others with the `customary_closed_days` key.
CUSTOMARY_CLOSED_DAYS: tuple[ClosedDay, ...] = (
    ClosedDay(6, 5, "Grundlovsdag"),
    ClosedDay(12, 24, "Juleaftensdag"),
    ClosedDay(12, 31, "Nytårsaftensdag"),
)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("DK", years=year, language="da").items())


@dataclass(frozen=True)
class Countdown:
    """Days left from one date to another: calendar days and Danish working days."""

    calendar_days: int
    working_days: int

    @property
    def passed(self) -> bool:
        return self.calendar_days < 0


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days in Denmark: Monday to Friday, less public holidays and ``closed_days``."""

    closed_days: tuple[ClosedDay, ...] = CUSTOMARY_CLOSED_DAYS
    _names: dict[tuple[int, int], str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = {(c.month, c.day): c.name for c in self.closed_days}
        object.__setattr__(self, "_names", names)  # frozen: set once, derived from closed_days

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday or closed day on ``day``, or None."""
        public = _public_holidays(day.year).get(day)
        if public:
            return public
        return self._names.get((day.month, day.day))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days are left from ``start`` until ``end``.

        Negative when ``end`` lies before ``start`` (the count of working days since).
        """
        return _working_days_between(self.closed_days, start, end)

    def _count(self, start: date, end: date) -> int:
        if end == start:
            return 0
        sign = 1 if end > start else -1
        lo, hi = (start, end) if sign == 1 else (end, start)
        days = rrule(DAILY, dtstart=lo + timedelta(days=1), until=hi, byweekday=(MO, TU, WE, TH, FR))
        return sign * sum(1 for d in days if self.holiday_name(d.date()) is None)

    def countdown(self, today: date, target: date) -> Countdown:
        """Calendar and working days from ``today`` until ``target``."""
        return Countdown((target - today).days, self.working_days_between(today, target))

    def add_working_days(self, day: date, count: int) -> date:
        """The date ``count`` working days after ``day`` (before it when ``count`` is negative)."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_day_on_or_before(self, day: date) -> date:
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day


@lru_cache(maxsize=65536)
def _working_days_between(closed_days: tuple[ClosedDay, ...], start: date, end: date) -> int:
    # Asked for the same few (today, deadline) pairs thousands of times per wave-wide answer.
    return WorkingCalendar(closed_days=closed_days)._count(start, end)


def danish_calendar(closed_days: tuple[ClosedDay, ...] = CUSTOMARY_CLOSED_DAYS) -> WorkingCalendar:
    """The calendar for a plan, given the customary closed days it names."""
    return WorkingCalendar(closed_days=closed_days)
