"""Long lists (the K91 wave) and hostile text never break Slack's limits."""

from __future__ import annotations

import json
import re
from datetime import date

from bot.slack.render import render_blocks
from commands.reply import Action, Reply, Section, TaskLine
from tests.bot.slack.blockkit import assert_valid_message
from tests.bot.slack.conftest import ADMIN, SlackUser, buttons


def test_k91_lists_stay_within_the_limits_page_after_page(slack: SlackUser) -> None:
    slack.command("next K91", ADMIN)
    first = slack.answer(1)
    assert_valid_message(first)
    assert re.search(r"wave K91: \d{3,} tasks can start now", str(first["blocks"]))
    more = [b for b in buttons(first) if b["value"].endswith("page:2")]
    assert more and more[0]["text"]["text"].startswith("Show ")
    slack.click(more[0], ADMIN)
    second = slack.answer(2)
    assert_valid_message(second)
    assert second["replace_original"] is True
    slack.command("status K91", ADMIN)
    assert_valid_message(slack.answer(3))
    slack.command("gate KP-3 K91", ADMIN)
    assert_valid_message(slack.answer(4))


def test_three_hundred_long_hostile_tasks_render_within_the_limits() -> None:
    title = "Bestilling <!channel> @here & <https://evil.example|klik> " + "x" * 4000
    tasks = tuple(
        TaskLine(
            key=f"A/TS{i}@751",
            code=f"A/TS{i}",
            title=title,
            municipality="Aarhus",
            owner="Leverandør",
            deadline=date(2020, 1, 28),
            deadline_note="due 2020-01-28",
            state="ready",
            detail="<!everyone> " * 400,
            actions=(
                Action("Done", f"done A/TS{i}@751", "primary"),
                Action("Block…", f"block A/TS{i}@751", "danger", needs_reason=True),
            ),
        )
        for i in range(300)
    )
    lines = tuple(f"line {i} <!here> " + "y" * 200 for i in range(300))
    reply = Reply(
        "K91 <@U123> " + "z" * 5000,
        (
            Section(
                title="300 tasks",
                lines=lines,
                tasks=tasks,
                hidden=1429,
                more=Action("Show 1429 more", "next K91 page:2"),
            ),
        ),
        actions=(Action("Undo", "undo"),),
        footer="<!channel> footer",
    )
    message = {"blocks": render_blocks(reply, note="note")}
    assert_valid_message(message)
    text = json.dumps(message, ensure_ascii=False)
    assert "&lt;\u200b!channel&gt;" in text and "@\u200bhere" in text
    assert "<https://evil.example" not in text
    assert "Undo" in text  # the reply's own buttons survive the cut
