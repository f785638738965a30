"""One row of a benchmark's results, percentiles, and the table `python -m bench.run` prints."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Figure", "loglog_exponent", "machine", "percentile", "table"]


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``bench`` (slack, sweep, commands), the ``case`` measured, what was
    measured (``measure``: "p50", "ack p99", …) and its value in ``unit``; ``target``: the
    value it must stay under (in the same unit), when there is one."""

    bench: str
    case: str
    measure: str
    value: float
    unit: str = "ms"
    note: str = ""
    target: float | None = None

    @property
    def ratio(self) -> float | None:
        """The value over its target: above 1 misses it."""
        if self.target is None or not self.target or math.isnan(self.value):
            return None
        return self.value / self.target


def loglog_exponent(sizes: Sequence[float], values: Sequence[float]) -> float:
    """The slope of a least-squares line through (log size, log value): how a cost grows with
    the size (1: linearly, 2: quadratically). NaN with fewer than two usable points."""
    points = [(math.log(x), math.log(y)) for x, y in zip(sizes, values, strict=True) if x > 0 and y > 0]
    if len({x for x, _ in points}) < 2:
        return math.nan
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    """The core count and load average, which the figures depend on."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} core(s), load average {load} (1, 5, 15 min)"


def table(figures: Iterable[Figure]) -> str:
    """The figures as one aligned plain-text table: value, target and their ratio."""
    header = ("benchmark", "case", "measure", "value", "target", "ratio", "note")
    rows = [
        (
            f.bench,
            f.case,
            f.measure,
            _number(f.value, f.unit),
            "" if f.target is None else _number(f.target, f.unit),
            "" if f.ratio is None else f"{f.ratio:.2f}" + (" MISSED" if f.ratio > 1 else ""),
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: tuple[str, ...]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.rjust(w) if i in (3, 4) else c.ljust(w) for i, (c, w) in pairs]  # numbers right
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(header), line, *map(fmt, rows)])


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "exp":  # a log-log slope
        return f"{value:.2f}"
    return f"{value:,.0f} {unit}".rstrip()
