"""``sf1590``: the command line. A thin skin over the runtime, the plan loader and storage."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot import logs
from bot.backup import BackupError, backup
from bot.clock import ReplayClock, SystemClock
from bot.console import DEFAULT_FILES_DIR, ConsoleSession
from bot.export_cli import add_parser as add_export_parser
from bot.export_cli import run_export
from bot.faults import OneLineFormatter, describe
from bot.roster_check import warn_if_empty_roster
from bot.runtime import open_runtime, seed_demo
from bot.settings import Settings
from commands.context import Actor
from commands.messages import LANGUAGES
from rollout.graph import Deadline, Inversion, PlanGraph
from rollout.plan import Plan
from rollout.plan_loader import PlanError, load_plan_file, plan_warnings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.ports import Change
from storage.repository import SqlRolloutStore
from storage.roster import RosterError, read_roster

__all__ = ["main"]

FIRST_YEAR, LAST_YEAR = 1900, 2200  # dates a rollout plan can mean


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a date like 2020-01-21") from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # date arithmetic near year 9999 overflows
        raise argparse.ArgumentTypeError(f"'{text}' is not between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _moment(text: str) -> datetime:
    from bot.scheduler.operator import parse_moment

    try:
        moment = parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a date-time like 2020-01-21T08:00") from exc
    _date(moment.date().isoformat())
    return moment


def _count(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (ASCII digits, not 5,000)."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"-?[0-9]{1,9}", text) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number from {low} to {high}")
        return int(text)

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sf1590", description="The SF1590 rollout bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--db", help="database URL (default: $DATABASE_URL or sqlite:///sf1590.db)")
    console.add_argument(
        "--as", dest="user", default="console-admin", help="who you are (acts as an admin in the terminal)"
    )
    console.add_argument("--today", type=_date, help="replay the plan on this date (YYYY-MM-DD)")
    console.add_argument(
        "--language", choices=LANGUAGES, help="answer in English or Danish (default: $SF1590_LANGUAGE or en)"
    )
    console.add_argument(
        "--files",
        type=Path,
        default=DEFAULT_FILES_DIR,
        help="folder for files (charts, reports, exports; default: ./sf1590-files)",
    )
    console.add_argument(
        "--board", type=int, metavar="PORT", help="also serve the live board (read-only) on 127.0.0.1:PORT"
    )
    plan = sub.add_parser("plan", help="check or show a plan file")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True)
    check = plan_sub.add_parser("check", help="validate a plan file")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--strict", action="store_true", help="fail (exit 1) when printed dates contradict the dependencies"
    )
    show = plan_sub.add_parser("show", help="print the plan as loaded")
    show.add_argument("file", type=Path, nargs="?")
    show.add_argument("--json", action="store_true")
    roster = sub.add_parser("roster", help="import a roster")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = roster_sub.add_parser("import", help="import municipalities and waves from CSV or YAML")
    imp.add_argument("file", type=Path)
    imp.add_argument("--wave", default="", help="the wave of rows without one, e.g. K91")
    imp.add_argument("--db")
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the migrations")
    up.add_argument("--db")
    copy = db_sub.add_parser("backup", help="copy the SQLite database to FILE (safe while running)")
    copy.add_argument("file", type=Path)
    copy.add_argument("--db")
    sub.add_parser(
        "serve",
        help="run the Slack and/or Teams app (HTTP on $PORT; Slack Socket Mode with $SLACK_APP_TOKEN)",
    )
    teams = sub.add_parser("teams", help="Microsoft Teams")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True)
    package = teams_sub.add_parser("package", help="write the Teams app package (zip) to upload")
    package.add_argument("--out", type=Path, default=Path("sf1590-teams.zip"))
    package.add_argument(
        "--bot-id",
        help="the Entra app (client) id (default: $CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID)",
    )
    package.add_argument("--website", help="developer https URL (default: $SF1590_TEAMS_WEBSITE)")
    package.add_argument("--version", default="1.0.0", help="app version (raise it to update)")
    admin = teams_sub.add_parser("admin", help="make a Teams user an admin (the first one)")
    admin.add_argument("aad_object_id", help="the user's Object ID (Entra admin center → Users)")
    admin.add_argument("name", help='their name, e.g. "Ada Admin"')
    admin.add_argument("--db")
    slack = sub.add_parser("slack", help="Slack")
    slack_sub = slack.add_subparsers(dest="slack_command", required=True)
    slack_admin = slack_sub.add_parser("admin", help="make a Slack user an admin (the first one)")
    slack_admin.add_argument("user_id", help="the member id (profile → ⋮ → Copy member ID)")
    slack_admin.add_argument("name", help='their name, e.g. "Ada Admin"')
    slack_admin.add_argument("--db")
    _reminder_parsers(sub)
    from bot.report_cli import add_report_parser

    add_report_parser(sub, _date)
    add_export_parser(sub, _date)
    from bot.board.cli import add_board_parser

    add_board_parser(sub, _date)
    return parser


def _reminder_parsers(sub: Any) -> None:
    scheduler = sub.add_parser("scheduler", help="post reminders: sweep the outbox every minute")
    scheduler.add_argument("--every", type=_count(1, 86_400), default=60, help="seconds between sweeps")
    reminders = sub.add_parser("reminders", help="preview or send reminders by hand")
    rem_sub = reminders.add_subparsers(dest="reminders_command", required=True)
    prev = rem_sub.add_parser("preview", help="print what would be posted, without sending")
    prev.add_argument("--wave")
    prev.add_argument("--today", type=_date, help="the first day (default: today)")
    prev.add_argument("--days", type=_count(1, 366), default=5)
    prev.add_argument("--full", action="store_true", help="every line, not only headlines")
    prev.add_argument("--db")
    send = rem_sub.add_parser("send", help="one sweep as of a moment, through the outbox")
    send.add_argument("--now", type=_moment, help="ISO date-time (Copenhagen time without an offset)")
    send.add_argument("--db")
    channel = sub.add_parser("channel", help="link a wave to a chat channel")
    channel_sub = channel.add_subparsers(dest="channel_command", required=True)
    link = channel_sub.add_parser("link", help="like `/sf1590 channel WAVE` typed in the channel")
    link.add_argument("wave")
    link.add_argument("--slack", required=True, help="the Slack channel id, e.g. C0123")
    link.add_argument("--db")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sf1590`` command."""
    logs.setup()
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if getattr(args, "db", None):
        settings = replace(settings, database_url=args.db)
    handlers = {
        "console": _console,
        "plan": _plan,
        "roster": _roster,
        "db": _db,
        "serve": _serve,
        "teams": _teams,
        "slack": _slack,
        "scheduler": _scheduler,
        "reminders": _reminders,
        "channel": _channel,
        "report": _report,
        "export": run_export,
        "board": _board,
    }
    try:
        result: int = handlers[args.command](args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say, to anyone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:  # an operator's fault is one line; a bug keeps its traceback
        line = describe(err, settings.database_url)
        if line is None:
            raise
        logging.getLogger(__name__).debug("sf1590 %s failed", args.command, exc_info=err)
        print(f"sf1590 {args.command}: {line}", file=sys.stderr)
        return 2
    return result


def _console(args: argparse.Namespace, settings: Settings) -> int:
    for handler in logging.getLogger().handlers:  # a fault mid-chat: one line, not a traceback
        handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    clock = ReplayClock(args.today) if args.today else SystemClock()
    runtime = open_runtime(settings, clock)
    loaded = seed_demo(runtime, settings)
    if args.today:
        print(f"Replaying the plan on {args.today.isoformat()} (--today).")
    if loaded:
        print(
            f"New database {settings.database_url}: loaded the {runtime.graph.plan.id} plan "
            f"and the demo roster ({loaded} municipalities, demo progress). Type `help`."
        )
    if args.board is not None:
        from bot.board.cli import console_board

        console_board(runtime, args.board, args.user, args.language or runtime.language)
    actor = Actor(args.user, args.user, is_admin=True)
    session = ConsoleSession(runtime, actor, language=args.language, files_dir=args.files)
    session.loop(sys.stdin, prompt=sys.stdin.isatty())
    return 0


def _board(args: argparse.Namespace, settings: Settings) -> int:
    from bot.board.cli import run_board

    return run_board(args, settings)


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    path = getattr(args, "file", None) or settings.plan_path
    try:
        plan = load_plan_file(path)
    except PlanError as err:
        print(str(err), file=sys.stderr)
        return 1
    if args.plan_command == "check":
        return _check(path, plan, strict=args.strict)
    if args.json:
        print(json.dumps(_jsonable(asdict(plan)), ensure_ascii=False, indent=2))
        return 0
    for diagram in plan.diagrams.values():
        tracked = "tracked" if diagram.id in plan.tracked else "not tracked"
        print(f"{diagram.id} ({diagram.key}, {diagram.integration}, {tracked}): {len(diagram.tasks)} tasks")
        for gate in diagram.gates.values():
            dates = ", ".join(f"{w} {d.isoformat()}" for w, d in gate.dates.items()) or "no dates"
            print(f"  gate {gate.id}: {dates} ({gate.confidence})")
        for task in diagram.tasks.values():
            print(f"  {task.ref:<14} {task.title_da or '(title lost)'} [{task.role}]")
    for warning in plan_warnings(plan):
        print(f"note: {warning}")
    return 0


def _check(path: Path, plan: Plan, *, strict: bool) -> int:
    tasks = sum(len(d.tasks) for d in plan.diagrams.values())
    graph = PlanGraph(plan)
    found = graph.inversions()
    verdict = "FAILED (--strict)" if strict and found else "OK"
    print(
        f"{path}: {verdict} — {len(plan.diagrams)} diagrams, {tasks} tasks, "
        f"{len(plan.edges)} dependencies, tracking {', '.join(plan.tracked)}."
    )
    for warning in plan_warnings(plan):
        print(f"  note: {warning}")
    if found:
        print(
            f"  {'error' if strict else 'warning'}: {len(found)} date inversion(s): the plan "
            "prints a task due after a task that waits on it. The bot uses the earlier, "
            "consistent date and shows the printed one."
        )
        for item in found:
            print(f"  {'error' if strict else 'warning'}: {_inversion_text(graph, item)}")
    return 1 if strict and found else 0


def _inversion_text(graph: PlanGraph, item: Inversion) -> str:
    def dated(ref: str, deadline: Deadline) -> str:
        lines = graph.milestone_lines(deadline.diagram, deadline.milestone)
        where = (
            f"line {lines[0]}"
            if len(lines) == 1
            else (f"lines {lines[0]}-{lines[-1]}" if lines else "no line")
        )
        return f"{ref} due {deadline.day.isoformat()} ({deadline.milestone}, {deadline.confidence}, {where})"

    edge = item.edge
    return (
        f"diagram {edge.before.partition('/')[0]}, wave {item.wave}: "
        f"{dated(edge.before, item.before)} is after {dated(edge.after, item.after)}, "
        f"which waits on it (dependency {edge.provenance}, {edge.confidence})"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _roster(args: argparse.Namespace, settings: Settings) -> int:
    plan = load_plan_file(settings.plan_path)
    try:
        roster = read_roster(args.file, settings.municipalities_path, plan.waves, default_wave=args.wave)
    except (RosterError, OSError) as err:
        print(f"roster import: {err}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    upgrade(engine)
    change = Change("cli", "cli", SystemClock().now())
    changed = SqlRolloutStore(engine).save_municipalities(roster, change=change)
    print(f"Imported {len(roster)} municipalities from {args.file} ({changed} new or changed).")
    return 0


def _db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "backup":
        try:
            print(backup(settings.database_url, args.file))
        except BackupError as err:
            print(f"sf1590 db backup: {err}", file=sys.stderr)
            return 2
        return 0
    upgrade(make_engine(settings.database_url))
    print(f"{settings.database_url}: schema is up to date.")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.settings import ConfigError as SlackConfigError  # SDKs load only to serve
    from bot.teams.settings import ConfigError as TeamsConfigError
    from bot.web import serve

    logging.getLogger().setLevel(logging.INFO)
    warn_if_empty_roster(make_engine(settings.database_url), logging.getLogger("sf1590.serve"))
    try:
        return serve()
    except (SlackConfigError, TeamsConfigError) as err:
        print(f"sf1590 serve: {err}", file=sys.stderr)
        return 2


def _admin(settings: Settings, platform: str, user_id: str, name: str) -> int:
    from bot.bootstrap import register_admin

    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        print(register_admin(engine, platform, user_id, name))
    except ValueError as err:
        print(f"sf1590 {platform} admin: {err}", file=sys.stderr)
        return 2
    return 0


def _slack(args: argparse.Namespace, settings: Settings) -> int:
    return _admin(settings, "slack", args.user_id, args.name)


def _teams(args: argparse.Namespace, settings: Settings) -> int:
    from bot.teams.package import write_package

    if args.teams_command == "admin":
        return _admin(settings, "teams", args.aad_object_id, args.name)
    try:
        print(write_package(args.out, bot_id=args.bot_id, website=args.website, version=args.version))
    except (ValueError, OSError) as err:
        print(f"sf1590 teams package: {err}", file=sys.stderr)
        return 2
    return 0


def _scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from bot.scheduler.operator import run_scheduler

    return run_scheduler(settings, seconds=args.every)


def _reminders(args: argparse.Namespace, settings: Settings) -> int:
    from bot.scheduler.operator import print_preview, send_once

    if args.reminders_command == "preview":
        return print_preview(settings, wave=args.wave, today=args.today, days=args.days, full=args.full)
    return send_once(settings, now=args.now)


def _channel(args: argparse.Namespace, settings: Settings) -> int:
    from bot.scheduler.operator import link_channel

    return link_channel(settings, wave=args.wave, slack=args.slack)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.report_cli import run_report

    return run_report(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
