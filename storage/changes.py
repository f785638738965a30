"""The cheapest sign that something changed: one short query a live board polls.

It is the kept snapshot's own test (:func:`storage.snapshots.newest_marks`: the newest task
event, wave move, roster change and gate decision), so a board refreshes exactly when the
answers it is built from can have changed.
"""

from __future__ import annotations

from sqlalchemy import Engine

from storage.snapshots import newest_marks

__all__ = ["change_marker"]


def change_marker(engine: Engine) -> str:
    """``"{event}-{move}-{roster}-{decision}"``: the newest id of each; equal markers, nothing new."""
    with engine.connect() as conn:
        marks = newest_marks(conn)
    return f"{marks.event}-{marks.move}-{marks.roster}-{marks.decision}"
