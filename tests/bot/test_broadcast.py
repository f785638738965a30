"""No text we did not write can notify a whole channel: @here, @channel, @everyone, <!here>…"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.render import render_blocks
from bot.slack.render import render_text as slack_text
from bot.teams.render import render_card
from bot.teams.render import render_text as teams_text
from commands.reply import Action, Reply, Section, TaskLine
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.ports import Change
from tests.bot.recording_slack import RecordingSlack
from tests.bot.test_scheduler import AARHUS, SEEDED, at, runtime_on, seed, sweeper

LIVE = re.compile(r"@(here|channel|everyone)|<!(here|channel|everyone|subteam)", re.IGNORECASE)
HOSTILE = [
    "@here@here",
    "@channel!",
    "<!everyone>",
    "@everyone's",
    "@HERE",
    "<!subteam^S0123>",
    "<!here|here>",
    "&lt;!channel&gt;",
    "@@here",
    "x@channelx",
    "<!channel>@here",
]

_PIECES = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=8), min_size=1, max_size=6).map("".join)


def _live(rendered: object) -> list[str]:
    return [m.group(0) for m in LIVE.finditer(json.dumps(rendered, ensure_ascii=False))]


def _reply(text: str) -> Reply:
    ask = Action(text, f"block A/TS213 {text}", needs_reason=True)
    task = TaskLine(
        key="A/TS213@751",
        deadline=None,
        code=text,
        title=text,
        municipality=text,
        owner=text,
        deadline_note=text,
        state=text,
        detail=text,
        actions=(ask,),
    )
    return Reply(
        text,
        (Section(title=text, lines=(text, text), tasks=(task,)),),
        actions=(Action(text, "help"),),
        footer=text,
    )


@settings(max_examples=100, deadline=None)
@given(text=_PIECES)
def test_every_rendered_text_is_defused_on_slack_and_teams(text: str) -> None:
    reply = _reply(text)
    slack = {"text": slack_text(reply), "blocks": render_blocks(reply)}
    for block in slack["blocks"]:  # button values are commands, never shown as text
        for element in block.get("elements", []):
            element.pop("value", None)
    assert _live(slack) == []
    card = render_card(reply)
    for action in _actions(card):
        action.pop("data", None)
    assert _live({"card": card, "text": teams_text(reply)}) == []


def _actions(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        if "verb" in node or node.get("type") == "Action.ShowCard":
            found.append(node)
        for value in node.values():
            found.extend(_actions(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_actions(value))
    return found


def test_the_hostile_words_stay_readable() -> None:
    blocks = json.dumps(render_blocks(Reply("blocked: @here@here, @everyone's fault")))
    assert "@\\u200bhere@\\u200bhere" in blocks and "@\\u200beveryone's" in blocks


def test_a_reminder_naming_a_hostile_municipality_broadcasts_nothing(tmp_path: Path) -> None:
    """The scheduler's posts (deadline, digest, countdown) go through the same rendering."""
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    upgrade(engine)
    runtime = runtime_on(engine)
    seed(runtime)
    hostile = replace(AARHUS, name="Aarhus @everyone's <!channel> @here@here")
    runtime.store.save_municipalities([hostile], change=Change("t", "t", SEEDED))
    fake = RecordingSlack().start()
    try:
        sweep = sweeper(runtime, fake)
        for day in ("2019-10-01", "2019-10-02", "2019-10-03"):
            sweep.sweep(at(day, 8, 0, 30))
        posted = fake.posted()
    finally:
        fake.stop()
    assert any("everyone" in json.dumps(p) for p in posted)  # the name did reach the posts
    assert [_live({"text": p.get("text"), "blocks": p.get("blocks")}) for p in posted] == [[] for _ in posted]
