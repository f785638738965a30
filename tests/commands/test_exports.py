"""`export csv|xlsx|ics|history`: files a coordinator keeps, on the full roster in K91."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from bot.clock import FixedClock
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from commands.context import Actor
from commands.reply import Attachment, Reply, Tone
from rollout.gates import gate_date, gate_ids, reports_due
from rollout.status import Rollout
from storage.ports import TaskEvent

K91_DAY = date(2020, 3, 20)
ANNA = Actor("anna", "Anna", is_admin=True)


@pytest.fixture
def k91(tmp_path: Path, demo_template: Path) -> Runtime:
    """The demo database (98 municipalities, 91 in K91) on 2020-03-20, K91 in progress."""
    shutil.copy(demo_template, tmp_path / "k91.db")
    return open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'k91.db'}"), FixedClock.at(K91_DAY))


def say(runtime: Runtime, text: str, language: str = "en") -> Reply:
    return runtime.answer("console", "anna", None, text, actor=ANNA, language=language).reply


def only_file(reply: Reply) -> Attachment:
    assert reply.tone == Tone.SUCCESS, reply.text_lines()
    assert len(reply.files) == 1
    return reply.files[0]


def domain(runtime: Runtime) -> Rollout:
    store = runtime.store
    return Rollout(runtime.graph, store.municipalities(), store.task_states())


def wave_instances(runtime: Runtime, wave: str) -> int:
    """Task instances of a wave counted straight from the plan graph."""
    members = [m for m in runtime.store.municipalities().values() if m.wave == wave]
    graph = runtime.graph
    return (
        len(list(graph.system_instances()))
        + sum(len(list(graph.instances(m))) for m in members)
        + len(list(graph.wave_instances(wave)))
    )


def test_the_xlsx_of_k91_has_one_row_per_task_instance(k91: Runtime) -> None:
    reply = say(k91, "export xlsx K91")
    file = only_file(reply)
    assert file.filename == "sf1590-tasks-K91-2020-03-20.xlsx"
    sheet = load_workbook(io.BytesIO(file.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:6] == ("Code", "Title", "Municipality", "Owner", "State", "Deadline")
    assert len(body) == wave_instances(k91, "K91") > 91 * 30
    assert f"rows: {len(body)}" in reply.headline
    k91_names = {m.name for m in k91.store.municipalities().values() if m.wave == "K91"}
    assert k91_names <= {row[2] for row in body}
    assert len({(row[0], row[2]) for row in body}) == len(body)  # no instance twice


def test_the_csv_shows_state_deadline_origin_reason_and_last_change(k91: Runtime) -> None:
    municipality = next(m for m in k91.store.municipalities().values() if m.wave == "K91")
    rollout = domain(k91)
    key = next(k for k in k91.graph.instances(municipality) if rollout.view(k, K91_DAY).ready)
    # A reason a spreadsheet would run as a formula must come out as plain text.
    reply = say(k91, f'block {key.as_value()} -- =HYPERLINK("http://x";"click")')
    assert reply.tone == Tone.SUCCESS, reply.text_lines()
    rows = list(
        csv.DictReader(
            io.StringIO(only_file(say(k91, f"export csv {municipality.slug}")).content.decode("utf-8-sig"))
        )
    )
    assert len(rows) == len(list(k91.graph.instances(municipality))) + len(list(k91.graph.system_instances()))
    blocked = next(r for r in rows if r["Code"] == key.ref and r["Municipality"] == municipality.name)
    assert blocked["State"] == "blocked"
    assert blocked["Reason"] == '\'=HYPERLINK("http://x";"click")'
    assert blocked["Last changed by"] == "anna" and blocked["Changed from"] == "console"
    assert blocked["Last changed at"] == "2020-03-20 09:00"
    view = rollout.view(key, K91_DAY)
    assert view.deadline is not None
    assert blocked["Deadline"] == view.deadline.day.isoformat()
    assert blocked["Deadline from"]


def test_the_calendar_has_one_event_per_gate_deadline_and_report_and_stable_uids(k91: Runtime) -> None:
    first = Calendar.from_ical(only_file(say(k91, "export ics K91")).content)
    events = first.walk("VEVENT")
    rollout = domain(k91)
    gates = [g for g in gate_ids(rollout) if gate_date(rollout, g, "K91") is not None]
    members = [m for m in rollout.municipalities.values() if m.wave == "K91"]
    keys = rollout.task_keys(members) + rollout.wave_keys(["K91"])
    deadline_refs = {k.ref for k in keys if rollout.deadline(k) is not None}
    reports = reports_due(rollout, "K91")
    assert len(events) == len(gates) + len(deadline_refs) + len(reports)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert "gate-KP-3-K91@sf1590" in uids
    kp3 = next(e for e in events if str(e["UID"]) == "gate-KP-3-K91@sf1590")
    found = gate_date(rollout, "KP-3", "K91")
    assert found is not None and kp3.decoded("DTSTART") == found.day
    assert str(first["X-WR-TIMEZONE"]) == "Europe/Copenhagen"
    # Work goes on and the calendar is exported again: the same events, updated in place.
    ready = next(k for k in keys if rollout.view(k, K91_DAY).ready)
    assert say(k91, f"done {ready.as_value()}").tone == Tone.SUCCESS
    again = Calendar.from_ical(only_file(say(k91, "export ics K91")).content)
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(uids)


def test_the_history_csv_is_the_audit_trail_with_who_when_where_and_command(k91: Runtime) -> None:
    vejen = next(m for m in k91.store.municipalities().values() if m.slug == "vejen")
    rollout = domain(k91)
    key = next(k for k in k91.graph.instances(vejen) if rollout.view(k, K91_DAY).ready)
    assert say(k91, f"block {key.as_value()} -- waiting for KMD").tone == Tone.SUCCESS
    say(k91, f"move vejen {'K91' if vejen.wave != 'K91' else 'P2'} -- not ready")
    rows = list(
        csv.DictReader(io.StringIO(only_file(say(k91, "export history vejen")).content.decode("utf-8-sig")))
    )
    event: TaskEvent = k91.store.events(municipality=vejen.code, limit=1)[0]
    blocked = next(r for r in rows if r["Reason"] == "waiting for KMD")
    assert (blocked["Kind"], blocked["Who"], blocked["From where"]) == ("task", "anna", "console")
    assert blocked["Command id"] == event.command_id and blocked["When (Copenhagen)"]
    moved = [r for r in rows if r["Kind"] == "wave move" and r["Reason"] == "not ready"]
    assert len(moved) == 1 and moved[0]["Who"] == "anna"
    assert [r["When (Copenhagen)"] for r in rows] == sorted(r["When (Copenhagen)"] for r in rows)


def test_a_wrong_format_or_target_is_refused_with_what_is_valid(k91: Runtime) -> None:
    typo = say(k91, "export cvs K91")
    assert typo.tone == Tone.ERROR and not typo.files
    assert "csv, xlsx, ics, history" in typo.headline and "`export csv`" in typo.footer
    nowhere = say(k91, "export csv K19")
    assert nowhere.tone == Tone.ERROR and not nowhere.files and "K91" in nowhere.footer


def test_exports_speak_danish(k91: Runtime) -> None:
    reply = say(k91, "export csv aarhus", language="da")
    header = only_file(reply).content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Kode,Titel,Kommune,Ansvarlig,Tilstand,Frist")
    assert "rækker" in reply.headline
