"""`report v2 P2 [docx|pdf|md|xlsx] [da|en]`: the Udrulningsrapport as a file, and what is in it.

The same builder serves the chat verb, the CLI (`sf1590 report`) and the scheduler's post on the
report's milestone day; the document is in Danish unless asked otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.context import CommandContext, Invocation
from commands.messages import LANGUAGES, speaking, t
from commands.parse import UserError, suggest
from commands.present import load_rollout
from commands.reply import Attachment, Reply, Section, Tone
from commands.report_build import VERSIONS, Facts, build_report, gather
from commands.report_doc import Document
from commands.report_render import FORMATS, render

__all__ = ["ReportAsk", "make_report", "parse_report", "report", "report_reply"]

DEFAULT_FORMAT = "docx"  # municipal staff open Word
DEFAULT_LANGUAGE = "da"  # the plan's own language
_VERSION_WORDS = {"v1": "v1", "1": "v1", "v2": "v2", "2": "v2", "v3": "v3", "3": "v3"}


@dataclass(frozen=True)
class ReportAsk:
    version: str
    wave: str
    format: str = DEFAULT_FORMAT
    language: str = DEFAULT_LANGUAGE


def parse_report(ctx: CommandContext, args: list[str], channel_wave: str | None) -> ReportAsk:
    """VERSION [WAVE] [FORMAT] [LANGUAGE] in any order after the version; every word must be
    one of them, so nothing is silently ignored."""
    from commands.waves import wave_arg  # waves imports much of the core: import late

    if not args or args[0].lower() not in _VERSION_WORDS:
        raise UserError(
            t("error.report_version", word=args[0] if args else "", valid=", ".join(VERSIONS)),
            hint=t("usage.report"),
        )
    version = _VERSION_WORDS[args[0].lower()]
    wave, format_, language = channel_wave, DEFAULT_FORMAT, DEFAULT_LANGUAGE
    waves = {w.lower(): w for w in ctx.graph.plan.waves}
    given: set[str] = set()
    for word in args[1:]:
        low = word.lower().lstrip(".")
        kind = (
            "format" if low in FORMATS else "language" if low in LANGUAGES else "wave" if low in waves else ""
        )
        if not kind:
            valid = [*ctx.graph.plan.waves, *FORMATS, *LANGUAGES]
            close = suggest(word, valid)
            raise UserError(
                t("error.report_word", word=word, valid=", ".join(valid)),
                hint=t("hint.did_you_mean", options=" / ".join(close)) if close else t("usage.report"),
            )
        if kind in given:  # `report v2 P2 K91`: which one? Make nothing rather than guess
            raise UserError(t("error.report_twice", word=word), hint=t("usage.report"))
        given.add(kind)
        if kind == "format":
            format_ = low
        elif kind == "language":
            language = low
        else:
            wave = wave_arg(ctx, word)
    if wave is None:
        raise UserError(t("error.report_wave", waves=", ".join(ctx.graph.plan.waves)), hint=t("usage.report"))
    return ReportAsk(version, wave, format_, language)


def make_report(
    ctx: CommandContext, ask: ReportAsk, *, chart_png: bytes | None = None
) -> tuple[Facts, Document, Attachment]:
    """Build the report once and render it: the facts, the document and the file (with the
    wave's readiness chart, unless a chart is given)."""
    facts = gather(ctx, ask.version, ask.wave)
    if chart_png is None and ask.format in _WITH_PICTURES:
        chart_png = _readiness_png(ctx, ask)
    doc = build_report(facts, language=ask.language, chart_png=chart_png)
    kind = FORMATS[ask.format]
    filename = f"udrulningsrapport-{ask.version}-{ask.wave}-{ctx.today.isoformat()}.{kind.extension}"
    return facts, doc, Attachment(filename, kind.media_type, render(doc, ask.format), title=doc.title)


_WITH_PICTURES = ("docx", "pdf")  # md and xlsx carry the chart's caption only


def _readiness_png(ctx: CommandContext, ask: ReportAsk) -> bytes | None:
    from commands.charts import readiness_chart  # matplotlib: only when a report is made

    with speaking(ask.language):
        chart = readiness_chart(load_rollout(ctx), ask.wave, ctx.today)
    return chart.png if chart is not None else None


def report_reply(ctx: CommandContext, ask: ReportAsk, *, chart_png: bytes | None = None) -> Reply:
    """The file and a short text (in the asker's language) saying what is in it."""
    facts, doc, attachment = make_report(ctx, ask, chart_png=chart_png)
    with speaking(ask.language):  # the sheet names are the document's
        rows = {
            name: _rows(doc, t(f"report.{name}_sheet"))
            for name in ("decisions", "moves", "blocks", "late", "escalations")
        }
    line = t(
        "report.contents",
        municipalities=len(facts.members),
        wave=ask.wave,
        moved=len(facts.members) - len(facts.current),
        decisions=len(rows["decisions"]),
        moves=len(rows["moves"]),
        blocks=len(rows["blocks"]),
        late=sum(int(row[4]) for row in rows["late"]),
        escalations=len(rows["escalations"]),
    )
    sections_line = t("report.sections", titles=" · ".join(s.title for s in doc.sections))
    return Reply(
        t(
            "report.headline",
            title=doc.title,
            format=ask.format.upper(),
            day=ctx.today.isoformat(),
            language=ask.language,
        ),
        (Section(lines=(line, sections_line)),),
        tone=Tone.SUCCESS,
        files=(attachment,),
    )


def _rows(doc: Document, sheet: str) -> tuple[tuple[str, ...], ...]:
    """The rows of the table on the section with this sheet name."""
    return next((table.rows for section, table in doc.tables() if section.sheet == sheet), ())


def report(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """The Udrulningsrapport of a wave as a file: `report v2 P2` (Word; or pdf, md, xlsx; en)."""
    return report_reply(ctx, parse_report(ctx, args, inv.channel_wave))
