"""Drawing the charts as PNG with matplotlib's Agg backend (imported lazily: the console's
start-up does not pay for it).

Colours are the Okabe–Ito palette, which colour-blind readers tell apart; blocked and late cells
are also hatched, and the legend names every state, so nothing depends on colour alone.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from commands.charts.data import STATES, BurndownSeries, DependencyPicture, ReadinessGrid
from commands.messages import has_text, t

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["COLOURS", "Chart", "draw_burndown", "draw_graph", "draw_readiness"]

COLOURS = {  # Okabe–Ito
    "blocked": "#D55E00",  # vermillion
    "late": "#E69F00",  # orange
    "waiting": "#D9D9D9",  # light grey: open, waits on others
    "ready": "#F0E442",  # yellow
    "in_progress": "#56B4E9",  # sky blue
    "done": "#009E73",  # bluish green
    "not_applicable": "#FFFFFF",
    "": "#FFFFFF",
}
HATCHES = {"blocked": "xx", "late": "//"}  # in the legend and the graph's boxes
MARKERS: dict[str, Any] = {"blocked": "x", "late": (2, 2, -45)}  # the heatmap's cells: a cross, a slash
DPI = 100
WIDTH_IN = 16.0  # 1600 px
FONT = 10  # points: readable on a phone when zoomed to the width


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, its pixel size, and the labels drawn on it (for tests and
    screen readers)."""

    png: bytes
    width: int
    height: int
    labels: tuple[str, ...]


def _figure(height_in: float) -> Figure:
    from matplotlib.figure import Figure  # Agg via savefig: no GUI backend, no pyplot state

    return Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)


def _png(figure: Figure, labels: tuple[str, ...]) -> Chart:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)  # a fixed size: no tight bbox cropping
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return Chart(png, width, height, labels)


def _state_label(state: str) -> str:
    return t(f"chart.state.{state}")


def _legend(ax: Any, states: tuple[str, ...], **where: Any) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=COLOURS[s], edgecolor="#000000", hatch=HATCHES.get(s, ""), label=_state_label(s))
        for s in states
    ]
    ax.legend(handles=handles, fontsize=FONT, **where)


def _phase_label(phase: str) -> str:
    return t(f"chart.phase.{phase}") if has_text(f"chart.phase.{phase}") else phase


def _runs(required: frozenset[tuple[int, int]]) -> list[Any]:
    """One outline per column for each run of consecutive required rows."""
    from matplotlib.patches import Rectangle

    boxes = []
    for column in sorted({c for _, c in required}):
        rows = sorted(r for r, c in required if c == column)
        start = previous = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            boxes.append(Rectangle((column - 0.42, start - 0.42), 0.84, previous - start + 0.84))
            if row is not None:
                start = previous = row
    return boxes


