"""A coordinator at the terminal: the quick-start story of the issue, and bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import ConsoleSession
from bot.runtime import Runtime
from commands.context import Actor
from commands.reply import Tone
from rollout.model import Status, TaskKey

ROOT = Path(__file__).resolve().parents[2]


class Chat:
    """Type a line, read the reply (like Errbot's testbot)."""

    def __init__(self, runtime: Runtime, actor: Actor) -> None:
        self.out = io.StringIO()
        self.session = ConsoleSession(runtime, actor, out=self.out)
        self.runtime = runtime

    def say(self, line: str) -> str:
        self.out.seek(0)
        self.out.truncate()
        self.session.handle(line)
        return self.out.getvalue()

    def events(self) -> int:
        return len(self.runtime.store.events(limit=10_000))


@pytest.fixture
def chat(demo_runtime: Runtime) -> Chat:
    return Chat(demo_runtime, Actor("anna", "Anna", is_admin=True))


def test_next_aarhus_lists_what_can_start_with_owner_and_deadline(chat: Chat) -> None:
    reply = chat.say("/sf1590 next aarhus")
    assert "Aarhus (P2): 4 tasks can start now, 1 of them late" in reply
    assert (
        "A/TS213 Bestilling af abonnement på Sortiment — Aarhus — Leverandør af bogføringssystemet"
    ) in reply
    # TS200 waits on it and is due 2019-10-22 (the PVT it leads to is due 2019-10-24)
    assert (
        "due 2019-10-18 (needed by A/TS200, due 2019-10-22; printed 2019-10-25 for GATE, "
        "unconfirmed), 95 days late"
    ) in reply
    assert "A/TS200 Gennemføre" not in reply  # it waits on A/TS213: not listed to start


def test_done_marks_the_open_one_and_says_what_it_unblocked(chat: Chat) -> None:
    reply = chat.say("/sf1590 done TS213 aarhus")
    # TS213 is in A and B; only A/TS213 is still open for Aarhus, so the bare code is clear.
    assert "A/TS213 Aarhus: to do → done" in reply
    assert "Now ready (1):" in reply and "A/TS200 Aarhus" in reply
    assert "A/TS200" in chat.say("next aarhus")
    (event,) = chat.runtime.store.events(municipality=751, limit=1)
    assert (event.key, event.new.status, event.actor, event.source) == (
        TaskKey("A/TS213", 751),
        Status.DONE,
        "anna",
        "console",
    )


def test_marking_done_twice_is_harmless_and_says_so(chat: Chat) -> None:
    chat.say("done A/TS213 aarhus")
    before = chat.events()
    assert "already done; nothing changed" in chat.say("done a/ts213 Århus")
    assert chat.events() == before


def test_done_for_several_municipalities_at_once(chat: Chat) -> None:
    reply = chat.say("done C/TS103 aarhus vejen vallensbaek")
    assert reply.count("to do → done") == 3


def test_undo_restores_the_previous_state_exactly(chat: Chat) -> None:
    chat.say("block A/TS213 aarhus venter på leverandøren")
    chat.say("done A/TS213 aarhus")
    assert "back from done to blocked" in chat.say("undo")
    state = chat.runtime.store.task_states([751])[TaskKey("A/TS213", 751)]
    assert (state.status, state.reason) == (Status.BLOCKED, "venter på leverandøren")
    assert "back from blocked to to do" in chat.say("undo")
    assert "no command left to undo" in chat.say("undo")


def test_clicking_a_button_runs_its_command(chat: Chat) -> None:
    chat.say("next aarhus")  # [1] is Done on A/TS213, the most urgent
    assert "A/TS213 Aarhus: to do → done" in chat.say("click 1")
    assert "There is no button 9" in chat.say("click 9")
    chat.say("next aarhus")
    assert "needs a reason" in chat.say("click 3")


def test_blocked_shows_what_is_stuck_and_on_what(chat: Chat) -> None:
    reply = chat.say("blocked P2")
    assert "B/TS203 Registrering af debitorsystemets webservice — Randers" in reply
    assert "blocked: Debitorsystemets leverandør har ikke registreret webservicen endnu" in reply
    assert "holds up 5" in reply


def test_gate_counts_down_and_names_who_is_not_ready(chat: Chat) -> None:
    reply = chat.say("gate KP-3 P2")
    assert "KP-3 for P2 is on 2020-01-28: 7 days left (5 working days)" in reply
    assert "Randers: 9 missing" in reply and "AT RISK" in reply


def test_gate_shows_conflicting_dates_of_the_diagrams(chat: Chat) -> None:
    reply = chat.say("gate gate P2")
    assert "A: 2019-10-25" in reply and "B: 2019-09-27" in reply


def test_no_go_moves_a_municipality_to_the_next_wave_with_history_kept(chat: Chat) -> None:
    reply = chat.say("decide KP-3 P2 vejen no-go konverteringen fejlede")
    assert "Vejen is not approved and moves from P2 to K91" in reply
    assert "Vejen (K91)" in chat.say("status vejen")
    history = chat.say("history vejen")
    assert "P2 → K91" in history and "no-go at KP-3" in history
    assert "K91 has no next wave" in chat.say("decide KP-3 K91 vejen no-go")


def test_names_match_without_regard_to_case_and_danish_letters(chat: Chat) -> None:
    for spelling in ("Århus", "aarhus", "AARHUS", "751"):
        assert "Aarhus (P2)" in chat.say(f"next {spelling}")
    assert "Helsingør (P1)" in chat.say("status helsingoer")


@pytest.mark.parametrize(
    "line, expected",
    [
        ("frobnicate", "I don't know the command `frobnicate`"),
        ("nxt aarhus", "Did you mean `next`?"),
        ("next aarhuss", "Did you mean `Aarhus`?"),
        ("done TS999 aarhus", "There is no task `TS999`"),
        ("done TS21 aarhus", "Did you mean"),
        ("done TS213 aarhus\x07", "control characters"),
        ("block A/TS213 aarhus " + "x" * 400, "too long"),
        ("block A/TS213 aarhus", "needs a reason"),
        ("gate KP-9 P2", "There is no gate `KP-9`"),
        ("gate KP-3 P9", "There is no wave `P9`"),
        ("done TS213 randers", "means different tasks in different diagrams"),
    ],
)
def test_bad_input_gets_a_clear_reply_and_changes_nothing(chat: Chat, line: str, expected: str) -> None:
    before = chat.events()
    reply = chat.say(line)
    assert expected in reply
    assert reply.startswith("✗")
    assert chat.events() == before


def test_a_user_without_a_role_may_read_but_not_change(demo_runtime: Runtime) -> None:
    guest = Chat(demo_runtime, Actor("guest", "Guest"))
    assert "A/TS213" in guest.say("next aarhus")
    assert "[1] Done" not in guest.say("next aarhus")
    assert "You may not change A/TS213 Aarhus" in guest.say("done A/TS213 aarhus")
    assert guest.events() == len(demo_runtime.store.events(limit=10_000))


def test_a_supplier_sees_and_changes_only_their_own_tasks(demo_runtime: Runtime) -> None:
    supplier = Chat(demo_runtime, Actor("lev", "Lev", roles=frozenset({"bookkeeping_supplier"})))
    reply = supplier.say("next me")
    assert "A/TS213" in reply and "C/TS103" not in reply
    assert "to do → done" in supplier.say("done A/TS213 aarhus")
    assert "You may not change" in supplier.say("done C/TS103 aarhus")


def test_help_lists_every_command(chat: Chat) -> None:
    from commands.core import COMMANDS

    reply = chat.say("help")
    for name in COMMANDS:
        assert f"`{name}" in reply


def test_every_command_is_in_the_readme() -> None:
    from commands.core import COMMANDS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"`{name}" not in readme]
    assert missing == []


