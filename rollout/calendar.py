"""Danish working days: weekdays that are neither public holidays nor days the plan closes.

Every function takes the dates it works on; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule

__all__ = ["Countdown", "WorkingCalendar", "danish_calendar"]


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

    closed_days: tuple[tuple[int, int], ...] = ((12, 24), (12, 31))
    _names: dict[tuple[int, int], str] = field(
        default_factory=lambda: {(12, 24): "Juleaftensdag", (12, 31): "Nytårsaftensdag"},
        compare=False,
    )

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday or closed day on ``day``, or None."""
        public = _public_holidays(day.year).get(day)
        if public:
            return public
        if (day.month, day.day) in self.closed_days:
            return self._names.get((day.month, day.day), "lukkedag")
        return None

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
        days = rrule(DAILY, dtstart=lo + timedelta(days=1), until=hi,
                     byweekday=(MO, TU, WE, TH, FR))
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
def _working_days_between(closed_days: tuple[tuple[int, int], ...], start: date, end: date) -> int:
    # Asked for the same few (today, deadline) pairs thousands of times per wave-wide answer.
    return WorkingCalendar(closed_days=closed_days)._count(start, end)


def danish_calendar(closed_days: tuple[tuple[int, int], ...] = ((12, 24), (12, 31))) -> WorkingCalendar:
    """The calendar for a plan, given the extra closed days it names."""
    return WorkingCalendar(closed_days=closed_days)
