"""Signed, expiring download links for generated files, and the route that serves them.

A link is ``{base}/files/{id}?expires={unix seconds}&sig={hex}``; ``sig`` is an HMAC-SHA256 over
the id and the expiry with a key only the server holds (:meth:`storage.files.SqlFileStore.link_key`
or ``SF1590_FILES_SECRET``). The signature is checked before anything is looked up, so a wrong,
expired or missing one gets the same bare 403 whether the file exists or not.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.clock import Clock
from commands.reply import Attachment
from storage.files import SqlFileStore

__all__ = ["LINK_LIFETIME", "PUBLIC_URL_VAR", "SECRET_VAR", "FileLink", "FileLinks", "file_links", "routes"]

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(hours=24)
PUBLIC_URL_VAR = "SF1590_PUBLIC_URL"  # https://host where `sf1590 serve` answers
SECRET_VAR = "SF1590_FILES_SECRET"
_ID = re.compile(r"[0-9a-f]{32}")
_EXPIRES = re.compile(r"[0-9]{1,12}")
_SIG = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileLink:
    """A published attachment and the link that fetches it."""

    attachment: Attachment
    url: str

    @property
    def is_image(self) -> bool:
        return self.attachment.media_type.startswith("image/")


@dataclass
class FileLinks:
    """Mints links (and only this server can: it holds the key) and opens them."""

    store: SqlFileStore
    key: bytes
    clock: Clock
    base_url: str = ""  # without a trailing slash

    def publish(self, attachment: Attachment) -> FileLink:
        """Store the file and return its link, good for :data:`LINK_LIFETIME`."""
        now = _wall(self.clock)
        expires = now + LINK_LIFETIME
        file_id = self.store.put(
            attachment.filename, attachment.media_type, attachment.content, now=now, expires_at=expires
        )
        stamp = int(expires.timestamp())
        url = (
            f"{self.base_url}/files/{file_id}/{quote(attachment.filename)}"
            f"?expires={stamp}&sig={self.sign(file_id, stamp)}"
        )
        return FileLink(attachment, url)

    def sign(self, file_id: str, expires: int) -> str:
        return hmac.new(self.key, f"{file_id}.{expires}".encode(), hashlib.sha256).hexdigest()

    def valid(self, file_id: str, expires: str, sig: str) -> bool:
        """A well-formed link, signed by this server, not yet expired."""
        if not (_ID.fullmatch(file_id) and _EXPIRES.fullmatch(expires) and _SIG.fullmatch(sig)):
            return False
        if not hmac.compare_digest(self.sign(file_id, int(expires)), sig):
            return False
        return int(expires) > _wall(self.clock).timestamp()


def _wall(clock: Clock) -> datetime:
    """Links expire in real time, also while the plan is replayed on another day."""
    real = getattr(clock, "real_now", None)
    moment: datetime = real() if callable(real) else clock.now()
    return moment


def file_links(store: SqlFileStore, clock: Clock, env: Mapping[str, str]) -> FileLinks:
    """Links for this deployment: the key from ``SF1590_FILES_SECRET`` or the database."""
    secret = env.get(SECRET_VAR, "")
    key = secret.encode() if secret else store.link_key()
    base = env.get(PUBLIC_URL_VAR, "").rstrip("/")
    if not base:
        log.warning("%s is not set: download links are relative and Teams cannot open them", PUBLIC_URL_VAR)
    return FileLinks(store, key, clock, base)


def routes(links: FileLinks) -> list[BaseRoute]:
    """``GET /files/{id}/{name}``: the bytes for a valid link, a bare 403 for anything else."""

    async def serve_file(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        query = request.query_params
        if not links.valid(file_id, query.get("expires", ""), query.get("sig", "")):
            return PlainTextResponse("Forbidden", status_code=403)
        found = links.store.get(file_id)
        if found is None:  # signed by us, but dropped since (it expired, or the database moved)
            return PlainTextResponse("Gone", status_code=410)
        disposition = "inline" if found.media_type.startswith("image/") else "attachment"
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.filename)}",
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
                "Referrer-Policy": "no-referrer",
            },
        )

    return [Route("/files/{file_id}/{name}", serve_file, methods=["GET"])]
