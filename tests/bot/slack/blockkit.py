"""Check a message against Slack's Block Kit models and limits."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000


def assert_valid_message(message: dict[str, Any], *, max_blocks: int = MAX_BLOCKS) -> None:
    blocks = message["blocks"]
    assert 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and parsed.type == raw["type"], raw
        parsed.validate_json()  # slack_sdk's own length and shape checks
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= MAX_SECTION_TEXT
        if raw["type"] == "actions":
            ids = [e["action_id"] for e in raw["elements"]]
            assert len(ids) == len(set(ids)), ids
            for element in raw["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000
    text = json.dumps(message)
    for broadcast in ("<!channel>", "<!here>", "<!everyone>"):
        assert broadcast not in text
