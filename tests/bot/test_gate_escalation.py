"""A no-go that moves nothing reaches the wave's channel and managers through the outbox, once."""

from __future__ import annotations

from bot.clock import FixedClock
from bot.runtime import Runtime
from commands.context import Invocation
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from tests.bot.recording_slack import RecordingSlack
from tests.bot.test_scheduler import ADMIN, SEEDED, at, fake, runtime, sweeper, texts

__all__ = ["fake", "runtime"]  # the scheduler test's fixtures, used here


def test_a_gate_no_go_is_sent_to_the_wave_channel_and_its_manager_once(
    runtime: Runtime, fake: RecordingSlack
) -> None:
    SqlPeopleStore(runtime.engine).register(
        "slack",
        "U0MGR",
        Person("mia", "Mia Manager", manages=frozenset({"P2"})),
        change=Change("test", "test", SEEDED),
    )
    sweep = sweeper(runtime, fake)
    runtime.clock = FixedClock(at("2020-01-22", 14))
    reply = runtime.run(Invocation("decide gate P2 aarhus no-go -- rapport v1 ikke parat", ADMIN, "console"))
    assert reply.changed and "Escalated to the managers of P2" in reply.text_lines()[1]
    sweep.sweep(at("2020-01-22", 14, 5))
    for address in ("U0MGR", "C0P2"):
        (sent,) = [
            b
            for b in fake.posted()
            if b["channel"] == address and b["metadata"]["event_payload"]["key"].startswith("escalation|")
        ]
        assert "Aarhus needs a decision after GATE" in texts(sent)
        assert "rapport v1 ikke parat" in texts(sent) and "Sent late" not in texts(sent)
    sweep.sweep(at("2020-01-23"))
    sweep.sweep(at("2020-01-24"))
    assert len([k for k in fake.posted_keys("U0MGR") if k.startswith("escalation|")]) == 1
