"""`sf1590 teams package`: a zip a Teams admin can upload (manifest and two icons)."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.cli import main
from bot.teams.settings import APP_ID_VAR
from commands.core import COMMANDS
from tests.bot.teams.conftest import APP_ID


def _png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and the RGBA pixels of one of our PNGs (8-bit RGBA, filter 0)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)
    idat, at = b"", 8
    while at < len(data):
        length = struct.unpack(">I", data[at : at + 4])[0]
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert (
            zlib.crc32(kind + body) & 0xFFFFFFFF
            == struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0]
        )
        idat += body if kind == b"IDAT" else b""
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    pixels = [
        tuple(raw[y * stride + 1 + 4 * x : y * stride + 5 + 4 * x])
        for y in range(height)
        for x in range(width)
    ]
    return width, height, pixels


def test_the_package_has_a_manifest_and_both_icons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(APP_ID_VAR, APP_ID)
    out = tmp_path / "sf1590.zip"
    assert main(["teams", "package", "--out", str(out), "--website", "https://rollout.example"]) == 0
    assert "Upload" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = _png(archive.read("color.png"))
        outline = _png(archive.read("outline.png"))
    assert manifest["id"] == APP_ID
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    (menu,) = bot["commandLists"]
    assert 0 < len(menu["commands"]) <= 10
    for command in menu["commands"]:
        assert command["title"] in COMMANDS and len(command["title"]) <= 32
        assert 0 < len(command["description"]) <= 128
    assert {"next", "done", "channel"} <= {c["title"] for c in menu["commands"]}
    assert manifest["developer"]["websiteUrl"] == "https://rollout.example"
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    assert all(p[3] == 255 for p in color[2])  # the colour icon is opaque
    # The outline icon is white on a transparent background, nothing else.
    assert {p for p in outline[2]} == {(255, 255, 255, 255), (0, 0, 0, 0)}


def test_without_a_bot_id_it_says_which_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(APP_ID_VAR, raising=False)
    assert main(["teams", "package", "--out", str(tmp_path / "x.zip")]) == 2
    assert APP_ID_VAR in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_the_first_teams_admin_is_made_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.engine import make_engine
    from storage.people import SqlPeopleStore

    url = f"sqlite:///{tmp_path / 'admin.db'}"
    aad = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert main(["teams", "admin", aad, "Ada  Admin", "--db", url]) == 0
    assert "Ada Admin (`ada-admin`) is an admin in Teams now." in capsys.readouterr().out
    person = SqlPeopleStore(make_engine(url)).person_for("teams", aad)
    assert person is not None and person.is_admin
    assert main(["teams", "admin", "not-a-guid", "X", "--db", url]) == 2
    assert "not an AAD object id" in capsys.readouterr().err
