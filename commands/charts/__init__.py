"""Charts of a wave or municipality as PNG: readiness heatmap, burndown, dependency graph.

The chart verb (commands.charts.command) and the reports use these: each takes the view models
(a Rollout snapshot, the recorded task events) and returns a :class:`Chart`, or None when there
is nothing to draw (no municipality in the wave, no recorded event).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from commands.charts.data import burndown_series, dependency_picture, readiness_grid
from commands.charts.draw import Chart, draw_burndown, draw_graph, draw_readiness
from commands.messages import t
from rollout.model import Municipality
from rollout.status import Rollout
from storage.ports import TaskEvent

__all__ = ["Chart", "burndown_chart", "graph_chart", "members", "readiness_chart"]


def members(rollout: Rollout, wave: str) -> list[Municipality]:
    """The wave's municipalities now, by name."""
    return sorted((m for m in rollout.municipalities.values() if m.wave == wave), key=lambda m: m.name)


def readiness_chart(rollout: Rollout, wave: str, today: date) -> Chart | None:
    """The wave's readiness heatmap on ``today``; None when no municipality is in the wave."""
    chosen = members(rollout, wave)
    if not chosen:
        return None
    grid = readiness_grid(rollout, chosen, wave, today)
    title = t("chart.readiness.title", wave=wave, day=today.isoformat(), count=len(chosen))
    return draw_readiness(grid, title)


def burndown_chart(rollout: Rollout, events: Iterable[TaskEvent], wave: str, today: date) -> Chart | None:
    """Open tasks of the wave's municipalities over time; None without members or events."""
    chosen = members(rollout, wave)
    series = burndown_series(rollout, chosen, wave, events, today) if chosen else None
    if series is None:
        return None
    return draw_burndown(
        series, t("chart.burndown.title", wave=wave, day=today.isoformat(), count=len(chosen))
    )


def graph_chart(rollout: Rollout, municipality: Municipality, today: date) -> Chart:
    """The municipality's dependency graph on ``today``."""
    picture = dependency_picture(rollout, municipality, today)
    return draw_graph(picture, t("chart.graph.title", name=municipality.name, day=today.isoformat()))
