"""The only place that reads the wall clock. Everything else is handed a clock or a date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["COPENHAGEN", "Clock", "FixedClock", "ReplayClock", "SystemClock"]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...

    def today(self) -> date:
        """The rollout's current date in Europe/Copenhagen."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(COPENHAGEN).date()


@dataclass
class FixedClock:
    """A clock that stands still until moved: for tests and rehearsals."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.astimezone(COPENHAGEN).date()

    @classmethod
    def at(cls, day: date, hour: int = 9, minute: int = 0) -> FixedClock:
        return cls(datetime.combine(day, time(hour, minute), COPENHAGEN))


@dataclass
class ReplayClock:
    """Replays the plan on another date (``--today``): that date, with the real time of day.

    The replayed moment is the time of record: every change, decision and history line made
    during a replay is stamped with it, so the history reads as the day being replayed.
    :meth:`real_now` keeps the wall-clock moment for whoever needs it.
    """

    day: date
    real: Clock = field(default_factory=SystemClock)

    def now(self) -> datetime:
        real = self.real.now().astimezone(COPENHAGEN)
        return datetime.combine(self.day, real.timetz())

    def real_now(self) -> datetime:
        """The wall-clock moment (not replayed)."""
        return self.real.now()

    def today(self) -> date:
        return self.day
