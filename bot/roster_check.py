"""The warning `serve` and the scheduler log while no municipality is in the roster: a new
database answers every command about a municipality with "no municipalities yet", and sends no
reminders, until an admin imports the roster."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.repository import SqlRolloutStore

__all__ = ["EMPTY_ROSTER", "roster_is_empty", "warn_if_empty_roster"]

EMPTY_ROSTER = (
    "the roster is empty: no municipality is in a wave, so no reminder is due and commands about "
    "a municipality cannot answer. An admin imports it: `sf1590 roster import "
    "plans/municipalities.csv --wave K91`, then `roster set P2 aarhus randers` in chat "
    "(README: Slack / Microsoft Teams, step Roster)"
)


def roster_is_empty(engine: Engine) -> bool:
    """True when the database holds no municipality (a database not migrated yet: not known,
    False; `serve` reports that itself)."""
    try:
        return not SqlRolloutStore(engine).municipalities()
    except SQLAlchemyError:
        return False


def warn_if_empty_roster(engine: Engine, log: logging.Logger) -> bool:
    """Log :data:`EMPTY_ROSTER` as a warning when the roster is empty; True if it did."""
    empty = roster_is_empty(engine)
    if empty:
        log.warning(EMPTY_ROSTER)
    return empty