def draw_readiness(grid: ReadinessGrid, title: str) -> Chart:
    """The heatmap: a row per municipality, a column per task, the gate's required cells
    outlined in black."""
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import ListedColormap

    order = (*STATES, "")
    figure = _figure(max(10.0, 0.16 * len(grid.rows) + 3.6))
    ax = figure.add_axes((0.12, 0.1, 0.74, 0.84))
    values = [[order.index(cell) for cell in row] for row in grid.cells]
    ax.imshow(
        values,
        cmap=ListedColormap([COLOURS[s] for s in order]),
        vmin=0,
        vmax=len(order) - 1,
        aspect="auto",
        interpolation="nearest",
    )
    for state, marker in MARKERS.items():  # one marker collection: fast for thousands
        spots = [(c, r) for r, row in enumerate(grid.cells) for c, cell in enumerate(row) if cell == state]
        if spots:
            ax.scatter(
                [x for x, _ in spots],
                [y for _, y in spots],
                marker=marker,
                s=90,
                color="#000000",
                linewidths=1.2,
            )
    ax.add_collection(
        PatchCollection(_runs(grid.required), facecolor="none", edgecolor="#000000", linewidth=2.0)
    )
    # Thin white lines between cells: two line collections (minor ticks would cost a
    # Line2D per cell edge).
    rows, columns = len(grid.rows), len(grid.columns)
    ax.hlines([y - 0.5 for y in range(1, rows)], -0.5, columns - 0.5, color="#FFFFFF", linewidth=0.6)
    ax.vlines([x - 0.5 for x in range(1, columns)], -0.5, rows - 0.5, color="#FFFFFF", linewidth=0.6)
    ax.set_yticks(range(len(grid.rows)), grid.rows, fontsize=FONT)
    ax.set_xticks(range(len(grid.columns)), grid.columns, fontsize=FONT, rotation=90)
    start = 0
    for phase, width in grid.phases:
        if start:
            ax.axvline(start - 0.5, color="#000000", linewidth=2)
        ax.text(
            start + width / 2 - 0.5,
            1.005,
            _phase_label(phase),
            ha="center",
            va="bottom",
            fontsize=FONT + 1,
            fontweight="bold",
            transform=ax.get_xaxis_transform(),
        )  # x in columns, y just above the axes
        start += width
    ax.set_title(title, fontsize=FONT + 4, pad=28)
    _legend(ax, STATES, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    note = (
        t("chart.readiness.outline", gate=grid.gate)
        if grid.gate
        else t("chart.readiness.no_gate", wave=grid.wave)
    )
    ax.text(1.01, 0.55, note, transform=ax.transAxes, fontsize=FONT, va="top", wrap=True)
    return _png(figure, (*grid.rows, *grid.columns))


def _x(day: date) -> float:
    """A day as matplotlib's date axis counts it."""
    from matplotlib.dates import date2num

    return float(date2num(day))  # type: ignore[no-untyped-call]


def _day_axis(ax: Any, days: list[date]) -> None:
    """Whole days from the first to the last (gates included), at most a dozen ticks."""
    first, last = min(days) - timedelta(days=2), max(days) + timedelta(days=2)
    span = (last - first).days
    step = max(1, span // 12)
    ticks = [first + timedelta(days=n) for n in range(0, span + 1, step)]
    ax.set_xlim(_x(first), _x(last))
    ax.set_xticks([_x(d) for d in ticks], [d.isoformat() for d in ticks], rotation=30, ha="right")


def draw_burndown(series: BurndownSeries, title: str) -> Chart:
    """Open tasks per day (a step line), the ideal line to zero by the last deadline, and the
    wave's gates as labelled vertical lines."""
    figure = _figure(10.0)
    ax = figure.add_axes((0.07, 0.12, 0.9, 0.8))
    days = [_x(d) for d in series.days]
    ax.step(days, series.open, where="post", color="#0072B2", linewidth=2.5, label=t("chart.burndown.open"))
    if series.ideal_end is not None and series.ideal_end > series.days[0]:
        ax.plot(
            [days[0], _x(series.ideal_end)],
            [series.open[0], 0],
            color="#000000",
            linestyle="--",
            linewidth=1.5,
            label=t("chart.burndown.ideal", day=series.ideal_end.isoformat()),
        )
    labels = []
    for i, (gate, day) in enumerate(series.gates):
        label = f"{gate} {day.isoformat()}"
        labels.append(label)
        x = _x(day)
        ax.axvline(x, color="#CC79A7", linewidth=1.5, linestyle=":")
        # Gates a day apart (KP-3, KP-4) would overprint: every other label sits lower.
        ax.text(
            x,
            series.total * (1.02 - 0.2 * (i % 2)),
            label,
            rotation=90,
            fontsize=FONT,
            ha="right",
            va="top",
            color="#000000",
        )
    _day_axis(
        ax, [*series.days, *(d for _, d in series.gates), *([series.ideal_end] if series.ideal_end else [])]
    )
    ax.set_ylim(0, max(series.total, 1) * 1.05)
    ax.set_ylabel(t("chart.burndown.y"), fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    ax.grid(True, color="#EEEEEE")
    ax.set_title(title, fontsize=FONT + 4)
    ax.legend(fontsize=FONT, loc="lower left")
    return _png(figure, tuple(labels))


def draw_graph(picture: DependencyPicture, title: str) -> Chart:
    """Tasks as labelled boxes in columns by generation; arrows for "waits on"; the longest
    remaining chain drawn thick in black."""
    figure = _figure(10.0)
    ax = figure.add_axes((0.02, 0.02, 0.8, 0.9))
    ax.set_axis_off()
    for a, b, chained in sorted(picture.edges, key=lambda e: e[2]):
        (xa, ya), (xb, yb) = picture.nodes[a][2:], picture.nodes[b][2:]
        ax.annotate(
            "",
            xy=(xb - 0.2, yb),
            xytext=(xa + 0.2, ya),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#000000" if chained else "#B0B0B0",
                "linewidth": 2.6 if chained else 0.6,
                "shrinkA": 0,
                "shrinkB": 0,
            },
            zorder=3 if chained else 1,
        )
    chain = set(picture.chain)
    for i, (label, state, x, y) in enumerate(picture.nodes):
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=FONT,
            zorder=4,
            fontweight="bold" if i in chain else "normal",
            bbox={
                "boxstyle": "round,pad=0.25",
                "facecolor": COLOURS[state],
                "edgecolor": "#000000",
                "linewidth": 2.2 if i in chain else 0.6,
                "hatch": HATCHES.get(state, ""),
            },
        )
    xs = [n[2] for n in picture.nodes] or [0.0]
    ys = [n[3] for n in picture.nodes] or [0.0]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_title(title, fontsize=FONT + 4)
    _legend(ax, STATES, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.text(
        1.0,
        0.45,
        t("chart.graph.chain", days=picture.chain_days),
        transform=ax.transAxes,
        fontsize=FONT,
        va="top",
        wrap=True,
    )
    return _png(figure, tuple(n[0] for n in picture.nodes))
