"""Replayed time (``--today``) is the time of record: what is written carries the replayed day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.clock import COPENHAGEN, FixedClock, ReplayClock


def test_a_replayed_moment_is_the_replayed_day_at_the_real_time_of_day() -> None:
    real = FixedClock(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))  # 23:30 in Copenhagen
    clock = ReplayClock(date(2020, 1, 21), real)
    now = clock.now()
    assert now.astimezone(COPENHAGEN).date() == date(2020, 1, 21) == clock.today()
    assert (now.astimezone(COPENHAGEN).hour, now.minute) == (23, 30)
    assert clock.real_now() == real.moment  # the wall clock is kept beside it


def test_a_replayed_summer_day_gets_summer_time() -> None:
    real = FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 09:00 CET
    now = ReplayClock(date(2020, 6, 10), real).now()
    assert now.utcoffset() is not None and now.utcoffset().total_seconds() == 7200
    assert now.astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M") == "2020-06-10 09:00"
