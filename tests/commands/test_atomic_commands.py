"""A command's writes are one transaction on SQLite and PostgreSQL: killed or failing half-way,
it leaves nothing; the reply says truthfully what was stored."""

from __future__ import annotations

import random
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot.runtime import Runtime
from commands.admin import actor_for
from commands.context import Actor, Invocation
from rollout.model import Status
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from storage.repository import SqlRolloutStore

ROOT = Path(__file__).resolve().parents[2]
ANNA = Actor("anna", "Anna", is_admin=True)


class Boom(Exception):
    """The database failing in the middle of a command."""


@pytest.fixture
def runtime(roster_runtime: Runtime) -> Runtime:
    """The real plan and the demo roster (98 municipalities), no progress yet."""
    return roster_runtime


def _slugs(runtime: Runtime, count: int) -> list[str]:
    return sorted(m.slug for m in runtime.store.municipalities().values())[:count]


def _done(runtime: Runtime, ref: str) -> int:
    return sum(
        1
        for key, state in runtime.store.task_states().items()
        if key.ref == ref and state.status == Status.DONE
    )


@pytest.fixture
def fail_when(engine: Engine) -> Iterator[list[str]]:
    """Fail the n-th statement that starts with a given text: append ``"n:TEXT"``."""
    armed: list[str] = []
    seen: dict[str, int] = {}

    def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        for rule in armed:
            nth, _, prefix = rule.partition(":")
            if statement.lstrip().upper().startswith(prefix):
                seen[rule] = seen.get(rule, 0) + 1
                if seen[rule] == int(nth):
                    raise Boom("disk full")

    event.listen(engine, "before_cursor_execute", before)
    yield armed
    event.remove(engine, "before_cursor_execute", before)


def test_a_done_failing_half_way_records_nothing_and_says_so(runtime: Runtime, fail_when: list[str]) -> None:
    text = "done A/TS201 " + " ".join(_slugs(runtime, 50))
    fail_when.append("11:INSERT INTO TASK_EVENT")
    reply = runtime.run(Invocation(text, ANNA, "console"))
    assert "Nothing was recorded; please try again." in reply.headline
    assert _done(runtime, "A/TS201") == 0 and runtime.store.events() == []
    fail_when.clear()
    assert "50 changes recorded" in runtime.run(Invocation(text, ANNA, "console")).headline
    assert _done(runtime, "A/TS201") == 50


def test_a_no_go_whose_move_fails_records_neither_and_a_retry_records_one(
    runtime: Runtime, fail_when: list[str]
) -> None:
    text = "decide KP-3 P2 vejen no-go conversion failed"
    fail_when.append("1:INSERT INTO WAVE_MOVE")
    reply = runtime.run(Invocation(text, ANNA, "console"))
    assert "Nothing was recorded" in reply.headline
    assert runtime.store.gate_decisions() == []
    assert runtime.store.municipalities()[575].wave == "P2"
    fail_when.clear()
    reply = runtime.run(Invocation(text, ANNA, "console"))
    assert "NO-GO recorded for Vejen" in reply.headline
    assert len(runtime.store.gate_decisions()) == 1
    assert runtime.store.municipalities()[575].wave == "K91"


def test_a_failure_after_the_commit_says_the_change_was_recorded(
    runtime: Runtime, fail_when: list[str]
) -> None:
    # the reply's second look at the database: is the kept snapshot still the newest?
    fail_when.append("2:SELECT (SELECT COALESCE(MAX(TASK_EVENT.ID)")
    reply = runtime.run(Invocation("done A/TS201 vejen", ANNA, "console"))
    assert "after your change was recorded" in reply.headline
    assert _done(runtime, "A/TS201") == 1


def _start(url: str, schema: str | None, text: str, pause_at: int) -> subprocess.Popen[str]:
    argv = [
        sys.executable,
        "-m",
        "tests.commands.write_worker",
        "--db",
        url,
        "--pause-at",
        str(pause_at),
        *(["--schema", schema] if schema else []),
        text,
    ]
    return subprocess.Popen(argv, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _line(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    """The worker's next line, waiting for it (never for a fixed time)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the worker said nothing: {err[-2000:]}")
    return line


def test_killing_a_91_municipality_done_mid_write_leaves_none_of_it(engine: Engine, runtime: Runtime) -> None:
    url = engine.url.render_as_string(hide_password=False)
    schema = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("select current_schema()").scalar()
    text = "done A/TS201 " + " ".join(_slugs(runtime, 91))
    rng = random.Random(1590)
    # Each municipality is two writes (its state and its event): 182 in all, then the command.
    for pause_at in sorted(rng.sample(range(1, 183), 8)):
        proc = _start(url, schema, text, pause_at)
        try:
            assert _line(proc) == f"writing {pause_at}\n"
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert _done(runtime, "A/TS201") == 0, f"killed after {pause_at} writes"
        assert runtime.store.events() == []
    proc = _start(url, schema, text, 0)
    assert (
        _line(proc) == "reply: A/TS201 Etablering af arbejdsgange for den forretningsmæssige "
        "brug af integrationen: 91 changes recorded\n"
    )
    proc.communicate()
    assert _done(runtime, "A/TS201") == 91
    assert len(SqlRolloutStore(engine).events(limit=200)) == 91


def test_undo_after_your_rights_were_taken_away_is_refused(runtime: Runtime, engine: Engine) -> None:
    people = SqlPeopleStore(engine)
    setup = Change("admin", "console", runtime.clock.now())
    people.register("slack", "U1", Person("anna", "Anna", coordinates=frozenset({575})), change=setup)

    def anna() -> Actor:
        person = people.person_for("slack", "U1")
        assert person is not None
        return actor_for(person)

    assert "1 change recorded" in runtime.run(Invocation("done A/TS201 vejen", anna(), "slack")).headline
    people.register("slack", "U1", Person("anna", "Anna"), change=setup)  # no rights now
    reply = runtime.run(Invocation("undo", anna(), "slack"))
    assert "You may no longer undo your `done`" in reply.headline
    assert _done(runtime, "A/TS201") == 1
