"""The `chart` verb: `chart readiness K91`, `chart burndown P2`, `chart graph aarhus`."""

from __future__ import annotations

from commands.charts import burndown_chart, graph_chart, members, readiness_chart
from commands.charts.draw import Chart
from commands.context import CommandContext, Invocation
from commands.grammar import leading_municipalities
from commands.messages import t
from commands.parse import (
    UserError,
    find_municipality,
    fold,
    match_municipality,
    match_wave,
    suggest,
)
from commands.present import load_rollout
from commands.reply import Attachment, Reply, Tone
from commands.waves import wave_arg
from rollout.gates import critical_chain
from rollout.model import Municipality, Status
from rollout.status import Rollout

__all__ = ["KINDS", "chart"]

# Each kind of chart, by the words that name it (English and Danish).
KINDS = {
    "readiness": "readiness",
    "parathed": "readiness",
    "burndown": "burndown",
    "nedbrydning": "burndown",
    "graph": "graph",
    "graf": "graph",
}
_EVERY_EVENT = 2**31 - 1  # the store answers the newest first, up to a limit: here, all of them


def chart(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """A chart as a PNG: `chart readiness K91`, `chart burndown P2`, `chart graph aarhus`."""
    if not args:
        raise UserError(t("error.missing_chart"), hint=t("usage.chart"))
    kind = KINDS.get(fold(args[0]))
    if kind is None:
        close = suggest(args[0], KINDS)
        hint = t("hint.did_you_mean", options=" / ".join(f"`chart {o}`" for o in close))
        raise UserError(
            t("error.unknown_chart", word=args[0], valid="readiness, burndown, graph"),
            hint=hint if close else t("usage.chart"),
        )
    if kind == "graph":
        return _graph(ctx, args[1:])
    if len(args) > 2:
        raise UserError(t("error.chart_extra", words=" ".join(args[2:])), hint=t("usage.chart"))
    rollout = load_rollout(ctx)
    wave = _wave(ctx, rollout, kind, args[1]) if len(args) > 1 else inv.channel_wave
    if wave is None:
        raise UserError(t("error.chart_missing_wave", kind=kind), hint=t("usage.chart"))
    if not members(rollout, wave):
        return Reply(t("chart.empty_wave", wave=wave), tone=Tone.WARNING)
    if kind == "readiness":
        return _readiness(ctx, rollout, wave)
    return _burndown(ctx, rollout, wave)


def _wave(ctx: CommandContext, rollout: Rollout, kind: str, word: str) -> str:
    """The wave named by ``word``; a municipality's name gets the commands it may have meant."""
    if match_wave(word, ctx.graph.plan) is None:
        found = find_municipality([word], rollout.municipalities)
        if found is not None:
            raise UserError(
                t(
                    "error.chart_municipality_not_wave",
                    name=found.name,
                    kind=kind,
                    wave=found.wave,
                    slug=found.slug,
                ),
                hint=t("usage.chart"),
            )
    return wave_arg(ctx, word)


def _graph_target(words: list[str], rollout: Rollout) -> Municipality:
    """One municipality: a graph shows one; several named get the commands to type."""
    named, rest = leading_municipalities(words, rollout.municipalities)
    if len(named) > 1 and not rest:
        commands = " · ".join(f"`chart graph {m.slug}`" for m, _ in named)
        raise UserError(t("error.chart_one_municipality", commands=commands))
    return match_municipality(words, rollout.municipalities)


def _attachment(chart: Chart, name: str, title: str) -> Attachment:
    return Attachment(f"{name}.png", "image/png", chart.png, title=title, alt_text=title)


def _readiness(ctx: CommandContext, rollout: Rollout, wave: str) -> Reply:
    drawn = readiness_chart(rollout, wave, ctx.today)
    assert drawn is not None  # the wave has members: checked by the caller
    chosen = members(rollout, wave)
    counts = rollout.counts(chosen, ctx.today)
    summary = t(
        "chart.readiness.summary",
        wave=wave,
        day=ctx.today.isoformat(),
        count=len(chosen),
        done=counts.done,
        total=counts.total,
        late=counts.late,
        blocked=counts.blocked,
    )
    name = f"readiness-{wave}-{ctx.today.isoformat()}"
    return Reply(summary, files=(_attachment(drawn, name, summary),))


def _burndown(ctx: CommandContext, rollout: Rollout, wave: str) -> Reply:
    drawn = burndown_chart(rollout, ctx.store.events(limit=_EVERY_EVENT), wave, ctx.today)
    if drawn is None:
        return Reply(t("chart.no_events", wave=wave), tone=Tone.WARNING)
    counts = rollout.counts(members(rollout, wave), ctx.today)
    summary = t(
        "chart.burndown.summary",
        wave=wave,
        day=ctx.today.isoformat(),
        open=counts.total - counts.done,
        total=counts.total,
    )
    name = f"burndown-{wave}-{ctx.today.isoformat()}"
    return Reply(summary, files=(_attachment(drawn, name, summary),))


def _graph(ctx: CommandContext, words: list[str]) -> Reply:
    if not words:
        raise UserError(t("error.chart_missing_municipality"), hint=t("usage.chart"))
    rollout = load_rollout(ctx)
    municipality = _graph_target(words, rollout)
    drawn = graph_chart(rollout, municipality, ctx.today)
    views = rollout.views(rollout.task_keys([municipality], include_system=False), ctx.today)
    chain, days = critical_chain(rollout, [v.key for v in views if not v.finished])
    summary = t(
        "chart.graph.summary",
        name=municipality.name,
        day=ctx.today.isoformat(),
        tasks=len(views),
        open=sum(not v.finished for v in views),
        blocked=sum(v.state.status == Status.BLOCKED for v in views),
        days=days,
        chain=" → ".join(k.ref for k in chain) or "—",
    )
    name = f"graph-{municipality.slug}-{ctx.today.isoformat()}"
    return Reply(summary, files=(_attachment(drawn, name, summary),))
