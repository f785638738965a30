"""Day one in a real workspace: a fresh database and the README's Slack set-up steps, followed
literally (roster import, first admin, channel link), then commands over signed HTTP."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.scheduler import Sweeper
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.notifier import SlackNotifier
from bot.slack.server import asgi_app
from commands.context import Actor, Invocation
from storage.people import SqlPeopleStore
from storage.seen import SqlSeenRequests
from tests.asgi_server import serve as _serve
from tests.bot.slack.conftest import SECRET, WORKERS, Settling, SlackUser, slack_settings
from tests.bot.slack.fake_slack import FakeSlack
from tests.conftest import DEMO_DAY

ROOT = Path(__file__).resolve().parents[3]
ADMIN = "U012AB3CD"
MEMBER = "U0ANNA"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """A new, empty database as `sf1590 serve` would open it; the CLI runs from the checkout."""
    url = f"sqlite:///{tmp_path / 'day-one.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    return open_runtime(Settings(database_url=url), FixedClock.at(DEMO_DAY))


@pytest.fixture
def served(fake: FakeSlack, fresh: Runtime) -> Iterator[SlackUser]:
    app = build_app(fresh, slack_settings(fake), workers=WORKERS)
    settling = Settling(
        asgi_app(app, seen=SqlSeenRequests(fresh.engine), signing_secret=SECRET),
        app.listener_runner.listener_executor,
    )
    with httpx.Client(timeout=30) as http:
        for base in _serve(settling):
            yield SlackUser(base, fake, http, settling)


def ask(slack: SlackUser, text: str, user: str, channel: str = "C0DEMO") -> str:
    """Every message the command's answer brought (the answer, and a check after it)."""
    before = len(slack.fake.of("response_url"))
    assert slack.command(text, user, channel).status_code == 200
    slack.settle()
    return " ".join(
        str(c.body.get("blocks") or c.body["text"]) for c in slack.fake.of("response_url")[before:]
    )


def test_an_empty_roster_says_what_an_admin_must_do(served: SlackUser, fresh: Runtime) -> None:
    answer = ask(served, "next aarhus", MEMBER)
    assert "no municipalities are in the roster yet" in answer
    assert "sf1590 roster import plans/municipalities.csv --wave K91" in answer
    assert "is not a municipality" not in answer


README_STEPS = (  # the Slack set-up's commands, as the README spells them, typed below as they are
    "sf1590 roster import plans/municipalities.csv --wave K91",
    'sf1590 slack admin U012AB3CD "Ada Admin"',
    "/sf1590 roster set P2 aarhus randers",
    "/sf1590 channel P2",
)


def test_the_readme_set_up_steps_give_answers_with_tasks(served: SlackUser, fresh: Runtime) -> None:
    slack_section = (ROOT / "README.md").read_text().split("## Slack", 1)[1].split("\n## ", 1)[0]
    assert [step for step in README_STEPS if step not in slack_section] == []  # followed literally
    assert main(["roster", "import", "plans/municipalities.csv", "--wave", "K91"]) == 0
    assert main(["slack", "admin", ADMIN, "Ada Admin"]) == 0
    moved = ask(served, "roster set P2 aarhus randers", ADMIN)
    assert "Moved to P2 (2)" in moved and "Aarhus (K91 → P2)" in moved
    assert "Only an admin" in ask(served, "roster set P1 assens", MEMBER)
    linked = ask(served, "channel P2", ADMIN, channel="C0P2")
    assert "now follows wave P2" in linked and "I joined this channel" in linked
    assert [c.body["channel"] for c in served.fake.of("conversations.join")] == ["C0P2"]
    answer = ask(served, "next aarhus", MEMBER)
    assert "Aarhus (P2): 26 tasks can start now" in answer  # nothing done yet on 2020-01-21
    assert re.search(r"\b[A-Z]+/[A-Z]+[0-9]+\b", answer)  # task lines: code, title, owner
    assert len(fresh.store.municipalities()) == 98
    assert {m.slug for m in fresh.store.municipalities().values() if m.wave == "P2"} == {"aarhus", "randers"}
    assert SqlPeopleStore(fresh.engine).channel_wave("slack", "C0P2") == "P2"


def test_the_scheduler_warns_while_the_roster_is_empty(
    fresh: Runtime, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    sweeper = Sweeper(fresh, {"slack": SlackNotifier.from_settings(slack_settings(fake))})
    sweeper.sweep(fresh.clock.now())
    sweeper.sweep(fresh.clock.now())
    warnings = [r.message for r in caplog.records if "roster is empty" in r.message]
    assert len(warnings) == 1 and "sf1590 roster import plans/municipalities.csv --wave K91" in warnings[0]


def test_the_shipped_list_without_a_wave_is_refused_with_the_fix(
    fresh: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster", "import", "plans/municipalities.csv"]) == 1
    err = capsys.readouterr().err
    assert "has no wave" in err and "--wave" in err and "K91" in err
    assert fresh.store.municipalities() == {}  # nothing imported
    assert main(["roster", "import", "plans/municipalities.csv", "--wave", "K9"]) == 1
    assert "unknown wave 'K9'" in capsys.readouterr().err


def test_linking_a_private_channel_says_to_invite_the_bot(served: SlackUser, fresh: Runtime) -> None:
    assert main(["slack", "admin", ADMIN, "Ada Admin"]) == 0
    served.fake.failures["conversations.join"] = "method_not_supported_for_channel_type"
    linked = ask(served, "channel P2", ADMIN, channel="G0PRIVATE")
    assert "now follows wave P2" in linked  # the link is stored ...
    assert "Type `/invite @sf1590` in this channel" in linked  # ... and the admin told what to type
    assert SqlPeopleStore(fresh.engine).channel_wave("slack", "G0PRIVATE") == "P2"


def test_the_cli_link_joins_or_says_to_invite(
    fake: FakeSlack, fresh: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", f"{fake.url}/api/")
    assert main(["channel", "link", "P2", "--slack", "C0P2"]) == 0
    assert "I joined this channel" in capsys.readouterr().out
    fake.failures["conversations.join"] = "channel_not_found"  # private, and the bot not in it
    assert main(["channel", "link", "P1", "--slack", "G0SECRET"]) == 0
    out = capsys.readouterr().out
    assert "G0SECRET now follows wave P1" in out and "Type `/invite @sf1590`" in out


def test_roster_set_records_the_reason_and_undo_puts_them_back(fresh: Runtime) -> None:
    assert main(["roster", "import", "plans/municipalities.csv", "--wave", "K91"]) == 0
    admin = Actor("ada", "Ada Admin", is_admin=True)

    def say(text: str) -> str:
        return " ".join(fresh.run(Invocation(text, admin, "console")).text_lines())

    assert "400" in say("roster set P2 aarhus -- " + "x" * 400)  # too long: says its length
    assert {m.wave for m in fresh.store.municipalities().values()} == {"K91"}  # nothing stored
    moved = say("roster set P2 aarhus randers -- the pilots")
    assert "Aarhus (K91 → P2), Randers (K91 → P2)" in moved and "Reason: the pilots" in moved
    assert fresh.store.wave_moves(751)[-1].reason == "the pilots"
    assert "2 changes reversed" in say("undo")
    assert {m.wave for m in fresh.store.municipalities().values()} == {"K91"}
