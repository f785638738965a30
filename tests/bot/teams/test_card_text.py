"""What a Teams card shows: user text as typed (no injected links), every municipality of a
91-municipality countdown, and real mentions of the owners a reminder names."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from bot.scheduler import SweepConfig, Sweeper
from bot.teams.markdown import escape
from bot.teams.notify import TeamsNotifier
from bot.teams.render import MAX_CARD_BYTES, render_card
from commands.context import CommandContext
from commands.messages import t
from commands.notices import notice
from commands.present import load_rollout
from commands.reply import Reply, Section
from rollout.reminders import Target, due_on
from storage.conversations import SqlConversationRefStore
from tests.bot.teams.cards import assert_valid_card
from tests.bot.teams.conftest import (
    ADMIN,
    CHANNEL,
    SUPPLIER,
    TeamsClient,
    card_of,
    card_text,
    make_service,
    raw_texts,
)

CPH = ZoneInfo("Europe/Copenhagen")
LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")  # markdown [text]( that is not escaped
EVIL = "[click](https://evil.example)"


def test_a_block_reason_with_a_markdown_link_is_shown_as_text(teams: TeamsClient) -> None:
    teams.message(f"block A/TS213@751 {EVIL} *now* _please_", SUPPLIER)
    teams.message("blocked aarhus", SUPPLIER)
    card = teams.card(2)
    assert f"{EVIL} *now* _please_" in card_text(card)  # as typed, on the reader's screen
    assert [text for text in raw_texts(card) if LINK.search(text)] == []
    assert_valid_card(card)


def test_escape_leaves_no_markdown_to_act_on() -> None:
    assert escape(EVIL) == r"\[click\]\(https://evil.example\)"
    assert escape("<at>ada</at>") == r"\<at\>ada\</at\>"  # no mention can be forged
    assert (
        escape("- one\n2. two\n**b** _i_ `c` # h") == "\\- one\n2\\. two\n\\*\\*b\\*\\* \\_i\\_ \\`c\\` \\# h"
    )
    assert escape("Aarhus - Randers 3. maj") == "Aarhus - Randers 3. maj"  # only at a line's start


def _k91_countdown(runtime: Runtime) -> Reply:
    day = date(2020, 3, 24)  # KP-3 for K91 is on 2020-03-31
    ctx = CommandContext(runtime.store, runtime.graph, datetime(2020, 3, 24, 8, tzinfo=CPH), day)
    rollout = load_rollout(ctx)
    items = due_on(rollout, [Target("teams", CHANNEL, "K91")], day)
    (countdown,) = [i for i in items if i.kind == "countdown" and i.subject == "KP-3"]
    assert len(countdown.readiness) == 91
    return notice(ctx, rollout, countdown)


def test_a_91_municipality_countdown_lists_every_one_within_the_card_size(demo_runtime: Runtime) -> None:
    reply = _k91_countdown(demo_runtime)
    card = render_card(reply)
    size = len(json.dumps(card, ensure_ascii=False).encode())
    assert size <= 28_000, size
    shown = card_text(card)
    names = [m.name for m in demo_runtime.store.municipalities().values() if m.wave == "K91"]
    assert len(names) == 91
    assert [name for name in names if name not in shown] == []
    assert "…" not in shown  # nothing cut
    assert_valid_card(card)


def test_a_very_long_line_is_split_between_words_not_cut() -> None:
    names = ", ".join(f"Kommune{n:03}" for n in range(400))  # ~5,200 characters on one line
    card = render_card(Reply("Ready", (Section(lines=(names,)),)))
    shown = card_text(card)
    assert all(f"Kommune{n:03}" in shown for n in range(400)) and "…" not in shown
    assert all(len(text) <= 2000 for text in raw_texts(card))


def test_a_reminder_to_a_registered_owner_carries_a_teams_mention(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    teams.message("channel P2", ADMIN)
    service = make_service(demo_runtime)
    notifier = TeamsNotifier(service.adapter, service.settings, SqlConversationRefStore(demo_runtime.engine))
    sweeper = Sweeper(demo_runtime, {"teams": notifier}, config=SweepConfig(), sleep=lambda _s: None)
    assert sweeper.sweep(datetime(2020, 1, 22, 8, 0, 30, tzinfo=CPH)).sent
    cards = [
        card_of(c.body)
        for c in teams.connector.messages()
        if c.path == f"/v3/conversations/{CHANNEL}/activities"
    ]
    mentioning = [c for c in cards if c["msteams"].get("entities")]
    assert mentioning, [card_text(c)[:200] for c in cards]
    for card in mentioning:
        entities = card["msteams"]["entities"]
        assert {
            "type": "mention",
            "text": "<at>bo</at>",
            "mentioned": {"id": SUPPLIER, "name": "bo"},
        } in entities
        texts = "\n".join(raw_texts(card))
        assert all(e["text"] in texts for e in entities)  # Teams drops a mention not in the text
        assert "@bo" not in texts
        assert_valid_card(card)


def test_text_too_big_for_one_card_says_so_instead_of_failing_in_teams() -> None:
    lines = tuple(f"line {n}: " + "word " * 300 for n in range(40))  # ~60 KB of text
    card = render_card(Reply("Huge", (Section(lines=lines),)))
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_CARD_BYTES
    shown = card_text(card)
    assert "line 0:" in shown and "line 39:" not in shown
    assert t("chat.too_long_card") in shown
    assert_valid_card(card)
