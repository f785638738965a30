"""Every K91 view on the full roster (91 municipalities, 2020-03-20) fits one Slack message and
one Teams card, and every item is reachable through its "Show more" and group buttons."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from bot.clock import FixedClock
from bot.runtime import Answer, Runtime
from bot.slack.app import render_message
from bot.slack.render import escape
from bot.teams.markdown import escape as card_escape
from bot.teams.render import render_card
from commands.context import Actor
from commands.messages import t
from commands.notices import notice
from commands.present import load_rollout
from commands.reply import Reply, Tone
from rollout.model import Municipality
from rollout.reminders import Target as ReminderTarget
from rollout.reminders import due_on
from tests.bot.slack.blockkit import assert_valid_message

K91_DAY = date(2020, 3, 20)  # K91 in progress: GATE passed, KP-3 on 2020-03-31
ADMIN = Actor("anna", "Anna", is_admin=True)
TEAMS_LIMIT = 28 * 1024


@pytest.fixture
def k91(demo_runtime: Runtime) -> Runtime:
    demo_runtime.clock = FixedClock.at(K91_DAY)
    return demo_runtime


def _members(runtime: Runtime) -> list[Municipality]:
    return [m for m in runtime.store.municipalities().values() if m.wave == "K91"]


def _fits(runtime: Runtime, text: str) -> tuple[Reply, list[str]]:
    """Run ``text``; check its Slack message and Teams card; the commands of its buttons."""
    answer = runtime.answer("console", "anna", None, text, actor=ADMIN)
    message = render_message(answer)
    assert_valid_message(message)
    assert t("chat.too_long_message") not in json.dumps(message, ensure_ascii=False), text
    card = render_card(answer.reply)
    size = len(json.dumps(card, ensure_ascii=False).encode())
    assert size <= TEAMS_LIMIT, (text, size)
    assert t("chat.too_long_card") not in json.dumps(card, ensure_ascii=False), text
    slack_text = json.dumps(message, ensure_ascii=False)
    card_text = "\n".join(_card_texts(card))
    for line in (line for s in answer.reply.sections for line in s.lines):
        assert json.dumps(escape(line), ensure_ascii=False)[1:-1] in slack_text, line
        assert card_escape(line) in card_text, line  # whole: no line is cut short on either platform
    slack = [e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    teams = _card_commands(card)
    assert sorted(slack) == sorted(teams), text  # the same buttons on both platforms
    return answer.reply, slack


def _card_texts(element: object) -> list[str]:
    if isinstance(element, dict):
        found = [element["text"]] if element.get("type") == "TextBlock" else []
        return found + [c for v in element.values() for c in _card_texts(v)]
    if isinstance(element, list):
        return [c for v in element for c in _card_texts(v)]
    return []


def _card_commands(element: object) -> list[str]:
    if isinstance(element, dict):
        found = [element["data"]["command"]] if element.get("type") == "Action.Execute" else []
        return found + [c for v in element.values() for c in _card_commands(v)]
    if isinstance(element, list):
        return [c for v in element for c in _card_commands(v)]
    return []


def _follow(
    runtime: Runtime,
    start: str,
    keep: Callable[[str], bool],
) -> tuple[set[str], list[Reply]]:
    """Every page reachable from ``start`` through the buttons ``keep`` accepts: the task
    instances listed, and the replies."""
    todo, seen, items, replies = [start], {start}, set(), []
    while todo:
        reply, commands = _fits(runtime, todo.pop())
        replies.append(reply)
        items.update(line.key for s in reply.sections for line in s.tasks if line.key)
        for command in commands:
            if keep(command) and command not in seen:
                seen.add(command)
                todo.append(command)
    return items, replies


def test_every_task_that_can_start_in_k91_is_one_button_away_and_every_page_fits(k91: Runtime) -> None:
    ctx = k91.context()
    rollout = load_rollout(ctx)
    members = _members(k91)
    ready = rollout.next_tasks(rollout.task_keys(members) + rollout.wave_keys(["K91"]), ctx.today)
    assert len(ready) > 1000
    items, replies = _follow(k91, "next K91", lambda c: c.startswith("next K91"))
    assert items == {v.key.as_value() for v in ready}
    assert replies[0].headline.startswith(f"wave K91: {len(ready)} tasks can start now")


def test_a_group_button_opens_the_task_across_the_wave(k91: Runtime) -> None:
    reply, commands = _fits(k91, "next K91")
    by_task, by_municipality = reply.sections
    group = by_task.tasks[0]
    assert group.actions[0].command == f"next K91 {group.code}" in commands
    count = int(group.actions[0].label.split("(")[1].rstrip(")"))
    assert group.municipality.endswith(f"+{count - 3}")
    opened, _ = _fits(k91, group.actions[0].command)
    assert f"{count} tasks can start now" in opened.headline
    assert {line.code for s in opened.sections for line in s.tasks} == {group.code}
    assert by_municipality.title.endswith("(`next NAME` lists one)")
    assert len(by_municipality.lines) == 10 and by_municipality.hidden == len(_members(k91)) - 10


def test_every_stuck_task_of_k91_is_counted_in_a_group_and_a_group_lists_them_all(k91: Runtime) -> None:
    ctx = k91.context()
    rollout = load_rollout(ctx)
    stuck = rollout.stuck(rollout.task_keys(_members(k91)) + rollout.wave_keys(["K91"]), ctx.today)
    pages, replies = _follow(k91, "blocked K91", lambda c: c.startswith("blocked K91 page:"))
    groups = {
        line.code: int(line.actions[0].label.split("(")[1].rstrip(")"))
        for r in replies
        for line in r.sections[0].tasks
        if not line.key
    }
    singles = pages
    by_ref: dict[str, int] = {}
    for root in stuck:
        by_ref[root.view.key.ref] = by_ref.get(root.view.key.ref, 0) + 1
    assert {**groups, **{k.split("@")[0]: 1 for k in singles}} == by_ref
    ref = max(groups, key=lambda r: groups[r])
    items, _ = _follow(k91, f"blocked K91 {ref}", lambda c: c.startswith(f"blocked K91 {ref}"))
    assert items == {r.view.key.as_value() for r in stuck if r.view.key.ref == ref}


@pytest.mark.parametrize("view", ["status K91", "gate KP-3 K91", "gate GATE K91"])
def test_every_k91_municipality_is_on_some_page_of_the_wave_views(k91: Runtime, view: str) -> None:
    _, replies = _follow(k91, view, lambda c: c.startswith(f"{view} page:"))
    assert len(replies) > 1
    text = "\n".join(line for r in replies for line in r.text_lines())
    missing = [m.name for m in _members(k91) if f"\n{m.name}: " not in text]
    assert missing == []


def test_the_wave_lists_every_member_in_one_message(k91: Runtime) -> None:
    reply, _ = _fits(k91, "wave K91")
    text = "\n".join(reply.text_lines())
    assert [m.name for m in _members(k91) if m.name not in text] == []
    everything, _ = _fits(k91, "wave")
    assert "(`wave K91` lists them all)" in "\n".join(everything.text_lines())


def test_next_for_several_municipalities_lists_theirs_only(k91: Runtime) -> None:
    reply, _ = _fits(k91, "next aarhus randers")
    assert reply.headline.startswith("Aarhus, Randers: ")
    shown = {line.municipality.split(" (")[0] for s in reply.sections for line in s.tasks}
    assert shown <= {"Aarhus", "Randers"} and shown
    bad = k91.answer("console", "anna", None, "next aarhus randrs", actor=ADMIN).reply
    assert bad.tone == Tone.ERROR and "`Randers`" in "\n".join(bad.text_lines())


def test_decisions_at_a_gate_page_newest_first_and_a_typed_page_word_works(k91: Runtime) -> None:
    names = sorted(m.name for m in _members(k91))[:12]
    for name in names:
        reply = k91.answer(
            "console",
            "anna",
            None,
            f"decide GATE K91 {name} go confirm -- signed off by the board",
            actor=ADMIN,
        ).reply
        assert f"GO recorded for {name}" in reply.headline
    title = t("gate.decisions_title")
    first, commands = _fits(k91, "gate GATE K91")
    (decided,) = [s for s in first.sections if s.title == title]
    assert len(decided.lines) == 10 and decided.hidden == 2
    assert decided.more is not None and decided.more.command == "gate GATE K91 page:2"
    assert "gate GATE K91 page:2" in commands
    second, _ = _fits(k91, "gate GATE K91 page 2")  # typed, not pressed
    (older,) = [s for s in second.sections if s.title == title]
    assert len(older.lines) == 2 and older.hidden == 0
    shown = [*decided.lines, *older.lines]
    assert [
        n for n in names if sum(f" {n} " in f" {line} " or f" {n}:" in f" {line}" for line in shown) != 1
    ] == []


def test_a_k91_late_notice_offers_the_rest_through_show_more(k91: Runtime) -> None:
    ctx = k91.context()
    rollout = load_rollout(ctx)
    target = ReminderTarget("slack", "C0K91", "K91", kinds=frozenset({"overdue"}))
    (item,) = [i for i in due_on(rollout, [target], ctx.today) if i.kind == "overdue"]
    reply = notice(ctx, rollout, item)
    (section,) = reply.sections
    assert section.hidden == len(item.tasks) - len(section.tasks) > 0
    assert section.more is not None and section.more.command == "blocked K91"
    assert_valid_message(render_message(Answer(reply, "en", ADMIN, True)))


def test_tasks_a_change_made_ready_beyond_the_first_eight_are_a_button_away(k91: Runtime) -> None:
    members = sorted(_members(k91), key=lambda m: m.name)[:10]
    reply = k91.answer(
        "console", "anna", None, "done B/TS203 " + " ".join(m.slug for m in members), actor=ADMIN
    ).reply
    (ready,) = [s for s in reply.sections if s.title.startswith("Now ready")]
    assert len(ready.lines) == 8 and ready.hidden > 0 and ready.more is not None
    verb, *places = ready.more.command.split()
    assert verb == "next" and sorted(places) == sorted(m.slug for m in members)
    items, _ = _follow(k91, ready.more.command, lambda c: c.startswith(ready.more.command))
    made_ready = {line.split(" ")[0] + " " + line.split(" ")[1] for line in ready.lines}
    assert len(made_ready) == 8
    listed = {
        f"{key.split('@')[0]} {m.name}"
        for key in items
        for m in members
        if key.split("@")[1].split(":")[0] == str(m.code)
    }
    assert made_ready <= listed


def test_a_page_past_the_end_says_where_the_list_ends(k91: Runtime) -> None:
    grouped, _ = _fits(k91, "next K91 page 99")
    assert grouped.sections[0].lines == (
        "There is no page 99: the list ends on page 10 (`next K91 page:10`).",
    )
    listed, _ = _fits(k91, "next K91 B/TS203 page:99")
    assert listed.sections[0].lines == (
        "There is no page 99: the list ends on page 12 (`next K91 B/TS203 page:12`).",
    )
    bad = k91.answer("console", "anna", None, "next K91 page:two", actor=ADMIN).reply
    assert bad.tone == Tone.ERROR and "`two` is not a page number." in bad.headline
