"""Rehearsing roles at the terminal: `--as NAME --role …` runs with those rights, and `register`,
`channel` and `remind` work against a named console channel, so a wave can be rehearsed."""

from __future__ import annotations

import io
import sys

import pytest

from bot.cli import main
from bot.console import ConsoleSession, console_actor
from bot.runtime import Runtime
from commands.context import Actor, Invocation
from commands.parse import Target, UserError
from commands.permissions import in_scope
from commands.present import load_rollout
from commands.query import _keys
from rollout.model import Status, TaskKey
from tests.bot.test_console import Chat


class Typist(Chat):
    """A chat in a named console channel, as someone with the rights of ``roles``."""

    def __init__(self, runtime: Runtime, user: str, roles: list[str], channel: str | None = None) -> None:
        actor, self.intro = console_actor(runtime, user, roles)
        super().__init__(runtime, actor)
        self.session = ConsoleSession(runtime, actor, out=self.out, channel=channel)


def test_a_coordinator_may_not_change_another_municipalitys_task(demo_runtime: Runtime) -> None:
    anna = Typist(demo_runtime, "anna", ["coordinator:aarhus"])
    assert anna.intro == "You are anna: coordinator for Aarhus."
    before = anna.events()
    refused = anna.say("reopen A/TS102 randers")
    assert refused.startswith("✗ You may not change A/TS102 Randers"), refused
    assert anna.events() == before  # nothing recorded


def test_next_me_lists_the_coordinators_own_municipality_tasks(demo_runtime: Runtime) -> None:
    admin = Chat(demo_runtime, Actor("ada", "Ada", is_admin=True))
    assert "A/TS102 Aarhus: done → to do" in admin.say("reopen A/TS102 aarhus -- redo it")
    anna = Typist(demo_runtime, "anna", ["coordinator:aarhus"])
    mine = anna.say("next me")
    assert "A/TS102 Informering af bogføringsfunktionen" in mine and "— Aarhus —" in mine
    assert "Randers" not in mine
    assert "A/TS102 Aarhus: to do → done" in anna.say("done A/TS102 aarhus")
    (event,) = demo_runtime.store.events(municipality=751, limit=1)
    assert (event.key, event.new.status, event.actor, event.source) == (
        TaskKey("A/TS102", 751),
        Status.DONE,
        "anna",
        "console",
    )


def test_a_role_word_that_gives_no_rights_is_refused(demo_runtime: Runtime) -> None:
    with pytest.raises(UserError):
        console_actor(demo_runtime, "anna", ["wizard:aarhus"])
    with pytest.raises(UserError):
        console_actor(demo_runtime, "anna", ["coordinator:atlantis"])


def test_a_wave_is_rehearsed_in_a_console_channel(demo_runtime: Runtime) -> None:
    before = Typist(demo_runtime, "anna", ["coordinator:aarhus"])  # rights, but no account yet
    assert "`register @anna Your Name coordinator:aarhus`" in before.say("remind me on")
    ada = Typist(demo_runtime, "ada", [], channel="p2-udrulning")  # not registered: an admin
    assert "--role coordinator:aarhus" in ada.say("next me")  # an admin has no `me`: says how
    assert ada.say("register @anna Anna Holm coordinator:aarhus").startswith("✓ Registered Anna Holm")
    assert ada.say("channel P2").startswith("✓ This channel now follows wave P2")
    assert ada.say("next").startswith("wave P2:")  # the channel's wave is the default
    assert ada.say("remind time 08:30").startswith("✓ Reminders will be posted at 08:30")
    elsewhere = Typist(demo_runtime, "ada", [])
    assert "sf1590 console --channel" in elsewhere.say("channel P2")  # no channel: says how

    anna = Typist(demo_runtime, "anna", [], channel="p2-udrulning")  # registered: her own rights
    assert anna.intro == "You are Anna Holm (anna): coordinator for Aarhus."
    assert anna.say("remind me on").startswith("✓ Every working day")
    assert anna.say("reopen A/TS102 randers").startswith("✗ You may not change")
    refused = anna.say("remind pause 1d")  # the channel's reminders: for its wave's manager
    assert refused.startswith("✗ Only an admin or the wave's manager")


def test_the_cli_runs_the_console_with_the_roles_given(
    demo_runtime: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = demo_runtime.engine.url.render_as_string(hide_password=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("reopen A/TS102 randers\nreopen A/TS102 aarhus\n"))
    code = main(
        ["console", "--db", url, "--as", "bo", "--role", "coordinator:aarhus", "--today", "2020-01-21"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "You are bo: coordinator for Aarhus." in out
    assert "✗ You may not change A/TS102 Randers" in out
    assert "A/TS102 Aarhus: done → to do" in out
    assert main(["console", "--db", url, "--role", "wizard:all"]) == 2
    assert "sf1590 console: --role:" in capsys.readouterr().err


def test_a_gate_without_a_wave_is_the_gate_of_the_askers_own_wave(demo_runtime: Runtime) -> None:
    anna = Typist(demo_runtime, "anna", ["coordinator:aarhus"])  # Aarhus is in P2
    assert anna.say("gate KP-3") == anna.say("gate KP-3 P2")
    assert anna.say("gate KP-3").startswith("! KP-3 for P2 is on 2020-01-28")
    both = Typist(demo_runtime, "bo", ["coordinator:aarhus", "coordinator:odense"])  # P2 and K91
    assert both.say("gate KP-3").startswith("✗ Which wave? KP-3 has a date per wave.")


@pytest.mark.parametrize(
    "roles",
    [
        ["coordinator:aarhus"],
        ["coordinator:aarhus", "coordinator:odense"],
        ["bookkeeping_supplier:aarhus"],
        ["bookkeeping_supplier:all"],  # every municipality: nothing to narrow
        ["manager:P2"],
        ["manager:K91", "ksd:randers"],
    ],
)
def test_next_me_lists_exactly_the_instances_in_the_askers_scope(
    demo_runtime: Runtime, roles: list[str]
) -> None:
    """`next me` narrows to the asker's municipalities and waves before checking each instance;
    it lists the same instances as checking every instance of the rollout."""
    actor, _ = console_actor(demo_runtime, "anna", roles)
    rollout = load_rollout(demo_runtime.context())
    every = rollout.task_keys() + rollout.wave_keys()
    expected = [k for k in every if in_scope(actor, rollout.graph.task(k.ref), k, rollout.municipalities)]
    assert expected
    assert _keys(rollout, Target("me"), Invocation("next me", actor, "console")) == expected
