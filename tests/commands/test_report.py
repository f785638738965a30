"""The Udrulningsrapport through the command core: a KP-3 scenario in P2, then `report v2 P2`
in every format, read back with the library that opens it (python-docx, pypdf, openpyxl)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date, datetime, timedelta

import docx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from commands import report_render
from commands.context import Actor, CommandContext, Invocation
from commands.core import dispatch
from commands.gating import verdict_text
from commands.messages import speaking
from commands.present import local_minute
from commands.reply import Reply, Tone
from commands.report import ReportAsk, report_reply
from rollout.graph import PlanGraph
from rollout.model import Status, TaskKey, TaskState
from storage.ports import Change, CommandRecord, RolloutStore, TaskChange
from tests.commands.chatbot import ANNA, BO, START, make_bot

P2 = ("Aarhus", "Randers", "Vallensbæk", "Vejen")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Scenario:
    """The command core on a real store, on days the test sets, one minute per command."""

    def __init__(self, graph: PlanGraph, store: RolloutStore) -> None:
        make_bot(graph, store)
        self.graph, self.store, self.now, self.today = graph, store, START, START.date()

    def on(self, day: date) -> Scenario:
        self.today, self.now = day, datetime.combine(day, START.timetz())
        return self

    def ask(self, text: str, actor: Actor = ANNA, language: str = "en") -> Reply:
        self.now += timedelta(minutes=1)
        ctx = CommandContext(self.store, self.graph, self.now, self.today)
        return dispatch(ctx, Invocation(text, actor, "console", language=language))

    def say(self, text: str, actor: Actor = ANNA) -> str:
        return "\n".join(self.ask(text, actor).text_lines())


def kp3_scenario(s: Scenario) -> None:
    """The Gate (one no-go superseded by a go), KP-3 with Randers not approved, a block."""
    s.on(date(2019, 9, 27))
    assert "recorded" in s.say("decide gate P2 aarhus no-go -- Udrulningsrapport v1 ikke parat")
    assert "supersedes" in s.say("decide gate P2 aarhus go confirm -- parat efter opfølgning", BO)
    s.on(date(2020, 1, 28))
    assert "moves from P2 to K91" in s.say(
        "decide KP-3 P2 randers no-go -- konverteringen blev ikke godkendt"
    )
    for name in ("aarhus", "vallensbæk", "vejen"):
        assert "GO recorded" in s.say(f"decide KP-3 P2 {name} go confirm -- konvertering godkendt")
    assert "recorded" in s.say("block A/TS110 vejen -- venter på leverandørens serviceaftale")
    s.on(date(2020, 2, 3))


@pytest.fixture
def s(sf1590_graph: PlanGraph, store: RolloutStore) -> Scenario:
    scenario = Scenario(sf1590_graph, store)
    kp3_scenario(scenario)
    return scenario


def decision_rows(s: Scenario) -> list[tuple[str, str, str, str, str]]:
    """Every decision of P2 as the report must show it (Danish: the report's language)."""
    names = {m.code: m.name for m in s.store.municipalities().values()}
    with speaking("da"):
        return [
            (d.gate, names[d.municipality], verdict_text(d), d.actor, local_minute(d.at))
            for d in s.store.gate_decisions(wave="P2")
        ]


def docx_text(content: bytes) -> tuple[str, list[tuple[str, ...]]]:
    document = docx.Document(io.BytesIO(content))
    rows = [tuple(c.text for c in row.cells) for table in document.tables for row in table.rows]
    return "\n".join(p.text for p in document.paragraphs), rows


def test_the_v2_report_of_p2_after_kp3_lists_every_municipality_decision_and_move(s: Scenario) -> None:
    reply = s.ask("report v2 P2")
    assert reply.tone == Tone.SUCCESS and not reply.changed
    (attachment,) = reply.files
    assert attachment.filename == "udrulningsrapport-v2-P2-2020-02-03.docx"
    assert attachment.media_type == DOCX
    text = "\n".join(reply.text_lines())
    assert "Udrulningsrapport v2 (Godkendte og afrapportering) — P2 (DOCX, da)" in text
    assert "4 municipalities of P2 (1 moved out), 6 decisions, 1 moves, 1 open blocks" in text
    paragraphs, rows = docx_text(attachment.content)
    assert "KP-3 den 2020-01-28: 3 go, 1 no-go, 0 ikke besluttet." in paragraphs
    municipalities = {row[0]: row for row in rows if row[0] in P2 and row[1].isdigit()}
    assert set(municipalities) == set(P2)
    assert municipalities["Randers"][2:3] == ("K91",)
    assert "flyttet til K91" in municipalities["Randers"]
    assert municipalities["Vejen"][-1].startswith("GO (anna, 2020-01-28 09:0")
    decided = decision_rows(s)
    assert len(decided) == 6
    for gate, name, verdict, actor, at in decided:
        assert any(row[:5] == (gate, name, verdict, actor, at) for row in rows), (gate, name)
    marks = [row[-1] for row in rows if row[:2] == ("GATE", "Aarhus")]
    assert marks == ["erstattet", "gældende"]  # the no-go, superseded by Bo's go
    (move,) = [row for row in rows if row[:3] == ("Randers", "P2", "K91")]
    assert "konverteringen blev ikke godkendt" in move[3] and move[4] == "anna"
    blocked = {(r[0], r[2], r[3]) for r in rows if len(r) == 5}  # the blocks table
    assert ("A/TS110", "Vejen", "venter på leverandørens serviceaftale") in blocked


def test_the_pdf_and_the_markdown_carry_the_same_facts(s: Scenario) -> None:
    (pdf,) = s.ask("report v2 P2 pdf").files
    assert pdf.media_type == "application/pdf" and pdf.filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    # Text extraction loses the spaces where a table cell wraps: compare without spaces.
    flat = "".join("".join(page.extract_text() for page in reader.pages).split())

    def has(fact: str) -> bool:
        return "".join(fact.split()) in flat

    for name in P2:
        assert has(name)
    assert has("konverteringen blev ikke godkendt")
    assert has("venter på leverandørens serviceaftale")
    assert has("KP-3 den 2020-01-28: 3 go, 1 no-go, 0 ikke besluttet.")
    for gate, name, verdict, actor, at in decision_rows(s):
        assert has(f"{gate} {name} {verdict} {actor} {at} console"), (gate, name)
    assert has("Randers P2 K91 no-go at KP-3: konverteringen blev ikke godkendt anna")
    (md,) = s.ask("report v2 P2 md").files
    markdown = md.content.decode("utf-8")
    assert markdown.startswith("# Udrulningsrapport v2 (Godkendte og afrapportering) — P2")
    assert "| Randers | P2 | K91 | no-go at KP-3: konverteringen blev ikke godkendt" in markdown


def test_the_xlsx_has_a_sheet_per_section_and_a_row_per_municipality_and_decision(s: Scenario) -> None:
    (xlsx,) = s.ask("report v2 P2 xlsx").files
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [
        "Overblik",
        "Kommuner",
        "Beslutninger",
        "Flytninger",
        "Blokeringer",
        "Forsinkede",
        "Kontrol",
        "Drejebog",
        "Eskaleringer",
    ]
    kommuner = [r for r in book["Kommuner"].iter_rows(values_only=True) if any(r)]
    assert kommuner[0][:3] == ("Kommune", "Kode", "Bølge nu")
    assert sorted(r[0] for r in kommuner[1:]) == sorted(P2)
    decisions = [r for r in book["Beslutninger"].iter_rows(values_only=True) if any(r)]
    assert len(decisions) == 1 + 6
    assert {r[5] for r in decisions[1:]} == {"console"}  # from where, for every decision


def test_v3_adds_the_kp4_outcome_stopped_go_lives_and_the_steps_after_kp4(s: Scenario) -> None:
    s.on(date(2020, 1, 29))
    s.say("decide KP-4 P2 vejen stop -- overvågning er ikke etableret")
    s.say("decide KP-4 P2 aarhus okay confirm -- i drift")
    s.on(date(2020, 2, 12))
    reply = s.ask("report v3 P2 en md")
    markdown = reply.files[0].content.decode("utf-8")
    assert "# Rollout report v3 (evaluation) — P2" in markdown
    assert "## After go-live (KP-4 and evaluation)" in markdown
    assert "KP-4: 1 okay, 1 stop activity, 1 of 3 not decided." in markdown
    assert "| KP-4 | Vejen | STOP ACTIVITY | anna |" in markdown
    assert "| R/JOBCENTER | 5. Åben for kommunikation til Jobcenter løsninger |" in markdown
    assert "| KP-4 | Vejen | Stop activity (go-live stopped) | anna |" in markdown  # escalation


def test_v1_shows_readiness_for_the_gate(s: Scenario) -> None:
    s.on(date(2019, 9, 20))
    markdown = s.ask("report v1 P2 md").files[0].content.decode("utf-8")
    assert "## Kommuner og parathed til GATE" in markdown
    assert "| Aarhus | 751 | P2 |" in markdown and "ikke parat" in markdown


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("report", "is not a report version; use one of v1, v2, v3"),
        ("report v4 P2", "`v4` is not a report version"),
        ("report v2 P9", "valid are a wave, a format or a language: P1, P2, K91, docx"),
        ("report v2 P2 pfd", "Did you mean pdf"),
        ("report v2", "Which wave? Name one of P1, P2, K91"),
    ],
)
def test_a_bad_report_request_says_what_is_valid_and_makes_nothing(s: Scenario, text: str, says: str) -> None:
    events = len(s.store.events(limit=1000))
    reply = s.ask(text)
    assert reply.tone == Tone.ERROR and not reply.files
    assert says.lower() in "\n".join(reply.text_lines()).lower()
    assert len(s.store.events(limit=1000)) == events


