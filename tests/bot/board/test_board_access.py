"""Board links: only the server mints them, bound to a person, expiring; anything else is a
bare 403 with nothing of the rollout in it. Pages set headers that keep the token and the
board where they belong."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.board import BoardLinks
from bot.board.app import COOKIE
from tests.bot.board.conftest import Board

PAGES = ["/board", "/board/wave/K91", "/board/municipality/aarhus", "/board/gate/KP-3/P2"]
# Words every page with data shows and a refusal must not.
DATA_WORDS = ["Aarhus", "Ballerup", "A/TS", "Opened for", "Ada Admin", "working days"]


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403
    for word in DATA_WORDS:
        assert word not in response.text, word


def test_a_link_from_chat_opens_the_page_it_names_for_the_person_it_was_made_for(board: Board) -> None:
    link = board.link("board K91")
    client = httpx.Client(timeout=30)
    opened = client.get(link)
    assert opened.status_code == 200
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/board"):
        assert attribute.lower() in cookie.lower(), attribute
    assert 'content="0; url=/board/wave/K91"' in opened.text  # on to the clean URL, token-free
    page = client.get(f"{board.base}/board/wave/K91")
    assert page.status_code == 200
    assert "Opened for Ada Admin" in page.text
    assert page.text.count('<th scope="row">') == 91  # every K91 municipality has its row


@pytest.mark.parametrize("path", PAGES)
def test_no_link_no_data(board: Board, path: str) -> None:
    _refused(httpx.get(board.base + path, timeout=30))


@pytest.mark.parametrize("path", PAGES)
def test_a_forged_token_gets_403_on_every_page(board: Board, path: str) -> None:
    token = _token(board.link())
    body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["n"] = "Mallory"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    other_key = BoardLinks(b"not the server's key", board.clock).token(
        "ada", "Ada Admin", "en", board.clock.now() + timedelta(hours=1)
    )
    for forged in (f"{forged_body}.{sig}", f"{body}.{'0' * 64}", other_key, "garbage", body):
        _refused(httpx.get(board.base + path, cookies={COOKIE: forged}, timeout=30))
        _refused(
            httpx.get(f"{board.base}/board/open", params={"token": forged, "to": "wave/K91"}, timeout=30)
        )


def test_a_link_expires_after_12_hours(board: Board) -> None:
    link = board.link("board K91")
    client = board.opened(link)
    assert client.get(f"{board.base}/board/wave/K91").status_code == 200
    board.clock.moment += timedelta(hours=11, minutes=59)
    assert client.get(f"{board.base}/board/wave/K91").status_code == 200
    board.clock.moment += timedelta(minutes=2)
    _refused(client.get(f"{board.base}/board/wave/K91"))
    _refused(httpx.get(link, timeout=30))


def test_pages_set_headers_that_keep_the_token_and_the_page_to_themselves(board: Board) -> None:
    client = board.opened(board.link())
    for path in [*PAGES, "/board/open?token=x"]:
        response = client.get(board.base + path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
    htmx = client.get(f"{board.base}/board/static/htmx.min.js")  # served here, not from a CDN
    assert htmx.status_code == 200 and "htmx" in htmx.text


def test_a_cell_that_a_command_changes_shows_the_new_state_and_a_poll_says_when(board: Board) -> None:
    client = board.opened(board.link("board K91"))
    page = client.get(f"{board.base}/board/wave/K91")
    marker = parse_qs(urlsplit(_live_url(page.text)).query)["since"][0]
    assert 'title="Ballerup · A/TS101"' in page.text
    unchanged = client.get(f"{board.base}/board/wave/K91", params={"since": marker})
    assert unchanged.status_code == 204 and unchanged.text == ""  # nothing new: nothing rendered
    assert any("A/TS101" in line for line in board.ask("done A/TS101 ballerup"))
    changed = client.get(f"{board.base}/board/wave/K91", params={"since": marker})
    assert changed.status_code == 200
    assert _cell(changed.text, "Ballerup · A/TS101") == "done"
    assert _cell(page.text, "Ballerup · A/TS101") != "done"


def _live_url(html: str) -> str:
    start = html.index('hx-get="') + len('hx-get="')
    return "http://x" + html[start : html.index('"', start)].replace("&amp;", "&")


def _cell(html: str, key: str) -> str:
    at = html.index(f'title="{key}"')
    start = html.rindex('class="', 0, at) + len('class="')
    return html[start : html.index('"', start)].split()[0]


def test_the_board_speaks_the_language_of_the_person_it_was_opened_for(board: Board) -> None:
    client = board.opened(board.link("board K91", language="da"))
    page = client.get(f"{board.base}/board/wave/K91")
    assert '<html lang="da">' in page.text
    assert "Åbnet for Ada Admin" in page.text and "Bølge K91" in page.text


def test_text_from_chat_is_escaped_on_the_page(board: Board) -> None:
    board.ask("block A/TS213 aarhus -- <script>alert('x')</script>")
    client = board.opened(board.link("board aarhus"))
    page = client.get(f"{board.base}/board/municipality/aarhus")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text


def test_the_state_filter_keeps_the_rows_that_have_such_a_task(board: Board) -> None:
    board.ask("block A/TS101 ballerup -- waiting for the supplier")
    client = board.opened(board.link("board K91"))
    page = client.get(f"{board.base}/board/wave/K91", params={"state": "blocked"})
    assert page.text.count('<th scope="row">') == 1
    assert "Ballerup" in page.text and "Showing 1 of 91 municipalities." in page.text
    diagram = client.get(f"{board.base}/board/wave/K91", params={"diagram": "C"})
    assert "A/TS101" not in diagram.text and "C/TF100" in diagram.text


def test_an_unknown_page_is_404_for_someone_with_a_link(board: Board) -> None:
    client = board.opened(board.link())
    assert client.get(f"{board.base}/board/wave/K99").status_code == 404
    assert client.get(f"{board.base}/board/municipality/atlantis").status_code == 404
    assert client.get(f"{board.base}/board/gate/KP-9/P2").status_code == 404


def test_the_access_log_never_shows_a_token() -> None:
    import logging

    from bot.board.app import RedactTokens

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("127.0.0.1:5000", "GET", "/board/open?token=abc.def&to=wave/K91", "1.1", 200)
    RedactTokens().filter(record)
    assert "abc.def" not in record.getMessage()
    assert "/board/open?token=[redacted]&to=wave/K91" in record.getMessage()


def test_a_new_day_refreshes_an_open_board_though_nothing_was_recorded(board: Board) -> None:
    client = board.opened(board.link("board P2"))
    page = client.get(f"{board.base}/board/wave/P2")
    marker = parse_qs(urlsplit(_live_url(page.text)).query)["since"][0]
    assert client.get(f"{board.base}/board/wave/P2", params={"since": marker}).status_code == 204
    board.clock.moment += timedelta(hours=16)  # 01:00 the next day in Copenhagen
    assert client.get(board.link("board P2")).status_code == 200  # a fresh link: the first one expired
    later = client.get(f"{board.base}/board/wave/P2", params={"since": marker})
    assert later.status_code == 200
    assert "Plan date 2020-01-22" in later.text


def test_a_municipalitys_page_lists_its_changes_and_moves_newest_first(board: Board) -> None:
    board.clock.moment += timedelta(minutes=5)
    board.ask("block A/TS213 aarhus -- waiting for KMD")
    board.clock.moment += timedelta(minutes=5)
    board.ask("move aarhus K91 -- not ready in time")
    page = board.opened(board.link("board aarhus")).get(f"{board.base}/board/municipality/aarhus").text
    history = page[page.index("Latest changes") :]
    move = history.index("P2 → K91 — not ready in time")
    block = history.index("to do → blocked — waiting for KMD")
    assert move < block  # newest first
    assert "Wave K91" in page  # the page follows the move


def test_an_open_wave_board_follows_a_move_into_the_wave(board: Board) -> None:
    client = board.opened(board.link("board K91"))
    assert client.get(f"{board.base}/board/wave/K91").text.count('<th scope="row">') == 91
    board.ask("move aarhus K91 -- not ready in time")
    page = client.get(f"{board.base}/board/wave/K91").text
    assert page.count('<th scope="row">') == 92
    assert 'title="Aarhus · A/TS213"' in page
