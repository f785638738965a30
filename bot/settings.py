"""Settings from the environment, read once at start-up and passed in."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PLANS_DIR", "Settings"]

log = logging.getLogger(__name__)

PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///sf1590.db"
    plan_path: Path = PLANS_DIR / "sf1590.yaml"
    municipalities_path: Path = PLANS_DIR / "municipalities.csv"
    demo_roster_path: Path = PLANS_DIR / "demo-roster.yaml"
    demo_progress_path: Path = PLANS_DIR / "demo-progress.yaml"
    language: str = "en"  # en | da: the frame of the answers; plan text is Danish either way
    # How much lower than the web process the worker processes run (os.nice, 0-19): the ack has
    # Slack's 3 s deadline and the answer does not, so under load the kernel serves acks first.
    worker_nice: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL", defaults.database_url),
            plan_path=Path(env.get("SF1590_PLAN", str(defaults.plan_path))),
            language=env.get("SF1590_LANGUAGE", defaults.language),
            worker_nice=_nice(env.get("SF1590_WORKER_NICE"), defaults.worker_nice),
        )


def _nice(raw: str | None, default: int) -> int:
    """SF1590_WORKER_NICE: a niceness increment an unprivileged process may take (0 turns it off).
    A bad value is logged and the default used, as SF1590_LANGUAGE is: every command reads these
    settings, and only `serve` starts workers, so a typo must not stop the others."""
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= 19:
        log.warning("SF1590_WORKER_NICE=%r is not a whole number from 0 to 19; using %d", raw, default)
        return default
    return value
