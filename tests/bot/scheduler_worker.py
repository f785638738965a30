"""A scheduler process for the tests: sweeps a database as of simulated moments, posting to a
(fake) Slack Web API. ``--crash after-claim|after-post`` kills the process with SIGKILL on the
first send, before or after Slack accepted it.

    python -m tests.bot.scheduler_worker --db URL [--schema S] --slack URL --start ISO
        [--end ISO --step-minutes N] [--crash MODE] [--no-lock] [--lease-seconds S]
        [--wall-ahead-seconds S]

``--wall-ahead-seconds`` sets this process's wall clock (leases, retries) that far ahead of the
real one, so a test can "come back after the lease ran out" without sleeping.
"""

from __future__ import annotations

import argparse
import os
import signal
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.clock import FixedClock, SystemClock
from bot.notify import Posted
from bot.runtime import open_runtime
from bot.scheduler import SweepConfig, Sweeper
from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from commands.reply import Reply
from storage.engine import make_engine
from storage.outbox import Leadership


class CrashingNotifier(SlackNotifier):
    def __init__(self, client: WebClient, mode: str) -> None:
        super().__init__(client)
        self.mode = mode

    def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
        if self.mode == "after-claim":
            os.kill(os.getpid(), signal.SIGKILL)
        posted = super().post(channel_id, reply, key=key)
        if self.mode == "after-post":
            os.kill(os.getpid(), signal.SIGKILL)
        return posted


class Follower(Leadership):
    """Ignores the advisory lock: every process sweeps (the outbox alone keeps them apart)."""

    def acquire(self) -> bool:
        return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--slack", required=True)
    parser.add_argument("--start", required=True, type=datetime.fromisoformat)
    parser.add_argument("--end", type=datetime.fromisoformat)
    parser.add_argument("--step-minutes", type=int, default=60)
    parser.add_argument("--crash", default="")
    parser.add_argument("--no-lock", action="store_true")
    parser.add_argument("--lease-seconds", type=float, default=300)
    parser.add_argument("--wall-ahead-seconds", type=float, default=0)
    args = parser.parse_args()
    engine = make_engine(args.db, schema=args.schema)
    clock = FixedClock(args.start)
    runtime = open_runtime(Settings(database_url=args.db), clock, migrate=False, engine=engine)
    client = WebClient(token="xoxb-test", base_url=f"{args.slack}/api/", retry_handlers=[])
    notifier = CrashingNotifier(client, args.crash)
    leadership = Follower(engine) if args.no_lock else Leadership(engine)
    ahead = timedelta(seconds=args.wall_ahead_seconds)
    sweeper = Sweeper(
        runtime,
        {"slack": notifier},
        config=SweepConfig(min_interval=0, lease=timedelta(seconds=args.lease_seconds)),
        leadership=leadership,
        wall=lambda: SystemClock().now() + ahead,
    )
    moment, end = args.start, args.end or args.start
    while moment <= end:
        clock.moment = moment
        sweeper.sweep(moment)
        moment += timedelta(minutes=args.step_minutes)
    leadership.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
