"""The only place that reads the wall clock. Everything else is handed a clock or a date."""

from __future__ import annotations

from dataclasses import dataclass
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

    Changes are still stamped with the real moment, so the audit trail stays true.
    """

    day: date

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.day
