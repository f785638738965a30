"""Charts in chat: `chart readiness|burndown|graph` answer with a PNG a person can read.

On the full demo roster (98 municipalities, 91 in K91) on 2020-03-20, through the runtime's
chat seam; the replay of the burndown on a store whose changes are spread over several days.
"""

from __future__ import annotations

import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from commands.charts import burndown_chart, graph_chart, members, readiness_chart
from commands.charts.data import burndown_series, dependency_picture, readiness_grid
from commands.context import Actor, CommandContext, Invocation
from commands.core import dispatch
from commands.reply import Reply, Tone
from rollout.graph import PlanGraph
from rollout.status import Rollout
from storage.repository import SqlRolloutStore
from tests.commands.chatbot import Bot, make_bot

DAY = date(2020, 3, 20)
ADMIN = Actor("anna", "Anna", is_admin=True)


@pytest.fixture
def k91_runtime(tmp_path: Path, demo_template: Path) -> Runtime:
    """The quick-start demo (full roster and progress) on 2020-03-20: K91 in progress."""
    shutil.copy(demo_template, tmp_path / "demo.db")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    return open_runtime(settings, FixedClock.at(DAY))


def ask(runtime: Runtime, text: str, language: str = "en") -> Reply:
    return runtime.answer("console", "anna", None, text, language=language, actor=ADMIN).reply


def snapshot(runtime: Runtime) -> Rollout:
    return Rollout(runtime.graph, runtime.store.municipalities(), runtime.store.task_states())


def png_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        image.load()  # the whole image decodes, not only its header
        return image.size


def the_png(reply: Reply) -> bytes:
    assert reply.tone == Tone.INFO, reply.headline
    [attachment] = reply.files
    assert attachment.media_type == "image/png"
    assert attachment.filename.endswith(".png")
    assert attachment.alt_text
    return attachment.content


def test_the_k91_readiness_chart_names_all_91_municipalities_on_a_readable_png(k91_runtime: Runtime) -> None:
    reply = ask(k91_runtime, "chart readiness K91")
    width, height = png_size(the_png(reply))
    assert width == 1600 and 1000 <= height <= 2000  # 91 rows at ≥ 10 pt, one scroll on a phone
    assert reply.headline.startswith("Readiness chart of K91 on 2020-03-20: 91 municipalities")
    assert reply.files[0].filename == "readiness-K91-2020-03-20.png"
    rollout = snapshot(k91_runtime)
    k91 = [m.name for m in members(rollout, "K91")]
    assert len(k91) == 91
    drawn = readiness_chart(rollout, "K91", DAY)
    assert drawn is not None and (drawn.width, drawn.height) == (width, height)
    assert set(k91) <= set(drawn.labels)
    assert "A/TS213" in drawn.labels  # a column per task
    grid = readiness_grid(rollout, members(rollout, "K91"), "K91", DAY)
    assert (grid.gate, grid.gate_day) == ("KP-3", date(2020, 3, 31))
    column = grid.columns.index("A/TS213")
    assert {(row, column) for row in range(91)} <= grid.required  # the gate needs it of all
    assert {grid.cells[row][column] for row in range(91)} <= {"late", "waiting", "ready", "done"}
    assert readiness_grid(rollout, members(rollout, "P2"), "P2", DAY).gate is None  # all past


def test_p2_readiness_burndown_and_a_graph_are_drawn_on_the_full_roster(k91_runtime: Runtime) -> None:
    for text, name in (
        ("chart readiness P2", "readiness-P2-2020-03-20.png"),
        ("chart burndown P2", "burndown-P2-2020-03-20.png"),
        ("chart burndown K91", "burndown-K91-2020-03-20.png"),
        ("chart graph aarhus", "graph-aarhus-2020-03-20.png"),
    ):
        reply = ask(k91_runtime, text)
        assert png_size(the_png(reply)) == (1600, 1000) or text.startswith("chart readiness")
        assert reply.files[0].filename == name
    rollout = snapshot(k91_runtime)
    drawn = readiness_chart(rollout, "P2", DAY)
    assert drawn is not None
    assert {"Aarhus", "Randers", "Vejen"} <= set(drawn.labels)
    burndown = burndown_chart(rollout, k91_runtime.store.events(limit=10**6), "P2", DAY)
    assert burndown is not None
    assert {label.split()[0] for label in burndown.labels} == {"GATE", "KP-3", "KP-4"}


def test_the_graph_marks_the_longest_remaining_chain_and_the_blocked_task(k91_runtime: Runtime) -> None:
    reply = ask(k91_runtime, "chart graph aarhus")
    assert "longest remaining chain 6 working days: A/TS213 → A/TS200 → A/TS202" in reply.headline
    rollout = snapshot(k91_runtime)
    aarhus = next(m for m in rollout.municipalities.values() if m.slug == "aarhus")
    picture = dependency_picture(rollout, aarhus, DAY)
    assert [picture.nodes[i][0] for i in picture.chain] == ["A/TS213", "A/TS200", "A/TS202"]
    assert sum(on_chain for _, _, on_chain in picture.edges) == 2
    randers = next(m for m in rollout.municipalities.values() if m.slug == "randers")
    states = {label: state for label, state, _, _ in dependency_picture(rollout, randers, DAY).nodes}
    assert states["B/TS203"] == "blocked"
    assert "1 blocked" in ask(k91_runtime, "chart graph Randers").headline
    assert len(graph_chart(rollout, randers, DAY).labels) == 68  # every task of it, labelled


