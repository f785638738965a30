"""SQLModel tables. Task changes are an append-only event log; ``task_state`` is its projection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "ChannelLinkRow",
    "GateDecisionRow",
    "MunicipalityRow",
    "PersonRow",
    "PlatformIdentityRow",
    "TaskEventRow",
    "TaskStateRow",
    "WaveMoveRow",
]


class MunicipalityRow(SQLModel, table=True):
    __tablename__ = "municipality"

    code: int = Field(primary_key=True)
    name: str
    slug: str = Field(unique=True, index=True)
    region: str = ""
    wave: str = Field(index=True)
    bookkeeping_supplier: str | None = None
    debtor_supplier: str | None = None
    connections: str = "KSD"  # comma-separated names of line-of-business system connections


class WaveMoveRow(SQLModel, table=True):
    """A municipality entering a wave: the first placement, a move by an admin, or a roll-back."""

    __tablename__ = "wave_move"

    id: int | None = Field(default=None, primary_key=True)
    municipality_code: int = Field(index=True, foreign_key="municipality.code")
    from_wave: str | None = None
    to_wave: str
    reason: str = ""
    actor: str
    source: str
    at: datetime


class TaskStateRow(SQLModel, table=True):
    __tablename__ = "task_state"
    __table_args__ = (UniqueConstraint("ref", "municipality", "connection", name="uq_task_state_key"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(index=True)
    municipality: int = Field(index=True)
    connection: str = ""
    status: str
    reason: str = ""
    version: int = 0
    updated_at: datetime
    updated_by: str


class TaskEventRow(SQLModel, table=True):
    """One change of a task instance's status: who, when, from where, old -> new."""

    __tablename__ = "task_event"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(index=True)
    municipality: int = Field(index=True)
    connection: str = ""
    old_status: str
    old_reason: str = ""
    new_status: str
    new_reason: str = ""
    actor: str = Field(index=True)
    source: str
    at: datetime
    compensates: int | None = Field(default=None, foreign_key="task_event.id", unique=True)


class GateDecisionRow(SQLModel, table=True):
    """A go / no-go recorded for a municipality at a gate of its wave."""

    __tablename__ = "gate_decision"

    id: int | None = Field(default=None, primary_key=True)
    gate: str
    wave: str
    municipality_code: int = Field(index=True, foreign_key="municipality.code")
    decision: str  # go | no_go
    note: str = ""
    actor: str
    source: str
    at: datetime


class PersonRow(SQLModel, table=True):
    """Someone who works on the rollout and what they may change (see commands.context.Actor).

    The set fields are stored as comma-separated text: they are short and read as a whole.
    """

    __tablename__ = "person"

    handle: str = Field(primary_key=True)
    name: str
    is_admin: bool = False
    roles: str = ""  # plan role ids
    municipalities: str = ""  # municipality codes limiting ``roles`` (empty: everywhere)
    coordinates: str = ""  # municipality codes
    manages: str = ""  # wave ids
    updated_at: datetime
    updated_by: str


class PlatformIdentityRow(SQLModel, table=True):
    """A chat account (Slack user id, Teams AAD id) that belongs to a person."""

    __tablename__ = "platform_identity"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_platform_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    external_id: str
    person_handle: str = Field(index=True, foreign_key="person.handle")


class ChannelLinkRow(SQLModel, table=True):
    """A chat channel whose commands default to a wave."""

    __tablename__ = "channel_link"
    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_channel_link"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    channel_id: str
    wave: str
    updated_at: datetime
    updated_by: str
