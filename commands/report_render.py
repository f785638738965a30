"""Render a report document (commands.report_doc) to Markdown, Word, PDF or Excel.

python-docx, fpdf2 and openpyxl are imported only when their format is asked for. The PDF uses
DejaVu Sans when a package ships it (matplotlib does), else fpdf2's core Helvetica, whose latin-1
covers æ, ø and å; the few other signs are spelled out.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import util
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from commands.report_doc import Block, Document, Image, Paragraph, ReportSection, Table

__all__ = ["FORMATS", "Format", "render"]


def to_markdown(doc: Document) -> bytes:
    """GitHub-flavoured Markdown: headings, paragraphs, pipe tables, images as their caption."""
    out = [f"# {doc.title}", "", f"_{doc.subtitle}_", ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out += [block.text, ""]
            elif isinstance(block, Image):
                out += [f"_{block.caption}_", ""]
            elif block.rows:
                out.append("| " + " | ".join(_md(c) for c in block.columns) + " |")
                out.append("|" + "---|" * len(block.columns))
                out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
                out.append("")
            else:
                out += [block.empty, ""]
    return "\n".join(out).encode("utf-8")


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def to_docx(doc: Document) -> bytes:
    """A Word document: title, a heading per section, tables in the 'Table Grid' style."""
    import docx  # lazily: only a report in this format needs it
    from docx.shared import Cm, Pt

    word = docx.Document()
    word.styles["Normal"].font.size = Pt(9)
    word.add_heading(doc.title, level=0)
    word.add_paragraph(doc.subtitle)
    for section in doc.sections:
        word.add_heading(section.title, level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                word.add_paragraph(block.text)
            elif isinstance(block, Image):
                word.add_picture(io.BytesIO(block.png), width=Cm(16))
                word.add_paragraph(block.caption)
            elif block.rows:
                _docx_table(word, block)
            else:
                word.add_paragraph(block.empty)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _docx_table(word: Any, table: Table) -> None:
    """A grid table; the rows are written as one XML fragment: python-docx's cell-by-cell API
    takes seconds for the hundreds of rows K91 has."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    grid = word.add_table(rows=0, cols=len(table.columns))
    grid.style = "Table Grid"
    header = "".join(_docx_cell(c, bold=True) for c in table.columns)
    body = "".join("<w:tr>" + "".join(_docx_cell(c) for c in row) + "</w:tr>" for row in table.rows)
    fragment = parse_xml(
        f"<w:tbl {nsdecls('w')}><w:tr><w:trPr><w:tblHeader/></w:trPr>{header}</w:tr>{body}</w:tbl>"
    )
    for row in list(fragment):
        grid._tbl.append(row)


def _docx_cell(text: str, *, bold: bool = False) -> str:
    run = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:tc><w:p><w:r>{run}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>'


_LATIN1_SPELLED = {
    "—": "-",
    "–": "-",
    "…": "...",
    "≈": "~",
    "✓": "v",
    "✗": "x",
    "→": "->",
    "’": "'",
    "“": '"',
    "”": '"',
    "„": '"',
}


def _font_file() -> Path | None:
    """DejaVuSans.ttf from an installed package that ships it (matplotlib), if any."""
    spec = util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    found = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return found if found.exists() else None


def to_pdf(doc: Document) -> bytes:
    """A PDF, A4 landscape (the tables are wide), with the tables as grids."""
    from fpdf import FPDF  # lazily

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    font = _font_file()
    if font is not None:
        pdf.add_font("DejaVu", "", str(font))
        pdf.add_font("DejaVu", "B", str(font))
        family, text = "DejaVu", _same
    else:
        family, text = "Helvetica", _latin1
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, text(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.multi_cell(0, 5, text(doc.subtitle), new_x="LMARGIN", new_y="NEXT")
    for section in doc.sections:
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, text(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                pdf.multi_cell(0, 4.5, text(block.text), new_x="LMARGIN", new_y="NEXT")
            elif isinstance(block, Image):
                pdf.image(io.BytesIO(block.png), w=180)
                pdf.multi_cell(0, 4.5, text(block.caption), new_x="LMARGIN", new_y="NEXT")
            elif block.rows:
                with pdf.table(line_height=4, first_row_as_headings=True) as grid:
                    for values in (block.columns, *block.rows):
                        grid.row([text(v) for v in values])
            else:
                pdf.multi_cell(0, 4.5, text(block.empty), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _same(value: str) -> str:
    return value


def _latin1(value: str) -> str:
    spelled = "".join(_LATIN1_SPELLED.get(ch, ch) for ch in value)
    return spelled.encode("latin-1", errors="replace").decode("latin-1")


def to_xlsx(doc: Document) -> bytes:
    """An Excel workbook: one sheet per section, its paragraphs then its tables."""
    from openpyxl import Workbook  # lazily
    from openpyxl.styles import Font

    book = Workbook()
    if book.active is not None:  # the default empty sheet: every section brings its own
        book.remove(book.active)
    used: set[str] = set()
    for section in doc.sections:
        sheet = book.create_sheet(_sheet_name(section.sheet or section.title, used))
        for block in section.blocks:
            if isinstance(block, Paragraph):
                sheet.append([block.text])
            elif isinstance(block, Image):
                sheet.append([block.caption])
            else:
                sheet.append(list(block.columns))
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
                for row in block.rows:
                    sheet.append(list(row))
                sheet.append([])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    """A unique sheet name without the characters Excel refuses, at most 31 characters."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        candidate = f"{clean[:28]} {n}"
        n += 1
    used.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class Format:
    extension: str
    media_type: str
    render: Callable[[Document], bytes]


FORMATS: dict[str, Format] = {
    "docx": Format(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", to_docx
    ),
    "pdf": Format("pdf", "application/pdf", to_pdf),
    "md": Format("md", "text/markdown; charset=utf-8", to_markdown),
    "xlsx": Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


def render(doc: Document, format_: str) -> bytes:
    """The document in ``format_`` (a key of FORMATS)."""
    return FORMATS[format_].render(_printable(doc))


def _clean(text: str) -> str:
    # Word's XML and Excel refuse control characters; a stored reason may hold one from
    # before input was checked, and a report must still be made.
    return "".join("?" if unicodedata.category(ch) == "Cc" and ch != "\t" else ch for ch in text)


def _printable(doc: Document) -> Document:
    """The document with every control character replaced by ``?``."""

    def block(b: Block) -> Block:
        if isinstance(b, Paragraph):
            return Paragraph(_clean(b.text))
        if isinstance(b, Image):
            return Image(b.png, _clean(b.caption))
        return Table(
            tuple(map(_clean, b.columns)), tuple(tuple(map(_clean, row)) for row in b.rows), _clean(b.empty)
        )

    return Document(
        _clean(doc.title),
        _clean(doc.subtitle),
        tuple(
            ReportSection(_clean(s.title), tuple(map(block, s.blocks)), _clean(s.sheet)) for s in doc.sections
        ),
    )