def test_two_waves_in_one_request_are_refused_rather_than_guessed(s: Scenario) -> None:
    reply = s.ask("report v2 P2 K91")
    assert reply.tone == Tone.ERROR and not reply.files
    assert "`K91` is a second wave, format or language; name each once" in reply.headline


def png(width: int, height: int) -> bytes:
    """A small valid PNG (one grey colour), made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_chart_given_to_the_report_is_embedded_in_word_and_pdf(s: Scenario) -> None:
    picture = png(40, 20)
    ctx = CommandContext(s.store, s.graph, s.now, s.today)
    for format_ in ("docx", "pdf"):
        reply = report_reply(ctx, ReportAsk("v2", "P2", format_), chart_png=picture)
        content = reply.files[0].content
        if format_ == "docx":
            document = docx.Document(io.BytesIO(content))
            assert len(document.inline_shapes) == 1
            assert any(
                p.text == "Parathed i P2: kommuner × opgaver, farvet efter status."
                for p in document.paragraphs
            )
        else:
            assert sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages) == 1


def test_a_stored_reason_with_a_control_character_still_makes_every_format(s: Scenario) -> None:
    # Input is checked today; a reason stored before that may hold anything.
    key = TaskKey("A/TS111", 575)
    command = CommandRecord("legacy-1", "block", Change("legacy", "import", s.now))
    s.store.record(
        command,
        tasks=[TaskChange(key, TaskState(Status.BLOCKED, "venter\x07 på KMD"), TaskState(Status.TODO))],
    )
    for format_ in ("docx", "pdf", "md", "xlsx"):
        (made,) = s.ask(f"report v2 P2 {format_}").files
        assert made.content, format_
    (xlsx,) = s.ask("report v2 P2 xlsx").files
    blocks = list(load_workbook(io.BytesIO(xlsx.content))["Blokeringer"].iter_rows(values_only=True))
    assert ("A/TS111", "Vejen", "venter? på KMD") in {(r[0], r[2], r[3]) for r in blocks}


@pytest.mark.parametrize("font", ["found", "core"])
def test_the_pdf_keeps_danish_letters_with_either_font(
    s: Scenario, font: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if font == "core":  # no package ships DejaVu Sans: fpdf2's Helvetica (latin-1)
        monkeypatch.setattr(report_render, "_font_file", lambda: None)
    elif report_render._font_file() is None:
        pytest.skip("no installed package ships DejaVuSans.ttf (matplotlib)")
    (pdf,) = s.ask("report v2 P2 pdf").files
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Vallensbæk" in text and "Beslutningerved" in text and "Åbneeskaleringer" in text
