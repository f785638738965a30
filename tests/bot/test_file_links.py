"""Signed, expiring download links: only this server mints them, and they reveal nothing
without a valid signature. Files live in the database (SQLite and PostgreSQL), so any web
replica serves them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.files import FileLinks, file_links, routes
from bot.web import web_app
from commands.reply import Attachment
from storage.files import SqlFileStore
from tests.asgi_server import serve

CSV = Attachment(
    "sf1590-tasks-K91-2020-03-20.csv",
    "text/csv",
    "Kode,Titel\nA/TS213,Æble\n".encode(),
    title="Tasks of wave K91",
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.at(date(2020, 3, 20))


@pytest.fixture
def links(engine: Engine, clock: FixedClock) -> Iterator[FileLinks]:
    found = file_links(SqlFileStore(engine), clock, {})
    for base in serve(web_app(routes(found))):
        found.base_url = base
        yield found


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    query = {k: v for k, v in query.items() if v != ""}
    return parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()


def test_a_good_link_gets_the_bytes_as_a_download(links: FileLinks) -> None:
    response = _get(links.publish(CSV).url)
    assert response.status_code == 200
    assert response.content == CSV.content
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sf1590-tasks-K91-2020-03-20.csv" in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_wrong_missing_or_tampered_signature_gets_403_and_nothing_else(links: FileLinks) -> None:
    url = links.publish(CSV).url
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    wrong = "0" * 64 if sig != "0" * 64 else "1" * 64
    file_id = urlsplit(url).path.split("/")[2]
    other_id = ("f" if file_id[0] != "f" else "e") + file_id[1:]
    cases = {
        "wrong": _with(url, sig=wrong),
        "missing": _with(url, sig=""),
        "no expiry": _with(url, expires=""),
        "longer life": _with(url, expires=str(expires + 86_400)),
        "other file": url.replace(file_id, other_id),
        "garbage": _with(url, sig="<script>"),
    }
    for name, bad in cases.items():
        response = _get(bad)
        assert response.status_code == 403, name
        assert CSV.content not in response.content and response.text == "Forbidden", name


def test_a_link_expires_after_24_hours(links: FileLinks, clock: FixedClock) -> None:
    url = links.publish(CSV).url
    clock.moment += timedelta(hours=23, minutes=59)
    assert _get(url).status_code == 200
    clock.moment += timedelta(minutes=2)
    response = _get(url)
    assert response.status_code == 403 and CSV.content not in response.content


def test_another_replica_on_the_same_database_serves_the_link(
    links: FileLinks, engine: Engine, clock: FixedClock
) -> None:
    url = links.publish(CSV).url
    replica = file_links(SqlFileStore(engine), clock, {})  # the key made once per database
    for base in serve(web_app(routes(replica))):
        response = _get(base + url.removeprefix(links.base_url))
        assert response.status_code == 200 and response.content == CSV.content


def test_a_configured_secret_signs_instead_and_a_link_of_another_key_is_refused(
    links: FileLinks, engine: Engine, clock: FixedClock
) -> None:
    other = file_links(SqlFileStore(engine), clock, {"SF1590_FILES_SECRET": "s3cret-of-ops"})
    assert other.key != links.key
    minted_elsewhere = other.publish(CSV).url.removeprefix(other.base_url)
    assert _get(links.base_url + minted_elsewhere).status_code == 403


def test_expired_files_are_dropped_from_the_database(engine: Engine, clock: FixedClock) -> None:
    store = SqlFileStore(engine)
    links = file_links(store, clock, {})
    old = links.publish(CSV).url.split("/")[2]  # /files/{id}/{name}?…
    clock.moment += timedelta(hours=25)
    links.publish(CSV)
    assert store.get(old) is None
