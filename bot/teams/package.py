"""``sf1590 teams package``: the Teams app package (manifest.json and two icons in a zip) that a
Teams admin uploads (Teams admin center → Manage apps → Upload, or Teams → Apps → Manage your
apps → Upload an app).

The icons are drawn here with the standard library (zlib + struct), so the package needs no
image files and no imaging library: a 192×192 colour icon and a 32×32 white-on-transparent
outline icon, as the Teams manifest requires.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.teams.settings import APP_ID_VAR
from commands.core import COMMANDS

__all__ = ["MANIFEST_SCHEMA", "MANIFEST_VERSION", "build_manifest", "build_package", "png", "write_package"]

MANIFEST_VERSION = "1.17"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
SCOPES = ["team", "groupChat", "personal"]
MAX_COMMANDS = 10  # Teams shows at most 10 commands per scope
MENU = ("next", "status", "blocked", "gate", "wave", "show", "done", "block", "channel", "help")
ACCENT = (0x1F, 0x5A, 0x96)  # a calm blue
WEBSITE_VAR = "SF1590_TEAMS_WEBSITE"
DEFAULT_WEBSITE = "https://example.org/sf1590"  # a placeholder: set your own (WEBSITE_VAR)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG, one ``pixel(x, y)`` at a time."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _check_mark(x: float, y: float) -> bool:
    """A tick on the unit square: two thick strokes."""

    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= 0.075**2

    return near(0.22, 0.52, 0.42, 0.72) or near(0.42, 0.72, 0.80, 0.30)


def color_icon() -> bytes:
    """192×192: a white tick on the accent colour."""

    def pixel(x: int, y: int) -> Pixel:
        return (255, 255, 255, 255) if _check_mark(x / 192, y / 192) else (*ACCENT, 255)

    return png(192, 192, pixel)


def outline_icon() -> bytes:
    """32×32: the same tick, white on transparent (Teams' rule for outline icons)."""

    def pixel(x: int, y: int) -> Pixel:
        return (255, 255, 255, 255) if _check_mark((x + 0.5) / 32, (y + 0.5) / 32) else (0, 0, 0, 0)

    return png(32, 32, pixel)


def _commands() -> list[dict[str, str]]:
    chosen = [COMMANDS[name] for name in MENU if name in COMMANDS][:MAX_COMMANDS]
    return [{"title": c.name[:32], "description": c.summary[:128]} for c in chosen]


def build_manifest(
    bot_id: str, *, version: str = "1.0.0", website: str, developer: str = "SF1590 rollout"
) -> dict[str, Any]:
    """The Teams app manifest for the bot registered as ``bot_id`` (the Entra app id)."""
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {
            "name": developer,
            "websiteUrl": website,
            "privacyUrl": website,
            "termsOfUseUrl": website,
        },
        "name": {"short": "sf1590", "full": "SF1590 rollout bot"},
        "description": {
            "short": "Tracks the SF1590 rollout: next tasks, gates, reminders.",
            "full": (
                "Runs the SF1590 Finans rollout from Teams: what is next for a municipality or "
                "a wave, which gate is near, who is blocked; mark tasks done, started or "
                "blocked from the card; reminders and countdowns in the wave's channel."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": bot_id,
                "scopes": SCOPES,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [{"scopes": SCOPES, "commands": _commands()}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build_package(bot_id: str, *, website: str, version: str = "1.0.0") -> bytes:
    """The zip: manifest.json, color.png and outline.png at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = build_manifest(bot_id, version=version, website=website)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()


def write_package(
    out: Path, *, bot_id: str | None, website: str | None, version: str, env: Mapping[str, str] | None = None
) -> str:
    """Write the package to ``out``; the bot id defaults to the app registration's client id.

    Returns what was done, in one sentence; raises ValueError naming what is missing.
    """
    env = os.environ if env is None else env
    bot_id = bot_id or env.get(APP_ID_VAR, "")
    if not _GUID.match(bot_id):
        raise ValueError(
            f"The bot id must be the Entra app (client) id, a GUID: set {APP_ID_VAR} "
            f"or pass --bot-id (got {bot_id!r})."
        )
    website = website or env.get(WEBSITE_VAR) or DEFAULT_WEBSITE
    if not website.startswith("https://"):
        raise ValueError(f"The developer website must be an https:// URL (--website or {WEBSITE_VAR}).")
    out.write_bytes(build_package(bot_id, website=website, version=version))
    return (
        f"Wrote {out}: Teams app {version} for bot {bot_id} (scopes {', '.join(SCOPES)}). "
        "Upload it in Teams → Apps → Manage your apps → Upload an app, or in the Teams admin "
        "center → Manage apps → Upload new app."
    )