def test_long_lists_are_cut_with_a_count_and_a_more_button(chat: Chat) -> None:
    reply = chat.runtime.run(
        __import__("commands.context", fromlist=["Invocation"]).Invocation(
            "next K91", Actor("anna", "Anna", is_admin=True), "console"
        )
    )
    by_task, by_municipality = reply.sections
    assert len(by_task.tasks) == 8 and by_task.hidden > 0
    assert by_task.more is not None and by_task.more.command == "next K91 page:2"
    assert by_task.tasks[0].actions[0].command == f"next K91 {by_task.tasks[0].code}"
    assert len(by_municipality.lines) == 10 and by_municipality.hidden == 81
    assert reply.tone != Tone.ERROR


def test_piped_demo_answers_both_questions_and_exits_0(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "console",
            "--db",
            f"sqlite:///{tmp_path / 'd.db'}",
            "--today",
            "2020-01-21",
        ],
        input="/sf1590 next aarhus\n/sf1590 gate KP-3 P2\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "loaded the sf1590 plan and the demo roster (98 municipalities" in result.stdout
    assert "Aarhus (P2): 4 tasks can start now" in result.stdout
    assert "KP-3 for P2 is on 2020-01-28" in result.stdout


def test_gate_answers_the_per_wave_control_questions(chat: Chat) -> None:
    reply = chat.say("gate KP-3 P2")
    assert "✓ B/KONTROL-1 1) Er abon. Gennemført? 4/4 done" in reply
    assert "✗ B/KONTROL-2 2) Er alle serviceaftaler godkendt? 14/16 done" in reply
    chat.say("done B/TS216 vejen")
    assert "B/KONTROL-2 2) Er alle serviceaftaler godkendt? 15/16 done" in chat.say("gate KP-3 P2")


def test_reopening_an_a_service_agreement_changes_a_s_control_answer(chat: Chat) -> None:
    reply = chat.say("gate KP-3 P2")
    assert "✓ A/KONTROL-2 2) Er alle serviceaftaler godkendt? 20/20 done" in reply
    assert "✗ A/KONTROL-1 1) Er abon. Gennemført? 3/4 done" in reply  # Aarhus's A/TS213
    assert "A/KONTROL-3 3) Er overvågning etableret? 12/12 done" in reply
    chat.say("reopen A/TS111 vallensbaek")  # the approval is reopened
    reply = chat.say("gate KP-3 P2")
    assert "✗ A/KONTROL-2 2) Er alle serviceaftaler godkendt? 19/20 done" in reply
    assert "✓ B/KONTROL-1 1) Er abon. Gennemført? 4/4 done" in reply  # B's answers unchanged


def test_a_task_that_waits_is_not_called_late_and_shows_where_its_date_comes_from(chat: Chat) -> None:
    reply = chat.say("show TS107 randers")
    assert (
        "B/TS107 Randers: to do; due 2019-09-25 (needed by B/TS108, due 2019-09-27; "
        "printed 2019-09-27 for GATE, likely), waiting on 1 earlier task"
    ) in reply
    assert "late" not in reply
    assert "B/TS107" not in chat.say("next randers")


def test_a_municipality_counts_the_same_in_its_own_status_and_in_its_wave(chat: Chat) -> None:
    own = chat.say("status aarhus")
    # Subscribing to the sortiment or loading it by hand (A and B) count once each: 66 tasks.
    assert "Own tasks: 59/66 done" in own
    assert "Done once for everyone (counted once, not per municipality): 11/11 done" in own
    wave = chat.say("status P2")
    assert "Aarhus: 59/66 done" in wave
    assert "Done once for everyone (counted once, not per municipality): 11/11 done" in wave
    chat.say("done A/TS213 aarhus")
    assert "Own tasks: 60/66 done" in chat.say("status aarhus")
    assert "Aarhus: 60/66 done" in chat.say("status P2")


def test_wave_shows_gate_dates_and_report_milestones(chat: Chat) -> None:
    reply = chat.say("wave P2")
    assert "GATE (A: 2019-10-25, B: 2019-09-27); KP-3 2020-01-28; KP-4 2020-01-29" in reply
    assert "Udrulningsrapport v3 (Evaluering) 2020-02-12" in reply
    assert "Not approved moves to: K91" in reply


def test_show_explains_a_code_in_every_diagram_it_appears_in(chat: Chat) -> None:
    reply = chat.say("show TS103")
    assert "TS103 is in 3 diagrams" in reply
    assert "C/TS103 Oprettelse af Serviceaftale for levering via SFTP Service" in reply
    detail = chat.say("show A/TS200 aarhus")
    assert detail.startswith("A/TS200 Gennemføre mapning af fagsystemets sortiment")
    assert "Waits on: A/TS213 (to do, guess) (10 other predecessors finished)" in detail
    assert "Needed by: A/TS104, A/TS202" in detail


def test_status_of_a_municipality_counts_and_judges_the_next_gate(chat: Chat) -> None:
    reply = chat.say("status randers")
    assert "Randers (P2)" in reply
    assert "Next gate KP-3 on 2020-01-28 (5 working days): 9 tasks missing" in reply
    assert "AT RISK" in reply


def test_admin_move_keeps_the_history_and_applies_the_new_dates(chat: Chat) -> None:
    assert "Vallensbæk moved from P2 to K91" in chat.say("move vallensbaek K91 rehearsal")
    assert "due 2020-03-31 (KP-3)" in chat.say("next vallensbaek")
    assert "P2 → K91 (rehearsal, by anna)" in chat.say("history vallensbaek")


def test_only_admins_move_municipalities(demo_runtime: Runtime) -> None:
    guest = Chat(demo_runtime, Actor("guest", "Guest"))
    assert "Only an admin can do that" in guest.say("move vejen K91")
    assert demo_runtime.store.municipalities()[575].wave == "P2"


def test_answers_in_danish_when_asked(demo_runtime: Runtime) -> None:
    out = io.StringIO()
    session = ConsoleSession(demo_runtime, Actor("anna", "Anna", is_admin=True), out=out, language="da")
    session.handle("next aarhus")
    assert "Aarhus (P2): 4 opgaver kan startes nu, heraf 1 over fristen" in out.getvalue()
    assert "[1] Udført" in out.getvalue()
