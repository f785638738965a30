"""The scheduler process: APScheduler 3 as a ticker (one in-memory interval job), and the
operator's one-off sweep and preview.

Reminders are rows of our own (the outbox), never APScheduler jobs: a 3.x job store must not be
shared between processes. The job store here is in memory and holds one job, the sweep; the
morning digests need no cron job of their own, since each sweep asks the domain what is due by
now (each channel's posting time included).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.clock import COPENHAGEN, Clock
from bot.lifecycle import stop_on_signals
from bot.runtime import Runtime
from bot.scheduler.sweep import Sweeper, SweepReport
from commands.context import CommandContext
from commands.notices import notice
from rollout.reminders import Target, due_on
from storage.heartbeat import record_sweep
from storage.reminders import SqlReminderSettings

__all__ = ["SWEEP_SECONDS", "preview", "run_forever", "tick"]

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60


def tick(sweeper: Sweeper, clock: Clock) -> SweepReport | None:
    """One sweep as of the clock's now; a failure is logged, never raised (the ticker goes on)."""
    try:
        report = sweeper.sweep(clock.now())
    except Exception:
        log.exception("sweep failed; the next tick tries again")
        return None
    if report.led:  # for /healthz and /metrics on every web replica: when the last sweep ended
        try:
            record_sweep(sweeper.runtime.engine, clock.now(), sweeper.worker)
        except Exception:
            log.exception("could not record the sweep's time; /healthz will show it as older")
    if report.inserted or report.sent or report.failed or report.dropped:
        log.info(
            "sweep: %d due, %d new, %d sent, %d found, %d failed, %d dropped",
            report.due,
            len(report.inserted),
            len(report.sent),
            len(report.found),
            len(report.failed),
            len(report.dropped),
        )
    return report


STOP_GRACE = 30.0  # seconds a sweep in flight may take to finish after SIGTERM (systemd waits 30)


def run_forever(sweeper: Sweeper, clock: Clock, *, seconds: int = SWEEP_SECONDS) -> None:
    """Sweep every ``seconds`` until SIGTERM or SIGINT (one sweep at a time, missed ticks merged).

    On a stop the sweep in flight finishes the row it is sending (marked sent, or released for a
    retry) and claims no more; then the scheduler's lead is given up and this returns."""
    scheduler = BlockingScheduler(jobstores={"default": MemoryJobStore()}, timezone=COPENHAGEN)
    in_flight = threading.Lock()

    def job() -> None:
        with in_flight:
            if not sweeper.stopping.is_set():
                tick(sweeper, clock)
        if sweeper.stopping.is_set():  # a stop while it was starting
            _shut_down(scheduler)

    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        id="sweep",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=seconds,
        next_run_time=clock.now(),
    )

    def stop(_signum: int) -> None:
        sweeper.stopping.set()
        # A signal handler runs between two bytecodes of the main thread, which may be inside
        # the scheduler holding a lock that shutdown() takes too (a job's submission to the
        # thread pool): shutting down from here could wait on ourselves for ever. A thread waits
        # its turn instead.
        threading.Thread(target=_shut_down, args=(scheduler,), name="scheduler-stop", daemon=True).start()

    with stop_on_signals(stop):
        log.info("scheduler %s: sweeping every %d s", sweeper.worker, seconds)
        try:
            if not sweeper.stopping.is_set():  # a stop that came before the scheduler ran
                scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            sweeper.stopping.set()
        finally:
            if in_flight.acquire(timeout=STOP_GRACE):  # the sweep in flight has handed back its rows
                in_flight.release()
            else:
                log.warning("a sweep still runs after %.0f s; its claims expire with their lease", STOP_GRACE)
            sweeper.leadership.release()
    log.info("scheduler %s: stopped", sweeper.worker)


def _shut_down(scheduler: BlockingScheduler) -> None:
    if scheduler.running:
        with contextlib.suppress(SchedulerNotRunningError):  # the job itself stopped it first
            scheduler.shutdown(wait=False)


def _days(start: date, count: int) -> Iterator[date]:
    for offset in range(count):
        yield start + timedelta(days=offset)


def preview(
    runtime: Runtime, *, start: date, days: int, wave: str | None = None, full: bool = False
) -> list[str]:
    """What would be posted on each of ``days`` days from ``start``, from the state as it is now,
    without sending anything: each message's headline (``full``: every line). A wave with no
    linked channel is shown as ``#WAVE``."""
    targets = [
        replace(t, since=None)
        for t in SqlReminderSettings(runtime.engine).targets(("slack", "teams"))
        if not t.person and (wave is None or t.wave == wave)
    ]
    waves = [wave] if wave else list(runtime.graph.plan.waves)
    linked = {t.wave for t in targets}
    targets += [Target("preview", f"#{w}", w) for w in waves if w not in linked]
    store = runtime.store
    rollout = store.snapshot(runtime.graph)
    out: list[str] = []
    for day in _days(start, days):
        items = due_on(rollout, targets, day)
        closed = runtime.graph.calendar.holiday_name(day)
        head = f"{day.isoformat()} {day.strftime('%a')}"
        if not items:
            reason = closed or ("weekend" if day.weekday() >= 5 else "nothing due")
            out.append(f"{head}: nothing ({reason})")
            continue
        out.append(f"{head}: {len(items)} message(s)")
        for item in items:
            ctx = CommandContext(
                store, runtime.graph, datetime.combine(day, item.target.post_time, COPENHAGEN), day
            )
            reply = notice(ctx, rollout, item)
            out.append(
                f"  [{item.target.post_time.strftime('%H:%M')} {item.target.address} "
                f"{item.kind}] {reply.headline}"
            )
            if full:
                out.extend(f"      {line}" for line in reply.text_lines()[1:])
    return out
