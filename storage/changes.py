"""The cheapest sign that something changed: one short query a live board polls.

Every write of the command core is one row of ``command`` (``seq`` only grows); roster imports
and moves add ``wave_move`` rows and roster edits ``roster_change`` rows. The three highest ids
together change whenever anything a board shows can have changed.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from storage.tables import CommandRow, RosterChangeRow, WaveMoveRow

__all__ = ["change_marker", "roster_marker"]


def roster_marker(marker: str) -> str:
    """The part of a :func:`change_marker` that moves only when the roster changed."""
    return marker.split("-", 1)[-1]


def change_marker(engine: Engine) -> str:
    """``"{command}-{move}-{roster}"``: the newest id of each; equal markers, nothing new."""
    query = select(
        select(func.max(CommandRow.seq)).scalar_subquery(),
        select(func.max(WaveMoveRow.id)).scalar_subquery(),
        select(func.max(RosterChangeRow.id)).scalar_subquery(),
    )
    with engine.connect() as conn:
        row = conn.execute(query).one()
    return "-".join(str(v or 0) for v in row)
