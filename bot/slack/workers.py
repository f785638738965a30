"""Run the command core in worker processes, so the web process only verifies, acks and hands over.

The core is CPU-bound Python; in threads next to the event loop it takes the GIL from the acks.
Each worker process opens its own runtime (engine, plan) from the same settings, and posts a
plain answer to its response URL itself (the web process finishes only answers with files to
upload or a channel to check).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor, wait
from multiprocessing.process import BaseProcess
from typing import Any

from bot import metrics
from bot.clock import Clock
from bot.runtime import open_runtime
from bot.settings import Settings

__all__ = ["ProcessRunner"]

_bot: Any = None  # the SlackBot of this worker process


def _init(settings: Settings, clock: Clock) -> None:
    global _bot
    # Ctrl-C reaches the whole process group: the web process stops the pool itself, after the
    # commands in flight have finished, so a worker must not die of it mid-command; and should
    # the web process be killed outright, the worker ends with it instead of waiting forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below the web process: its acks race Slack's 3 s and these answers do not (bench/README.md).
    if settings.worker_nice:
        os.nice(settings.worker_nice)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), name="sf1590-parent-watch", daemon=True).start()
    from bot.slack.app import SlackBot

    runtime = open_runtime(settings, clock, migrate=False)
    runtime.warm()  # before the pool reports ready: the first answers find it done
    _bot = SlackBot(runtime)


def _end_with(parent: BaseProcess) -> None:
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(0)


def _ready() -> bool:
    return _bot is not None


def _message(
    text: str, user_id: str, user_name: str, channel: str | None, language: str | None
) -> tuple[dict[str, Any], metrics.Sample | None]:
    """The rendered answer, and the command's sample for the web process's /metrics."""
    metrics.take_sample()
    result: dict[str, Any] = _bot.message(text, user_id, user_name, channel, language)
    return result, metrics.take_sample()


def _answer_to(
    url: str, text: str, user_id: str, user_name: str, channel: str | None
) -> tuple[dict[str, Any] | None, metrics.Sample | None]:
    """The answer posted from here (None), or the message when it has more to do; and the
    command's sample."""
    metrics.take_sample()
    result = _bot.post_plain(url, text, user_id, user_name, channel)
    return result, metrics.take_sample()


def _home(user_id: str) -> dict[str, Any]:
    result: dict[str, Any] = _bot.home_view(user_id)
    return result


class ProcessRunner:
    """A pool of worker processes, each with its own SlackBot over the same database."""

    def __init__(self, settings: Settings, clock: Clock, processes: int) -> None:
        self.pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(settings, clock),
        )
        wait([self.pool.submit(_ready) for _ in range(processes)])  # start them all now

    def message(
        self, text: str, user_id: str, user_name: str, channel: str | None, language: str | None = None
    ) -> dict[str, Any]:
        """The rendered answer, from a worker; ``language`` is the payload's hint, if any."""
        result, sample = self.pool.submit(_message, text, user_id, user_name, channel, language).result(
            timeout=60
        )
        if sample is not None:  # counted where /metrics is served: in this (the web) process
            metrics.record(sample)
        return result

    def answer_to(
        self, url: str, text: str, user_id: str, user_name: str, channel: str | None
    ) -> dict[str, Any] | None:
        """Answer in a worker, which posts it to ``url`` itself (None) unless it has files or a
        channel to check (then the message, for this process to finish)."""
        result, sample = self.pool.submit(_answer_to, url, text, user_id, user_name, channel).result(
            timeout=60
        )
        if sample is not None:
            metrics.record(sample)
        return result

    def home_view(self, user_id: str) -> dict[str, Any]:
        return self.pool.submit(_home, user_id).result(timeout=60)

    def close(self) -> None:
        """Finish the commands in flight, then end the worker processes (and wait for them).
        multiprocessing's resource tracker, which they shared with this process, ends on its
        own once this process has exited (it reads until the last of them has closed its pipe)."""
        self.pool.shutdown(wait=True)
