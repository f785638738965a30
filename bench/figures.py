"""One row of a benchmark's results, percentiles, and the table `python -m bench.run` prints."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Figure", "machine", "percentile", "table"]


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``bench`` (slack, sweep, commands), the ``case`` measured, what was
    measured (``measure``: "p50", "ack p99", …) and its value in ``unit``."""

    bench: str
    case: str
    measure: str
    value: float
    unit: str = "ms"
    note: str = ""


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
    """The figures as one aligned plain-text table."""
    header = ("benchmark", "case", "measure", "value", "note")
    rows = [(f.bench, f.case, f.measure, _number(f.value, f.unit), f.note) for f in figures]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: tuple[str, ...]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in pairs]  # numbers right
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(header), line, *map(fmt, rows)])


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.0f} {unit}".rstrip()