def test_a_chart_of_an_empty_wave_is_a_message_not_a_blank_image(k91_runtime: Runtime) -> None:
    p1 = [m.slug for m in k91_runtime.store.municipalities().values() if m.wave == "P1"]
    assert p1
    for slug in p1:
        assert ask(k91_runtime, f"move {slug} P2 -- tidied up").changed
    for kind in ("readiness", "burndown"):
        reply = ask(k91_runtime, f"chart {kind} P1")
        assert reply.files == ()
        assert reply.headline == "No municipality is in P1 now, so there is nothing to chart."
    assert ask(k91_runtime, "chart readiness P1", "da").headline == (
        "Ingen kommune er i P1 nu, så der er intet at vise."
    )


def test_a_wave_without_recorded_changes_has_no_burndown_but_says_so(
    sf1590_graph: PlanGraph, store: SqlRolloutStore
) -> None:
    bot = make_bot(sf1590_graph, store)
    reply = _dispatch(bot, "chart burndown P2", date(2020, 1, 21))
    assert reply.files == ()
    assert reply.headline == (
        "Nothing has been recorded yet for the municipalities in P2, so there is no burndown to draw."
    )


def test_the_burndown_replays_the_recorded_changes_day_by_day(
    sf1590_graph: PlanGraph, store: SqlRolloutStore
) -> None:
    bot = make_bot(sf1590_graph, store)
    for day, text in (
        (date(2020, 1, 6), "done C/TS103 randers vejen"),
        (date(2020, 1, 8), "done C/TS103 vallensbaek"),
        (date(2020, 1, 8), "start C/TS104 aarhus"),  # open still: no change
        (date(2020, 1, 9), "reopen C/TS103 vejen -- wrong box"),
    ):
        bot.now = datetime.combine(day, datetime.min.time(), UTC).replace(hour=9)
        assert "✗" not in bot.say(text), text
    rollout = Rollout(sf1590_graph, store.municipalities(), store.task_states())
    series = burndown_series(
        rollout, members(rollout, "P2"), "P2", store.events(limit=100), date(2020, 1, 14)
    )
    assert series is not None
    assert series.days == (
        date(2020, 1, 5),
        date(2020, 1, 6),
        date(2020, 1, 8),
        date(2020, 1, 9),
        date(2020, 1, 14),
    )
    start = series.open[0]
    assert series.open == (start, start - 2, start - 3, start - 2, start - 2)
    counts = rollout.counts(members(rollout, "P2"), date(2020, 1, 14))
    assert series.open[-1] == counts.total - counts.done  # the status view's count, the same
    assert series.ideal_end is not None and series.ideal_end > date(2020, 1, 14)
    # Asked on 2020-01-08, the later changes are not in it yet.
    earlier = burndown_series(
        rollout, members(rollout, "P2"), "P2", store.events(limit=100), date(2020, 1, 8)
    )
    assert earlier is not None and earlier.open[-1] == start - 3
    reply = _dispatch(bot, "chart burndown P2", date(2020, 1, 14))
    assert png_size(the_png(reply)) == (1600, 1000)


def test_bad_chart_requests_say_what_is_valid_and_change_nothing(k91_runtime: Runtime) -> None:
    before = k91_runtime.store.events(limit=1)
    cases = {
        "chart": "Which chart?",
        "chart redines K91": "Did you mean `chart readiness`?",
        "chart readiness K19": "There is no wave `K19`. Waves: P1, P2, K91.",
        "chart readiness": "Which wave?",
        "chart burndown K91 -- now": "I did not understand `-- now` after the wave.",
        "chart graph": "Which municipality?",
        "chart graph aarhsu": "Did you mean",
        "chart readiness aarhus": "Aarhus is a municipality, not a wave: `chart readiness P2` for "
        "its wave, or `chart graph aarhus` for its tasks.",
        "chart graph aarhus, randers": "A graph shows one municipality: `chart graph aarhus` · "
        "`chart graph randers`.",
    }
    for text, expected in cases.items():
        reply = ask(k91_runtime, text)
        assert reply.tone == Tone.ERROR, text
        assert reply.files == ()
        assert expected in "\n".join(reply.text_lines()), (text, reply.text_lines())
    assert k91_runtime.store.events(limit=1) == before


def test_a_danish_chart_has_danish_words(k91_runtime: Runtime) -> None:
    reply = ask(k91_runtime, "chart parathed K91", "da")
    assert reply.headline.startswith("Parathedsdiagram for K91 den 2020-03-20: 91 kommuner")
    assert png_size(the_png(reply))[0] == 1600


def _dispatch(bot: Bot, text: str, today: date) -> Reply:
    """Ask on ``today`` (the bot's own clock says 2020-01-21)."""
    ctx = CommandContext(bot.store, bot.graph, bot.now, today)
    return dispatch(ctx, Invocation(text, ADMIN, "console"))
