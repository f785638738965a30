"""`board [wave|municipality|GATE wave]`: a link for the person who asked, to the page named;
a typo gets what would be valid; where no board is served, the command says how to start one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bot.runtime import Runtime
from commands.context import Actor
from tests.bot.board.conftest import ADA, Board


def _target(link: str) -> str:
    return parse_qs(urlsplit(link).query).get("to", [""])[0]


def test_each_target_names_its_page(board: Board) -> None:
    assert _target(board.link("board")) == ""
    assert _target(board.link("board k91")) == "wave/K91"
    assert _target(board.link("board Århus")) == "municipality/aarhus"
    assert _target(board.link("board 751")) == "municipality/aarhus"
    assert _target(board.link("board kp-3 P2")) == "gate/KP-3/P2"


def test_the_link_says_whom_it_is_for_and_until_when(board: Board) -> None:
    lines = board.ask("board K91")
    assert "Bound to Ada Admin; valid until 2020-01-21 21:00" in lines[-1]  # 09:00 + 12 h, Copenhagen


def test_two_people_get_links_of_their_own(board: Board) -> None:
    bo = Actor("bo", "Bo Bruger")
    assert board.link("board", actor=ADA) != board.link("board", actor=bo)
    ada = board.opened(board.link("board", actor=ADA))
    assert "Opened for Ada Admin" in ada.get(f"{board.base}/board").text
    page = board.opened(board.link("board", actor=bo)).get(f"{board.base}/board").text
    assert "Opened for Bo Bruger" in page and "Ada Admin" not in page  # one page built, each named


def test_typos_get_what_would_be_valid_and_no_link(board: Board) -> None:
    for text, expected in (
        ("board aarhsu", "aarhus"),
        ("board K19", "K91"),
        ("board KP-3", "board KP-3 P2"),
        ("board KP-3 P9", "P1, P2, K91"),
    ):
        lines = board.ask(text)
        assert not any("/board/open" in line for line in lines), text
        assert any(expected.lower() in line.lower() for line in lines), (text, lines)


def test_without_a_served_board_the_command_says_how_to_start_one(demo_runtime: Runtime) -> None:
    reply = demo_runtime.answer("console", "ada", None, "board K91", actor=ADA).reply
    assert "sf1590 board --open" in reply.headline
    assert not any("/board/open" in line for line in reply.text_lines())


def test_a_link_is_never_posted_in_the_channel(board: Board) -> None:
    reply = board.runtime.answer("console", "ada", None, "board K91 public", actor=ADA).reply
    assert not reply.public
    assert not any("/board/open" in line for line in reply.text_lines())
    assert "never posted in the channel" in reply.headline
    assert "without `public`" in " ".join(reply.text_lines())
