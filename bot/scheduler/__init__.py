"""The scheduler process: a ticker that sweeps what is due into the outbox and sends it."""

from bot.scheduler.service import SWEEP_SECONDS, preview, run_forever, tick
from bot.scheduler.sweep import SweepConfig, Sweeper, SweepReport

__all__ = ["SWEEP_SECONDS", "SweepConfig", "SweepReport", "Sweeper", "preview", "run_forever", "tick"]
