"""The one interface the scheduler sends through, whatever the chat platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from commands.reply import Reply

__all__ = ["DeliveryError", "Notifier", "Posted"]


@dataclass(frozen=True)
class Posted:
    """The platform accepted the message; ``remote_id`` is its id there (Slack ts, Teams id)."""

    remote_id: str


class DeliveryError(Exception):
    """The platform did not take the message. ``retry_after`` is its own wish, in seconds;
    ``unreachable``: the bot may not post there (not in the channel, removed from the team), which
    an admin can fix, so the message is kept for a retry and the wave's managers are told;
    ``missing_scope``: the app lacks this permission (Slack's ``needed``; "" when not named), fixed
    by reinstalling the app with its manifest, so the message is kept too."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
        missing_scope: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.unreachable = unreachable
        self.missing_scope = missing_scope

    @property
    def kept(self) -> bool:
        """An admin's fix is needed: keep the message however long it takes, and say so."""
        return self.unreachable or self.missing_scope is not None


class Notifier(Protocol):
    """Posts a rendered reply to a channel (or a person) on one platform."""

    platform: str

    def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
        """Post ``reply``, tagged with the outbox ``key``; raise DeliveryError on failure."""
        ...

    def find_posted(self, channel_id: str, key: str) -> Posted | None:
        """A message with this key that the platform already has (after a crash mid-send)."""
        ...
