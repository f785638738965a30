"""A wave channel the bot is not in: the reminders are kept (not dropped, not marked sent), the
wave's managers are told once how to fix it, and after the fix each reminder goes out once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.clock import FixedClock
from bot.runtime import open_runtime
from bot.scheduler import SweepConfig, Sweeper
from bot.settings import Settings
from storage.outbox import SqlOutbox
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from tests.bot.recording_slack import RecordingSlack
from tests.bot.test_scheduler import SEEDED, at, live, notifier, seed


@dataclass
class OutsiderSlack(RecordingSlack):
    """Slack where the bot is not a member of some channels: posting there answers
    ``not_in_channel`` (HTTP 200, ``ok: false``), as the real Web API does."""

    outside: set[str] = field(default_factory=set)

    def handle(self, request: BaseHTTPRequestHandler, raw: str) -> None:
        method = request.path.split("/api/", 1)[-1].split("?")[0]
        body = dict(parse_qsl(raw)) if not raw.startswith("{") else json.loads(raw)
        if method == "chat.postMessage" and body.get("channel") in self.outside:
            self.answer_next(method, 200, error="not_in_channel")
        super().handle(request, raw)


@pytest.fixture
def slack() -> Iterator[OutsiderSlack]:
    server = OutsiderSlack(outside={"C0P2"}).start()
    yield server
    server.stop()


def test_not_in_channel_keeps_the_reminders_tells_the_managers_once_and_sends_once_after_the_invite(
    tmp_path: Path, slack: OutsiderSlack
) -> None:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'u.db'}"), FixedClock(at("2019-09-01")))
    seed(rt)
    SqlPeopleStore(rt.engine).register(
        "slack",
        "U0MGR",
        Person("mia", "Mia Manager", manages=frozenset({"P2"})),
        change=Change("t", "t", SEEDED),
    )
    now = at("2019-11-26")  # P2 has deadlines and its digest today
    wall = [now]
    sweep = Sweeper(rt, {"slack": notifier(slack)}, config=SweepConfig(min_interval=0), wall=lambda: wall[0])
    for seconds in (0, 60, 200, 500):  # retries with backoff while the bot is still outside
        wall[0] = now + timedelta(seconds=seconds)
        sweep.sweep(now)
    outbox = SqlOutbox(rt.engine)
    p2 = [r for r in outbox.rows() if r.channel_id == "C0P2" and r.status != "dropped"]
    assert p2 and all(r.status == "pending" for r in p2)  # kept, none marked sent or dropped
    assert "not_in_channel" in p2[0].last_error
    assert slack.posted("C0P2") == []
    told = slack.posted("U0MGR")
    assert len(told) == 1  # once, however many retries
    assert "/invite @sf1590" in str(told[0]["blocks"]) and "`C0P2`" in str(told[0]["blocks"])

    slack.outside.clear()  # an admin typed /invite @sf1590 in the channel
    wall[0] = now + timedelta(hours=2)
    sweep.sweep(now)
    sweep.sweep(now)
    planned = [r.key for r in sorted(p2, key=lambda r: (r.due_at, r.id))]
    assert slack.posted_keys("C0P2") == planned  # each once, in order
    assert all(r.status == "sent" for r in outbox.rows() if r.channel_id == "C0P2" and r.status != "dropped")
    assert len(slack.posted("U0MGR")) == 1


def test_a_missing_scope_keeps_the_reminder_until_the_app_is_reinstalled(
    tmp_path: Path, slack: OutsiderSlack
) -> None:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 's.db'}"), FixedClock(at("2019-09-01")))
    seed(rt)
    slack.outside.clear()
    slack.answer_next("chat.postMessage", 200, error="missing_scope")
    now = at("2019-11-26")
    wall = [now]
    sweep = Sweeper(rt, {"slack": notifier(slack)}, config=SweepConfig(min_interval=0), wall=lambda: wall[0])
    assert sweep.sweep(now).failed and slack.posted("C0P2") == []
    wall[0] = now + timedelta(minutes=5)  # reinstalled with the scope
    sweep.sweep(now)
    today = [r for r in SqlOutbox(rt.engine).rows() if r.channel_id == "C0P2" and r.due_date == now.date()]
    assert today and all(r.status == "sent" for r in today)  # none dropped: the refused one kept
    rows = today
    assert slack.posted_keys("C0P2") == [r.key for r in sorted(rows, key=lambda r: (r.due_at, r.id))]


def _manager(rt: object) -> None:
    SqlPeopleStore(rt.engine).register(  # type: ignore[attr-defined]
        "slack",
        "U0MGR",
        Person("mia", "Mia Manager", manages=frozenset({"P2"})),
        change=Change("t", "t", SEEDED),
    )


def _told(slack: RecordingSlack) -> list[dict[str, object]]:
    """The setup notices the manager got (not their own overdue messages)."""
    return [b for b in slack.posted("U0MGR") if b["metadata"]["event_payload"]["key"].startswith("setup|")]


def _text(body: dict[str, object]) -> str:
    return json.dumps(body.get("blocks"), ensure_ascii=False) + str(body.get("text"))


def test_a_kept_reminder_is_never_dropped_as_stale_and_goes_out_once_marked_late(
    tmp_path: Path, slack: OutsiderSlack
) -> None:
    rt = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}"), FixedClock(at("2019-09-01")))
    seed(rt)
    _manager(rt)
    now = at("2019-11-26")
    wall = [now]
    sweep = Sweeper(rt, {"slack": notifier(slack)}, config=SweepConfig(min_interval=0), wall=lambda: wall[0])
    sweep.sweep(now)
    sweep.sweep(now)  # the notice, queued by the first, goes out; the channel waits its backoff
    outbox = SqlOutbox(rt.engine)
    kept = [r.key for r in outbox.rows() if r.channel_id == "C0P2" and r.status == "pending"]
    assert kept
    told = _told(slack)
    assert len(told) == 1
    for key in kept:  # the managers' notice says what is waiting
        assert key.split("|")[0] in _text(told[0])
    assert f"Waiting to go out ({len(kept)})" in _text(told[0])

    # Two days on (the rollout's moment and the wall clock): far past the 24 h stale rule.
    for hours in (6, 25, 49):
        wall[0] = now + timedelta(hours=hours)
        report = sweep.sweep(now + timedelta(hours=hours))
        assert not set(kept) & set(report.dropped)
    rows = {r.key: r for r in outbox.rows()}
    assert all(rows[k].status == "pending" for k in kept)  # the ones behind it in the channel too
    assert any(rows[k].last_error.startswith("kept: ") for k in kept)
    assert slack.posted("C0P2") == [] and len(_told(slack)) == 1

    slack.outside.clear()  # invited at last
    later = now + timedelta(hours=50)
    wall[0] = later + timedelta(hours=2)  # past any backoff
    sweep.sweep(later)
    sweep.sweep(later)
    posted = slack.posted_keys("C0P2")
    assert sorted(posted) == sorted(set(posted)) and set(kept) <= set(posted)  # each once
    first = slack.posted("C0P2")[posted.index(kept[0])]
    assert "(late)" in _text(first) and "I could not post here until now" in _text(first)
    assert "2019-11-26" in _text(first)  # when it was planned
    assert len(_told(slack)) == 1


@dataclass
class ScopelessSlack(RecordingSlack):
    """Slack where the app lacks a scope for posting in some channels: ``missing_scope`` with the
    scope it ``needed``, as the real Web API answers (HTTP 200, ``ok: false``)."""

    lacking: dict[str, str] = field(default_factory=dict)  # channel -> the scope Slack names

    def handle(self, request: BaseHTTPRequestHandler, raw: str) -> None:
        method = request.path.split("/api/", 1)[-1].split("?")[0]
        body = dict(parse_qsl(raw)) if not raw.startswith("{") else json.loads(raw)
        needed = self.lacking.get(str(body.get("channel")))
        if method == "chat.postMessage" and needed is not None:
            answer = {"ok": False, "error": "missing_scope", "needed": needed, "provided": "chat:write"}
            self._send(request, 200, answer)
            return
        super().handle(request, raw)


def test_a_missing_scope_keeps_the_reminders_tells_the_managers_once_naming_it_and_sends_once_fixed(
    tmp_path: Path,
) -> None:
    slack = ScopelessSlack(lacking={"C0P2": "chat:write.public"}).start()
    try:
        rt = open_runtime(
            Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"), FixedClock(at("2019-09-01"))
        )
        seed(rt)
        _manager(rt)
        now = at("2019-11-26")
        wall = [now]
        sweep = Sweeper(
            rt, {"slack": notifier(slack)}, config=SweepConfig(min_interval=0), wall=lambda: wall[0]
        )
        for hours in (0, 1, 3, 30):  # retries, past the stale rule too
            wall[0] = now + timedelta(hours=hours)
            sweep.sweep(now + timedelta(hours=hours))
        outbox = SqlOutbox(rt.engine)
        rows = [r for r in outbox.rows() if r.channel_id == "C0P2"]
        assert not [r.key for r in rows if r.last_error == "stale: too old to send"]
        kept = [r for r in rows if r.status != "dropped"]  # (what was due before the first sweep)
        assert kept and all(r.status == "pending" for r in kept)
        assert "missing_scope" in kept[0].last_error
        told = _told(slack)
        assert len(told) == 1  # once, however many retries and rows
        text = _text(told[0])
        assert "`chat:write.public`" in text and "Reinstall" in text and "slack/manifest.yml" in text

        slack.lacking.clear()  # reinstalled with the manifest
        wall[0] = now + timedelta(hours=40)
        sweep.sweep(now + timedelta(hours=31))
        sweep.sweep(now + timedelta(hours=31))
        posted = slack.posted_keys("C0P2")
        assert sorted(posted) == sorted(set(posted))
        assert {r.key for r in kept} <= set(posted)
        assert all(r.status == "sent" for r in live(outbox.rows()) if r.channel_id == "C0P2")
        assert len(_told(slack)) == 1
    finally:
        slack.stop()
