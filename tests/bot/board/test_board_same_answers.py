"""The board and the chat answer from the same view models: after the same changes, a wave's
counts and a gate's not-ready list read the same in both."""

from __future__ import annotations

import re

import pytest

from tests.bot.board.conftest import Board


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


@pytest.mark.parametrize("wave", ["P2", "K91"])
def test_a_waves_counts_match_its_status_answer(board: Board, wave: str) -> None:
    board.ask("block A/TS101 ballerup -- waiting for the supplier")
    board.ask("done A/TS213 aarhus")
    status = next(line for line in board.ask(f"status {wave}") if line.strip().startswith(f"{wave}:"))
    chat = re.search(
        r"(\d+) municipalities, (\d+)/(\d+) of their own tasks done, (\d+) late, (\d+) blocked", status
    )
    assert chat is not None, status
    page = board.opened(board.link(f"board {wave}")).get(f"{board.base}/board/wave/{wave}").text
    summary = re.search(r'<p class="summary">([^<]*)</p>', page)
    assert summary is not None
    assert _numbers(summary.group(1)) == tuple(int(n) for n in chat.groups())


def test_a_gates_not_ready_list_matches_the_gate_answer(board: Board) -> None:
    board.ask("done C/TS103 vallensbaek")
    chat = {
        m.group(1): int(m.group(2))
        for line in board.ask("gate KP-3 P2")
        if (m := re.match(r"(\w[\w æøå]*): (\d+) missing", line))
    }
    assert chat  # the demo's P2 is not ready a week before KP-3
    page = board.opened(board.link("board KP-3 P2")).get(f"{board.base}/board/gate/KP-3/P2").text
    rows = re.findall(
        r'<a href="/board/municipality/[^"]+">([^<]+)</a></th>\s*<td>(.*?)</td>\s*<td>([^<]*)</td>', page
    )
    board_missing = {name: len(lacks.split(", ")) for name, ready, lacks in rows if lacks != "—"}
    assert board_missing == chat
