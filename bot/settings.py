"""Settings from the environment, read once at start-up and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PLANS_DIR", "Settings"]

PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///sf1590.db"
    plan_path: Path = PLANS_DIR / "sf1590.yaml"
    municipalities_path: Path = PLANS_DIR / "municipalities.csv"
    demo_roster_path: Path = PLANS_DIR / "demo-roster.yaml"
    demo_progress_path: Path = PLANS_DIR / "demo-progress.yaml"
    language: str = "en"  # en | da: the frame of the answers; plan text is Danish either way

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL", defaults.database_url),
            plan_path=Path(env.get("SF1590_PLAN", str(defaults.plan_path))),
            language=env.get("SF1590_LANGUAGE", defaults.language),
        )
