"""Adaptive Card validation with Microsoft's own ``adaptivecards`` library, under Node.js.

``node/validate.js`` parses each card with ``AdaptiveCard.parse`` (schema 1.5, what Teams
renders) and runs the library's validation; ``node/package.json`` pins the library, which is
installed from the npm registry into ``node/node_modules`` (git-ignored) the first time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"


def _installed() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are needed to validate Adaptive Cards with adaptivecards")
    if not (NODE_DIR / "node_modules" / "adaptivecards" / "package.json").exists():
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"npm install failed in {NODE_DIR}:\n{done.stderr}"
    return Path(node)


def validate_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per card: ``{"version": "1.5", "errors": [...]}``."""
    node = _installed()
    done = subprocess.run(
        [str(node), "validate.js"],
        cwd=NODE_DIR,
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def assert_valid_card(card: dict[str, Any]) -> None:
    (result,) = validate_cards([card])
    assert result["errors"] == [], result["errors"]
    assert result["version"] is not None
    major, minor = (int(p) for p in result["version"].split("."))
    assert (major, minor) <= (1, 5)
