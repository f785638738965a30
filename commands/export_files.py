"""File formats of the exports: CSV, XLSX (openpyxl) and iCalendar (icalendar).

Pure writers: rows and events in, bytes out. What goes into the rows is decided in
:mod:`commands.exports` from the same view models every chat answer uses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = ["CalendarEvent", "csv_bytes", "ics_bytes", "uid_part", "xlsx_bytes"]

_MAX_COLUMN_WIDTH = 60
_PRODID = "-//SF1590 rollout bot//sf1590//EN"


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day event; ``uid`` names what it is (so a re-import updates, not duplicates)."""

    uid: str
    day: date
    summary: str
    description: str = ""
    category: str = ""


def uid_part(text: str) -> str:
    """A UID fragment from a code or name: ``A/TS201`` -> ``A-TS201`` (ASCII, no spaces)."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows æ, ø and å right when opened directly;
    text that a spreadsheet would run as a formula is kept text."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    sheet: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str | date | None]],
) -> bytes:
    """One sheet: a bold, frozen header row with a filter, then one row per item."""
    # Imported here: openpyxl costs ~0.15 s at start-up, and only an export needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    assert ws is not None  # a new workbook always has its first sheet
    ws.title = sheet[:31]  # Excel's limit on sheet names
    ws.append(list(header))
    for row in rows:
        ws.append([_cell(value) for value in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for index, name in enumerate(header, start=1):
        values = [name, *(str(r[index - 1] or "") for r in rows[:500])]
        width = min(_MAX_COLUMN_WIDTH, max(len(v) for v in values) + 2)
        ws.column_dimensions[get_column_letter(index)].width = width
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: str | date | None) -> str | date | None:
    # Free text (a reason) starting like a formula would run as one in a spreadsheet: keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def ics_bytes(name: str, events: Sequence[CalendarEvent], stamp: datetime) -> bytes:
    """A calendar of all-day events in Europe/Copenhagen; ``stamp`` is the export moment."""
    from icalendar import Calendar, Event  # imported here, as openpyxl above: exports only

    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Copenhagen")
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + timedelta(days=1))
        event.add("summary", item.summary)
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy all day
        if item.description:
            event.add("description", item.description)
        if item.category:
            event.add("categories", [item.category])
        calendar.add_component(event)
    content: bytes = calendar.to_ical()
    return content
