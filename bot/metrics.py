"""GET /metrics for Prometheus: commands by verb and outcome, their latency, the outbox and the
scheduler's lag.

Commands are counted in the web process. With worker processes (SF1590_WORKERS) the command runs
in a worker, which hands its ``Sample`` back with the answer (``take_sample``); the web process
records it, so one scrape of any web process shows what that process served. The outbox and the
scheduler's lag are read from the database at scrape time, so every replica shows the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commands.core import COMMANDS
from commands.reply import Reply, Tone
from storage.heartbeat import last_sweep
from storage.tables import OutboxRow

__all__ = ["REGISTRY", "Sample", "observe", "outcome_of", "record", "route", "take_sample", "verb_of"]

REGISTRY = CollectorRegistry()
COMMANDS_RUN = Counter(
    "sf1590_commands", "Commands answered, by verb and outcome", ["verb", "outcome"], registry=REGISTRY
)
LATENCY = Histogram(
    "sf1590_command_seconds", "Time to answer a command, by verb", ["verb"], registry=REGISTRY
)
REFERENCE = "reference"  # Reply.extra key: the reference of an internal error, as logged

_last: ContextVar[Sample | None] = ContextVar("sf1590_last_sample", default=None)


@dataclass(frozen=True)
class Sample:
    verb: str
    outcome: str  # ok | user_error | internal_error
    seconds: float


def verb_of(text: str) -> str:
    """The command's verb as a label: a known verb, ``help`` for nothing, else ``unknown``
    (what a user typed never becomes a label: the number of series stays bounded)."""
    words = text.strip().lower().split()
    if not words:
        return "help"
    return words[0] if words[0] in COMMANDS else "unknown"


def outcome_of(reply: Reply) -> str:
    if REFERENCE in reply.extra:
        return "internal_error"
    return "user_error" if reply.tone is Tone.ERROR else "ok"


def observe(text: str, reply: Reply, seconds: float) -> Sample:
    """Count one answered command here, and keep it for the web process to take (workers)."""
    sample = Sample(verb_of(text), outcome_of(reply), seconds)
    record(sample)
    _last.set(sample)
    return sample


def record(sample: Sample) -> None:
    COMMANDS_RUN.labels(sample.verb, sample.outcome).inc()
    LATENCY.labels(sample.verb).observe(sample.seconds)


def take_sample() -> Sample | None:
    """The last command observed in this context (a worker process hands it back), then None."""
    sample = _last.get()
    _last.set(None)
    return sample


class StateCollector(Collector):
    """The outbox by state and the scheduler's lag, read from the database at each scrape."""

    def __init__(self, engine: Engine, now: object) -> None:
        self.engine, self.now = engine, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        outbox = GaugeMetricFamily("sf1590_outbox", "Outbox notifications by state", labels=["state"])
        for state, count in self._outbox().items():
            outbox.add_metric([state], count)
        yield outbox
        swept = last_sweep(self.engine)
        if swept is not None:
            now: datetime = self.now()  # type: ignore[operator]
            yield GaugeMetricFamily(
                "sf1590_scheduler_lag_seconds",
                "Seconds since a scheduler last finished a sweep",
                value=max(0.0, (now - swept).total_seconds()),
            )

    def _outbox(self) -> dict[str, int]:
        """pending / sent / dropped rows; failed: not sent, last attempt failed; late: sent late."""
        counts = {"pending": 0, "sent": 0, "dropped": 0, "failed": 0, "late": 0}
        with Session(self.engine) as session:
            for status, count in session.exec(
                select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
            ):
                counts[status] = count
            counts["failed"] = session.exec(
                select(func.count()).where(OutboxRow.status != "sent", OutboxRow.last_error != "")
            ).one()
            counts["late"] = session.exec(select(func.count()).where(OutboxRow.late)).one()
        return counts


def route(engine: Engine, now: object) -> Route:
    """GET /metrics over this database (``now``: the clock's now, for the scheduler's lag)."""
    registry = CollectorRegistry()
    registry.register(StateCollector(engine, now))

    def scrape() -> bytes:
        return generate_latest(REGISTRY) + generate_latest(registry)

    async def metrics(_request: Request) -> Response:
        return Response(await run_in_threadpool(scrape), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])
