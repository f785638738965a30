"""The Udrulningsrapport as a neutral document: built once, rendered to md, docx, pdf and xlsx.

A document is a title and sections; a section holds paragraphs, tables and images in order.
Every renderer (commands.report_render) walks the same model, so the formats never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Block", "Document", "Image", "Paragraph", "ReportSection", "Table"]


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    """Rows of text under named columns; ``empty`` is said instead when there are no rows."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = ""


@dataclass(frozen=True)
class Image:
    """A PNG (a chart) with a caption that says what it shows."""

    png: bytes
    caption: str


Block = Paragraph | Table | Image


@dataclass(frozen=True)
class ReportSection:
    title: str
    blocks: tuple[Block, ...] = ()
    sheet: str = ""  # a short name for the section's spreadsheet tab (≤ 31 characters)


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: tuple[ReportSection, ...] = field(default_factory=tuple)

    def tables(self) -> list[tuple[ReportSection, Table]]:
        """Every table with the section it is in, in document order."""
        return [(s, b) for s in self.sections for b in s.blocks if isinstance(b, Table)]
