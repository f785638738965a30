"""The CLI documents itself: every command and option has help text and examples in `--help`,
and every command and option is in the README's "Command line" section. A new subcommand or
option without them fails here (add its help text, an example, and a line to the README)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
Command = tuple[tuple[str, ...], argparse.ArgumentParser, str]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[Command]:
    """Every (sub)command: its words after `sf1590`, its parser, and its one-line help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, summaries.get(name, "")
                yield from _commands(sub, (*path, name))


def _leaf(parser: argparse.ArgumentParser) -> bool:
    return not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a for a in parser._actions if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
    ]


def _name(action: argparse.Action) -> str:
    return (
        max(action.option_strings, key=len) if action.option_strings else str(action.metavar or action.dest)
    )


COMMANDS = list(_commands(_parser()))
LEAVES = [(path, parser) for path, parser, _ in COMMANDS if _leaf(parser)]


def test_the_tree_is_walked() -> None:
    paths = {" ".join(path) for path, _ in LEAVES}
    assert {"console", "reminders preview", "channel link", "db upgrade", "export"} <= paths


@pytest.mark.parametrize(
    ("path", "parser", "summary"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_a_description_and_examples(
    path: tuple[str, ...], parser: argparse.ArgumentParser, summary: str
) -> None:
    command = "sf1590 " + " ".join(path)
    parent = " ".join(("sf1590", *path[:-1]))
    assert summary.strip(), f"`{command}` has no help text in `{parent} --help`"
    assert parser.description, f"`{command} --help` has no description"
    assert isinstance(parser.formatter_class, type) and issubclass(
        parser.formatter_class, argparse.RawDescriptionHelpFormatter
    ), f"`{command}`: examples need RawDescriptionHelpFormatter to keep their lines"
    epilog = parser.epilog or ""
    examples = [line.strip() for line in epilog.splitlines()[1:] if line.strip()]
    assert epilog.startswith("examples:") and examples, f"`{command} --help` shows no examples"
    assert all(command in example for example in examples), f"`{command}`: an example of another command"


@pytest.mark.parametrize(
    ("path", "parser"), LEAVES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_option_has_help_text_in_help(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    shown = parser.format_help()
    for action in _options(parser):
        text = (action.help or "").strip()
        assert text and text != argparse.SUPPRESS, f"sf1590 {' '.join(path)} {_name(action)}: no help text"
        assert text.split()[0] in shown, f"sf1590 {' '.join(path)} {_name(action)}: not in --help"


def _readme_entries() -> dict[str, str]:
    """The README's command-line reference: each `sf1590 …` line with the lines under it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    entries: dict[str, str] = {}
    current = ""
    for line in section.splitlines():
        if line.startswith("sf1590 "):
            current = line
            entries[current] = line
        elif current and line.startswith(" "):
            entries[current] += "\n" + line
        else:
            current = ""
    return entries


def _positional_forms(action: argparse.Action) -> list[str]:
    forms = [str(action.metavar or action.dest.upper())]
    if action.choices:
        forms.append("|".join(str(c) for c in action.choices))
    return forms


@pytest.mark.parametrize(
    ("path", "parser"), LEAVES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_and_option_is_in_the_readme(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    command = "sf1590 " + " ".join(path)
    words = [w for w in path]
    found = [
        body
        for head, body in _readme_entries().items()
        if re.match(re.escape(command) + r"(\s|$)", head) or head.split()[1 : 1 + len(words)] == words
    ]
    assert found, f"README.md, Command line: no entry for `{command}`"
    (entry,) = found
    for action in _options(parser):
        if action.option_strings:
            assert any(o in entry for o in action.option_strings if o.startswith("--")), (
                f"README.md, Command line, `{command}`: {_name(action)} is not there"
            )
        else:
            assert any(form in entry for form in _positional_forms(action)), (
                f"README.md, Command line, `{command}`: {action.dest} is not there"
            )
