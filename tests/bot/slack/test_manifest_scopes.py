"""slack/manifest.yml grants exactly the bot scopes the code needs: every Slack Web API method
called under bot/ (found with ast) maps to its scopes, copied from Slack's method reference
(https://docs.slack.dev/reference/methods/<method>, "Scopes, Bot token")."""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "slack" / "manifest.yml"

# Slack method -> the bot scopes it needs for the conversations this bot uses: wave channels
# (public or private) and direct messages with one person. Group DMs (mpim) are never opened.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),  # Bolt's start-up check; no scope
    "chat.postMessage": frozenset({"chat:write"}),
    # channels:history (public), groups:history (private), im:history (DMs); mpim:history unused
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.open": frozenset({"im:write"}),  # mpim:write only for several users
    "conversations.join": frozenset({"channels:join"}),
    "conversations.info": frozenset({"channels:read", "groups:read", "im:read"}),
    "users.info": frozenset({"users:read"}),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    "views.open": frozenset(),  # any bot token, with a trigger_id
    "views.publish": frozenset(),  # the App Home tab
    "views.update": frozenset(),
}
# slack_sdk helpers that call several Web API methods (files_upload_v2: the two-step upload).
COMPOSITE = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
# What the manifest's features need besides method calls.
FEATURE_SCOPES = {"slash_commands": frozenset({"commands"})}
# Bolt calls auth.test at start-up (token verification), not visible as a call in our code.
IMPLICIT_METHODS = ("auth.test",)

_SLACK_METHODS = {name for name, value in vars(WebClient).items() if callable(value) and "_" in name}


def _slack_method(name: str) -> tuple[str, ...]:
    return COMPOSITE.get(name) or (name.replace("_", "."),)


def called_methods(files: Iterable[Path]) -> set[str]:
    """Every Slack Web API method called as ``<anything>.<WebClient method>(…)`` in these files."""
    found: set[str] = set(IMPLICIT_METHODS)
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in _SLACK_METHODS:
                found.update(_slack_method(func.attr))
    return found


def scope_problems(manifest: dict[str, Any], methods: set[str]) -> list[str]:
    """What is wrong with the manifest's bot scopes for these methods (empty: exact)."""
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    unknown = sorted(m for m in methods if m not in METHOD_SCOPES)
    problems = [f"{m}: not in METHOD_SCOPES (look up its scopes in Slack's docs)" for m in unknown]
    needed: dict[str, str] = {}
    for method in sorted(methods - set(unknown)):
        for scope in METHOD_SCOPES[method]:
            needed.setdefault(scope, method)
    for feature, scopes in FEATURE_SCOPES.items():
        if manifest["features"].get(feature):
            needed.update({scope: feature for scope in scopes})
    problems += [
        f"missing scope {s} (needed by {by})" for s, by in sorted(needed.items()) if s not in granted
    ]
    problems += [f"scope {s} is granted but nothing needs it" for s in sorted(granted - set(needed))]
    return problems


def _bot_sources() -> list[Path]:
    return sorted((ROOT / "bot").rglob("*.py"))


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_the_scan_finds_the_methods_reminders_dms_history_and_uploads_use() -> None:
    methods = called_methods(_bot_sources())
    assert {
        "chat.postMessage",
        "conversations.history",
        "conversations.open",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "views.open",
        "views.publish",
    } <= methods


def test_the_manifest_grants_exactly_the_scopes_the_code_needs() -> None:
    assert scope_problems(_manifest(), called_methods(_bot_sources())) == []


def test_a_manifest_without_the_history_scope_is_reported() -> None:
    manifest = copy.deepcopy(_manifest())
    manifest["oauth_config"]["scopes"]["bot"].remove("im:history")
    problems = scope_problems(manifest, called_methods(_bot_sources()))
    assert problems == ["missing scope im:history (needed by conversations.history)"]


def test_a_scope_nothing_needs_is_reported() -> None:
    manifest = copy.deepcopy(_manifest())
    manifest["oauth_config"]["scopes"]["bot"].append("users:read.email")
    problems = scope_problems(manifest, called_methods(_bot_sources()))
    assert problems == ["scope users:read.email is granted but nothing needs it"]


def test_a_new_call_needs_its_scope(tmp_path: Path) -> None:
    source = tmp_path / "who.py"
    source.write_text("def who(client, user):\n    client.users_info(user=user)\n")
    problems = scope_problems(_manifest(), called_methods([*_bot_sources(), source]))
    assert problems == ["missing scope users:read (needed by users.info)"]
