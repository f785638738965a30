"""The live rollout board: read-only pages served by ``sf1590 serve`` and ``sf1590 board``."""

from bot.board.app import board_links, routes
from bot.board.links import BoardLinks, Viewer

__all__ = ["BoardLinks", "Viewer", "board_links", "routes"]
