"""SQLModel tables. Task changes are an append-only event log; ``task_state`` is its projection."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "ChannelLinkRow",
    "ChannelSettingRow",
    "CommandRow",
    "ConversationRefRow",
    "GateDecisionRow",
    "MunicipalityRow",
    "OutboxRow",
    "PersonRow",
    "PersonalDigestRow",
    "PlatformIdentityRow",
    "RosterChangeRow",
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
    command_id: str | None = Field(default=None, index=True)


class RosterChangeRow(SQLModel, table=True):
    """A change of a municipality's roster data (name, region, suppliers, connections)."""

    __tablename__ = "roster_change"

    id: int | None = Field(default=None, primary_key=True)
    municipality_code: int = Field(index=True, foreign_key="municipality.code")
    field: str
    old: str | None = None
    new: str | None = None
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
    command_id: str | None = Field(default=None, index=True)


class GateDecisionRow(SQLModel, table=True):
    """A go / no-go recorded for a municipality at a gate of its wave."""

    __tablename__ = "gate_decision"

    id: int | None = Field(default=None, primary_key=True)
    gate: str
    wave: str
    municipality_code: int = Field(index=True, foreign_key="municipality.code")
    decision: str  # go | no_go | withdrawn (an undo of the one before)
    note: str = ""
    actor: str
    source: str
    at: datetime
    command_id: str | None = Field(default=None, index=True)
    # The decision this one replaces at that gate (withdrawn: the one it withdraws), so which
    # decision stands is derivable; ``missing``: unfinished tasks a confirmed go was taken with.
    supersedes: int | None = None
    missing: str = ""  # task keys as values (TaskKey.as_value), comma-separated


class CommandRow(SQLModel, table=True):
    """A command that changed something: task events, wave moves and gate decisions point here.

    ``undoes`` names the command an ``undo`` reversed; unique, so a command is undone once.
    """

    __tablename__ = "command"

    seq: int | None = Field(default=None, primary_key=True)  # the order commands committed in
    command_id: str = Field(unique=True, index=True)
    verb: str
    actor: str = Field(index=True)
    source: str
    at: datetime
    undoes: str | None = Field(default=None, unique=True)


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


class OutboxRow(SQLModel, table=True):
    """A notification to post, keyed so that it is posted exactly once.

    The key (kind, wave, platform:channel, subject, due date) is unique: a notification is
    claimed by inserting it, sent, then marked sent only after the platform accepted it. A claim
    whose lease ran out (the sender died) may be taken over.
    """

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    kind: str  # deadline | overdue | countdown | digest | report | personal
    platform: str  # slack | teams
    channel_id: str  # a channel, or a user id for a personal message
    wave: str = ""
    subject: str = ""
    due_date: date
    due_at: datetime  # when it should go out
    payload: str  # the rendered neutral reply, as JSON, fixed when the row is made
    status: str = Field(default="pending", index=True)  # pending | sent | dropped
    attempts: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    late: bool = False
    remote_id: str | None = None  # the platform's message id (Slack ts, Teams activity id)
    last_error: str = ""
    created_at: datetime


class ChannelSettingRow(SQLModel, table=True):
    """How a wave channel wants its reminders: when, which kinds, paused until when."""

    __tablename__ = "channel_setting"
    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_channel_setting"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    channel_id: str
    post_time: str = "08:00"  # HH:MM, Europe/Copenhagen
    kinds: str = "deadline,overdue,countdown,digest,report"
    paused_until: datetime | None = None
    updated_at: datetime
    updated_by: str


class PersonalDigestRow(SQLModel, table=True):
    """A person who asked for a daily direct message with their own next tasks."""

    __tablename__ = "personal_digest"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_personal_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    person_handle: str = Field(index=True, foreign_key="person.handle")
    platform: str
    user_id: str
    enabled: bool = True
    updated_at: datetime


class ConversationRefRow(SQLModel, table=True):
    """Where to post proactively on a platform that needs it (a Teams conversation reference)."""

    __tablename__ = "conversation_ref"
    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_conversation_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    channel_id: str
    service_url: str
    reference: str  # the SDK's conversation reference, as JSON
    updated_at: datetime
