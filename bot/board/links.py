"""Board links that only this server can mint: bound to a person, expiring, signed.

A token is ``{payload}.{sig}``: the payload is base64url JSON (handle, name, language, expiry in
unix seconds), ``sig`` an HMAC-SHA256 over it with a key derived from the server's link key
(``SF1590_FILES_SECRET`` or the database's, as for file links: :mod:`bot.files`), so a file
link's signature is never a board token's. The signature is checked before the payload is read.
The page that opens a link trades its token for an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from bot.clock import Clock
from commands.context import BoardLink

__all__ = ["BOARD_LIFETIME", "BoardLinks", "Viewer"]

BOARD_LIFETIME = timedelta(hours=12)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,2000}\.[0-9a-f]{64}")


@dataclass(frozen=True)
class Viewer:
    """Whom a valid token was minted for, in which language, and until when."""

    handle: str
    name: str
    language: str
    expires: datetime


@dataclass
class BoardLinks:
    """Mints board links (:meth:`mint` fits :data:`commands.context.BoardLinkMinter`) and checks
    their tokens."""

    key: bytes  # the server's link key; the board signs with a key derived from it
    clock: Clock
    base_url: str = ""  # without a trailing slash
    lifetime: timedelta = BOARD_LIFETIME

    def __post_init__(self) -> None:
        self._key = hmac.new(self.key, b"sf1590-board-link", hashlib.sha256).digest()

    def token(self, handle: str, name: str, language: str, expires: datetime) -> str:
        payload = json.dumps(
            {"u": handle, "n": name, "l": language, "e": int(expires.timestamp())},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def mint(self, handle: str, name: str, target: str, language: str) -> BoardLink:
        """A link that opens ``/board/{target}`` for this person, valid for :attr:`lifetime`."""
        expires = _wall(self.clock) + self.lifetime
        token = self.token(handle, name, language, expires)
        to = f"&to={quote(target, safe='/')}" if target else ""
        url = f"{self.base_url}/board/open?token={token}{to}"
        return BoardLink(url, expires)

    def viewer(self, token: str | None) -> Viewer | None:
        """Whom the token was minted for; None for a missing, forged, altered or expired one."""
        if not token or not _TOKEN.fullmatch(token):
            return None
        body, sig = token.split(".")
        if not hmac.compare_digest(self._sign(body), sig):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            expires = datetime.fromtimestamp(int(data["e"]), UTC)
            viewer = Viewer(str(data["u"]), str(data["n"]), str(data["l"]), expires)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None  # signed by us but not ours to read: treat as forged
        return viewer if expires > _wall(self.clock) else None

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()


def _wall(clock: Clock) -> datetime:
    """Links expire in real time, also while the plan is replayed on another day."""
    real = getattr(clock, "real_now", None)
    moment: datetime = real() if callable(real) else clock.now()
    return moment
