"""Files in Teams: an image shown in the card, other files as a download button, both under
signed links that `sf1590 serve` answers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from bot.clock import FixedClock
from bot.files import FileLink, FileLinks, file_links
from bot.files import routes as file_routes
from bot.runtime import Runtime
from bot.teams.render import MAX_CARD_BYTES, render_card
from bot.teams.server import build_service, routes
from bot.web import web_app
from commands.messages import speaking
from commands.reply import Attachment, Reply, Section, Tone
from storage.conversations import SqlConversationRefStore
from storage.files import SqlFileStore
from storage.people import SqlPeopleStore
from tests.asgi_server import serve
from tests.bot.teams.cards import assert_valid_card
from tests.bot.teams.conftest import ADMIN, AUTH_SETTINGS, TeamsClient, card_actions, card_text
from tests.bot.teams.fake_connector import FakeConnector

# A 1×1 PNG: the card only links it; Teams fetches it from the signed URL.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CHART = Attachment(
    "readiness-K91-2020-03-20.png",
    "image/png",
    PNG,
    title="Readiness K91",
    alt_text="Heatmap: 91 municipalities by task, coloured by state",
)
SHEET = Attachment(
    "sf1590-tasks-K91-2020-03-20.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    b"PK..",
    title="Tasks of wave K91",
)


def test_a_card_with_an_image_and_a_download_validates_with_adaptivecards() -> None:
    reply = Reply(
        "Readiness of wave K91",
        (Section(lines=("91 municipalities",)),),
        tone=Tone.SUCCESS,
        files=(CHART, SHEET),
    )
    files = (
        FileLink(CHART, "https://bot.example/files/ab/readiness.png?expires=1&sig=cd"),
        FileLink(SHEET, "https://bot.example/files/ef/tasks.xlsx?expires=1&sig=01"),
    )
    with speaking("da"):
        card = render_card(reply, files=files)
    assert_valid_card(card)
    [image] = [n for n in card["body"] if n.get("type") == "Image"]
    assert image["url"] == files[0].url and image["altText"].startswith("Heatmap")
    [download] = [a for a in card_actions(card) if a["type"] == "Action.OpenUrl"]
    assert download["url"] == files[1].url and download["title"] == "Hent Tasks of wave K91"
    assert "24 timer" in card_text(card)
    assert len(str(card).encode()) < MAX_CARD_BYTES


@pytest.fixture
def served(
    demo_runtime: Runtime,
    people: SqlPeopleStore,
    connector: FakeConnector,
) -> Iterator[tuple[TeamsClient, FileLinks]]:
    links = file_links(SqlFileStore(demo_runtime.engine), FixedClock.at(date(2020, 1, 21)), {})
    service = build_service(demo_runtime, SqlConversationRefStore(demo_runtime.engine), AUTH_SETTINGS, links)
    with httpx.Client(timeout=20) as http:
        for base in serve(web_app(routes(service), file_routes(links))):
            links.base_url = base
            yield TeamsClient(base, connector, http), links


def test_an_export_in_teams_is_a_download_button_whose_link_serves_the_file(
    served: tuple[TeamsClient, FileLinks],
) -> None:
    teams, links = served
    assert teams.message("export csv aarhus", ADMIN).status_code in (200, 202)
    card = teams.card()
    assert_valid_card(card)
    assert "Exported the tasks of Aarhus (P2) as CSV" in card_text(card)
    [download] = [a for a in card_actions(card) if a["type"] == "Action.OpenUrl"]
    assert download["url"].startswith(f"{links.base_url}/files/")
    response = teams.http.get(download["url"])
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and "Aarhus" in {r["Municipality"] for r in rows}
    assert teams.http.get(download["url"].replace("sig=", "sig=0")).status_code == 403
