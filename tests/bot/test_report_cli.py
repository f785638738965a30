"""`sf1590 report` on the quick-start database (full roster), and the scheduler posting the
report on its milestone day with the file in the outbox payload."""

from __future__ import annotations

import io
import json
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.cli import main
from bot.notify import Posted
from bot.runtime import Runtime
from bot.scheduler import SweepConfig, Sweeper
from commands.reply import Reply
from storage.outbox import SqlOutbox
from storage.people import SqlPeopleStore
from storage.ports import Change

CPH = ZoneInfo("Europe/Copenhagen")


def test_the_k91_report_as_xlsx_has_a_row_per_municipality_of_the_full_roster(
    demo_runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = str(demo_runtime.engine.url)
    out = tmp_path / "reports" / "k91.xlsx"
    assert (
        main(
            [
                "report",
                "v2",
                "K91",
                "--format",
                "xlsx",
                "--out",
                str(out),
                "--db",
                url,
                "--today",
                "2020-03-20",
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert said.startswith(f"Wrote {out} (xlsx, ")
    assert "Udrulningsrapport v2 (Godkendte og afrapportering) — K91, as of 2020-03-20" in said
    book = load_workbook(out)
    rows = [r for r in book["Kommuner"].iter_rows(values_only=True) if any(r)][1:]
    k91 = {m.name for m in demo_runtime.store.municipalities().values() if m.wave == "K91"}
    assert len(k91) == 91 and {r[0] for r in rows} == k91 and len(rows) == 91
    assert [p.name for p in out.parent.iterdir()] == ["k91.xlsx"]  # no temporary file left


def test_the_report_in_english_as_docx_by_default_name(
    demo_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "report",
                "v1",
                "P2",
                "--language",
                "en",
                "--db",
                str(demo_runtime.engine.url),
                "--today",
                "2019-09-20",
            ]
        )
        == 0
    )
    document = docx.Document(str(tmp_path / "udrulningsrapport-v1-P2-2019-09-20.docx"))
    assert document.paragraphs[0].text == "Rollout report v1 (ready) — P2"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:2] == ["Overview", "Municipalities and readiness for GATE"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "v9", "P2"], "`v9` is not a report version; use one of v1, v2, v3"),
        (["report", "v2", "P7"], "I don't know `P7` here"),
    ],
)
def test_a_bad_version_or_wave_is_one_line_and_writes_nothing(
    demo_runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    out = tmp_path / "r.docx"
    assert main([*argv, "--out", str(out), "--db", str(demo_runtime.engine.url)]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


class Recording:
    """The far end of a notifier: keeps what the scheduler hands it (files included)."""

    platform = "slack"

    def __init__(self) -> None:
        self.posted: list[tuple[str, Reply, str]] = []

    def post(self, channel_id: str, reply: Reply, *, key: str) -> Posted:
        self.posted.append((channel_id, reply, key))
        return Posted(f"ts-{len(self.posted)}")

    def find_posted(self, channel_id: str, key: str) -> Posted | None:
        return None


def test_the_scheduler_posts_the_v2_report_to_the_wave_channel_on_kp3_day(demo_runtime: Runtime) -> None:
    change = Change("test", "test", datetime(2020, 1, 1, tzinfo=CPH))
    SqlPeopleStore(demo_runtime.engine).link_channel("slack", "C0P2", "P2", change=change)
    far_end = Recording()
    sweeper = Sweeper(demo_runtime, {"slack": far_end}, config=SweepConfig(min_interval=0))
    kp3_day = datetime.combine(datetime(2020, 1, 28).date(), time(8, 5), CPH)
    sweeper.sweep(kp3_day)
    reports = [(c, r, k) for c, r, k in far_end.posted if k.startswith("report|P2|")]
    ((channel, reply, key),) = [item for item in reports if item[1].files]
    assert channel == "C0P2" and key == "report|P2|slack:C0P2|REPORT-V2|2020-01-28"
    assert reply.headline == (
        "P2: Udrulningsrapport v2 (Godkendte og afrapportering) is due today; the report is attached (DOCX)."
    )
    assert reply.public and "municipalities of P2" in reply.text_lines()[1]
    (attachment,) = reply.files
    document = docx.Document(io.BytesIO(attachment.content))
    names = {row.cells[0].text for table in document.tables for row in table.rows}
    p2 = {m.name for m in demo_runtime.store.municipalities().values() if m.wave == "P2"}
    assert p2 and p2 <= names
    # The outbox row carries the file itself: what is sent is fixed when the row is made.
    (row,) = [r for r in SqlOutbox(demo_runtime.engine).rows() if r.key == key]
    (stored,) = json.loads(row.payload)["files"]
    assert stored["filename"] == attachment.filename == "udrulningsrapport-v2-P2-2020-01-28.docx"
    # Nothing else the sweep posted (deadlines, countdowns, the digest) carries a file.
    assert len(far_end.posted) > 1 and all(not r.files for c, r, k in far_end.posted if k != key)
