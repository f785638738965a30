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

from sqlalchemy import Engine

from bot import logs
from bot.backup import BackupError, backup
from bot.cli_help import EXISTING, command, db_option, missing_database
from bot.clock import ReplayClock, SystemClock
from bot.console import (
    DEFAULT_FILES_DIR,
    PLATFORM,
    ConsoleSession,
    console_actor,
    history_path,
    replay_line,
)
from bot.export_cli import add_parser as add_export_parser
from bot.export_cli import run_export
from bot.faults import OneLineFormatter, describe
from bot.roster_check import warn_if_empty_roster
from bot.runtime import open_runtime, seed_demo
from bot.settings import Settings
from commands.messages import LANGUAGES, speaking, t
from commands.parse import UserError
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
DEFAULT_CONSOLE_USER = "console-admin"


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
    parser = argparse.ArgumentParser(
        prog="sf1590",
        description="The SF1590 rollout bot: the plan, the progress of every municipality, and the "
        "chat that keeps them (console, Slack, Teams). `sf1590 COMMAND --help` for one command.",
        epilog="""examples:
  sf1590 console --today 2020-03-20
  sf1590 roster import plans/municipalities.csv --wave K91 --db sqlite:///sf1590.db
  sf1590 reminders preview --wave P2 --today 2020-01-21 --days 3""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _console_parser(sub)
    plan = command(sub, "plan", "check or show a plan file", ["sf1590 plan check plans/sf1590.yaml"])
    plan_sub = plan.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    check = command(
        plan_sub,
        "check",
        "validate a plan file (exit 1 with every problem and its place)",
        ["sf1590 plan check plans/sf1590.yaml", "sf1590 plan check --strict my-plan.yaml"],
    )
    check.add_argument("file", type=Path, help="the plan file (YAML), e.g. plans/sf1590.yaml")
    check.add_argument(
        "--strict", action="store_true", help="fail (exit 1) when printed dates contradict the dependencies"
    )
    show = command(
        plan_sub,
        "show",
        "print the plan as loaded: diagrams, gates, tasks and their roles",
        ["sf1590 plan show", "sf1590 plan show plans/sf1590.yaml --json | jq '.waves'"],
    )
    show.add_argument(
        "file", type=Path, nargs="?", help="the plan file (default: $SF1590_PLAN or plans/sf1590.yaml)"
    )
    show.add_argument("--json", action="store_true", help="print the whole plan as JSON instead of a summary")
    roster = command(
        sub, "roster", "import a roster", ["sf1590 roster import roster.csv --db sqlite:///x.db"]
    )
    roster_sub = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    imp = command(
        roster_sub,
        "import",
        "import municipalities and waves from CSV or YAML",
        [
            "sf1590 roster import plans/municipalities.csv --wave K91",
            "sf1590 roster import pilots.csv   # code,wave on the first line, then 751,P2 …",
            "sf1590 roster import plans/demo-roster.yaml",
        ],
        description="Import municipalities and their waves. CSV: a header line naming the columns "
        "code[,wave,bookkeeping_supplier,debtor_supplier], then one row per municipality; or YAML "
        "like plans/demo-roster.yaml. Every bad row is reported and nothing is imported.",
    )
    imp.add_argument("file", type=Path, help="the roster: a .csv with a header line, or a .yaml")
    imp.add_argument("--wave", default="", help="the wave of rows without one, e.g. K91")
    db_option(imp, creates=True)
    db = command(sub, "db", "database schema and backups", ["sf1590 db upgrade --db sqlite:///sf1590.db"])
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = command(
        db_sub,
        "upgrade",
        "create the database, or apply the migrations it lacks; says which",
        [
            "sf1590 db upgrade --db sqlite:///sf1590.db",
            "DATABASE_URL=postgresql+psycopg://bot@db/sf1590 sf1590 db upgrade",
        ],
    )
    db_option(up, creates=True)
    copy = command(
        db_sub,
        "backup",
        "copy the SQLite database to FILE (safe while running)",
        ["sf1590 db backup /backups/sf1590-$(date +%F).db --db sqlite:///sf1590.db"],
    )
    copy.add_argument("file", type=Path, help="the new file to write (never overwritten)")
    db_option(copy)
    serve = command(
        sub,
        "serve",
        "run the Slack and/or Teams app (HTTP on $PORT; Slack Socket Mode with $SLACK_APP_TOKEN)",
        ["SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… sf1590 serve --db sqlite:///sf1590.db"],
    )
    db_option(serve, creates=True)
    _platform_parsers(sub)
    _reminder_parsers(sub)
    from bot.report_cli import add_report_parser

    add_report_parser(sub, _date)
    add_export_parser(sub, _date)
    from bot.board.cli import add_board_parser

    add_board_parser(sub, _date)
    return parser


def _console_parser(sub: Any) -> None:
    console = command(
        sub,
        "console",
        "chat with the bot in this terminal",
        [
            "sf1590 console --today 2020-03-20",
            "sf1590 console --as anna --role coordinator:aarhus --today 2020-03-20",
            "sf1590 console --as bo --role manager:P2 --channel p2-udrulning",
            "echo 'next aarhus' | sf1590 console --db sqlite:///sf1590-demo.db",
        ],
        description="Chat with the bot in this terminal, as a coordinator would in Slack or Teams. "
        "At a terminal: line editing, history kept between runs, Tab completes verbs, municipalities, "
        "waves and task codes; Ctrl-C drops the line, Ctrl-D or `exit` leaves. Piped lines run one "
        "by one. A new SQLite database gets the plan, the demo roster and demo progress.",
    )
    db_option(console, creates=True)
    console.add_argument(
        "--as",
        dest="user",
        metavar="NAME",
        help="who you are: with --role, those rights; without, the rights NAME was registered with "
        "in the console (`register @NAME …`), else an admin (default: console-admin)",
    )
    console.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="rehearse with these rights (repeatable): coordinator:MUNICIPALITY, manager:WAVE, "
        "PLAN_ROLE:MUNICIPALITY or PLAN_ROLE:all, admin; e.g. --role coordinator:aarhus",
    )
    console.add_argument(
        "--channel",
        metavar="NAME",
        help="type in this console channel, e.g. p2-udrulning: `channel P2` links it to a wave, "
        "`remind` sets its reminders",
    )
    console.add_argument("--today", type=_date, help="replay the plan on this date (YYYY-MM-DD)")
    console.add_argument(
        "--language", choices=LANGUAGES, help="answer in English or Danish (default: $SF1590_LANGUAGE or en)"
    )
    console.add_argument(
        "--files",
        type=Path,
        default=DEFAULT_FILES_DIR,
        metavar="DIR",
        help="folder for files (charts, reports, exports; default: ./sf1590-files)",
    )
    console.add_argument(
        "--history",
        type=Path,
        metavar="FILE",
        help="where the lines you type are kept (default: $SF1590_HISTORY or "
        "$XDG_STATE_HOME/sf1590/history, i.e. ~/.local/state/sf1590/history)",
    )
    console.add_argument("--no-history", action="store_true", help="keep no history of the lines you type")
    console.add_argument(
        "--board", type=int, metavar="PORT", help="also serve the live board (read-only) on 127.0.0.1:PORT"
    )


def _platform_parsers(sub: Any) -> None:
    teams = command(
        sub, "teams", "Microsoft Teams: the app package, the first admin", ["sf1590 teams package"]
    )
    teams_sub = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    package = command(
        teams_sub,
        "package",
        "write the Teams app package (zip) to upload",
        ["sf1590 teams package --out sf1590-teams.zip --website https://example.org --version 1.0.1"],
    )
    package.add_argument(
        "--out",
        type=Path,
        default=Path("sf1590-teams.zip"),
        help="the zip to write (default: sf1590-teams.zip)",
    )
    package.add_argument(
        "--bot-id",
        help="the Entra app (client) id (default: $CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID)",
    )
    package.add_argument("--website", help="developer https URL (default: $SF1590_TEAMS_WEBSITE)")
    package.add_argument("--version", default="1.0.0", help="app version (raise it to update)")
    admin = command(
        teams_sub,
        "admin",
        "make a Teams user an admin (the first one)",
        ['sf1590 teams admin 8f2c1d4e-0000-4000-8000-000000000001 "Ada Admin" --db sqlite:///sf1590.db'],
    )
    admin.add_argument("aad_object_id", help="the user's Object ID (Entra admin center → Users)")
    admin.add_argument("name", help='their name, e.g. "Ada Admin"')
    db_option(admin, creates=True)
    slack = command(sub, "slack", "Slack: the first admin", ['sf1590 slack admin U012AB3CD "Ada Admin"'])
    slack_sub = slack.add_subparsers(dest="slack_command", required=True, metavar="ACTION")
    slack_admin = command(
        slack_sub,
        "admin",
        "make a Slack user an admin (the first one)",
        ['sf1590 slack admin U012AB3CD "Ada Admin" --db sqlite:///sf1590.db'],
    )
    slack_admin.add_argument("user_id", help="the member id (profile → ⋮ → Copy member ID)")
    slack_admin.add_argument("name", help='their name, e.g. "Ada Admin"')
    db_option(slack_admin, creates=True)


def _slack_channel(text: str) -> str:
    """An argparse type: a Slack channel id (C0123ABCD), not its name (#p2-udrulning)."""
    if re.fullmatch(r"[CGD][A-Z0-9]{2,20}", text):
        return text
    raise argparse.ArgumentTypeError(
        f"'{text[:40]}' is not a Slack channel id. Slack needs the id, like C0123ABCD: open the "
        "channel, click its name at the top, and copy the Channel ID at the bottom of the About tab "
        "(or type `/sf1590 channel P2` in the channel itself)"
    )


def _reminder_parsers(sub: Any) -> None:
    scheduler = command(
        sub,
        "scheduler",
        "post reminders: sweep the outbox every minute",
        ["SLACK_BOT_TOKEN=xoxb-… sf1590 scheduler --db sqlite:///sf1590.db"],
    )
    scheduler.add_argument(
        "--every", type=_count(1, 86_400), default=60, help="seconds between sweeps (default: 60)"
    )
    db_option(scheduler)
    reminders = command(
        sub, "reminders", "preview or send reminders by hand", ["sf1590 reminders preview --wave P2"]
    )
    rem_sub = reminders.add_subparsers(dest="reminders_command", required=True, metavar="ACTION")
    prev = command(
        rem_sub,
        "preview",
        "print what would be posted, without sending",
        ["sf1590 reminders preview --wave P2 --today 2020-01-21 --days 3", "sf1590 reminders preview --full"],
    )
    prev.add_argument("--wave", help="only this wave's channel, e.g. P2 (default: every wave)")
    prev.add_argument("--today", type=_date, help="the first day (default: today)")
    prev.add_argument(
        "--days", type=_count(1, 366), default=5, help="how many days to preview, 1 to 366 (default: 5)"
    )
    prev.add_argument("--full", action="store_true", help="every line, not only headlines")
    db_option(prev)
    send = command(
        rem_sub,
        "send",
        "one sweep as of a moment, through the outbox",
        ["sf1590 reminders send --now 2020-01-21T08:00"],
    )
    send.add_argument("--now", type=_moment, help="ISO date-time (Copenhagen time without an offset)")
    db_option(send)
    channel = command(
        sub, "channel", "link a wave to a chat channel", ["sf1590 channel link P2 --slack C0123ABCD"]
    )
    channel_sub = channel.add_subparsers(dest="channel_command", required=True, metavar="ACTION")
    link = command(
        channel_sub,
        "link",
        "like `/sf1590 channel WAVE` typed in the channel",
        ["sf1590 channel link P2 --slack C0123ABCD --db sqlite:///sf1590.db"],
    )
    link.add_argument("wave", help="the wave whose reminders go there, e.g. P2")
    link.add_argument(
        "--slack",
        required=True,
        type=_slack_channel,
        metavar="CHANNEL_ID",
        help="the Slack channel id, e.g. C0123ABCD (the channel's name → About → Channel ID; not #name)",
    )
    db_option(link)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sf1590`` command."""
    logs.setup()
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if getattr(args, "db", None):
        settings = replace(settings, database_url=args.db)
    missing = missing_database(settings.database_url) if getattr(args, "db_use", None) == EXISTING else None
    if missing is not None:  # never a new, empty database the command was not asked to make
        action = [v for k, v in vars(args).items() if k.endswith("_command") and isinstance(v, str)]
        name = " ".join([args.command, *action])
        print(
            f"sf1590 {name}: there is no database at {missing} ({settings.database_url}). "
            "Give the one to use with --db URL or $DATABASE_URL; `sf1590 db upgrade --db URL` "
            "creates a new one.",
            file=sys.stderr,
        )
        return 2
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
        with speaking(runtime.language_for(args.language)):
            print(replay_line(runtime.graph, args.today))
    if loaded:
        print(
            f"New database {settings.database_url}: loaded the {runtime.graph.plan.id} plan "
            f"and the demo roster ({loaded} municipalities, demo progress). Type `help`."
        )
    with speaking(runtime.language_for(args.language)):
        try:
            actor, who = console_actor(runtime, args.user or DEFAULT_CONSOLE_USER, args.role)
        except UserError as err:
            print(f"sf1590 console: --role: {err.message} {err.hint}".rstrip(), file=sys.stderr)
            return 2
        if args.user or args.role:
            print(who)
        if args.channel:
            wave = runtime.people.channel_wave(PLATFORM, args.channel)
            print(
                t(
                    "console.in_channel",
                    channel=args.channel,
                    wave=t("console.channel_wave", wave=wave) if wave else "",
                )
            )
    if args.board is not None:
        from bot.board.cli import console_board

        console_board(runtime, args.board, actor.handle, args.language or runtime.language)
    session = ConsoleSession(
        runtime, actor, language=args.language, files_dir=args.files, channel=args.channel
    )
    if sys.stdin.isatty() and sys.stdout.isatty():
        session.interactive(None if args.no_history else (args.history or history_path()))
    else:
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
        problems = str(err).splitlines()
        if len(problems) > 1:
            print(f"roster import: {len(problems)} problems, nothing imported:", file=sys.stderr)
            print("\n".join(f"  {line}" for line in problems), file=sys.stderr)
        else:
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
    new_file = missing_database(settings.database_url) is not None
    engine = make_engine(settings.database_url)
    before = _revision(engine)
    upgrade(engine)
    after = _revision(engine)
    if before is None:
        what = "created a new database" if new_file else "created the schema"
        print(f"{settings.database_url}: {what} at revision {after}; schema is up to date.")
    elif before != after:
        print(f"{settings.database_url}: upgraded from revision {before} to {after}; schema is up to date.")
    else:
        print(f"{settings.database_url}: already at revision {after}, nothing to do; schema is up to date.")
    return 0


def _revision(engine: Engine) -> str | None:
    """The database's schema revision, or None for a database without one (new)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(heads) or None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.settings import ConfigError as SlackConfigError  # SDKs load only to serve
    from bot.teams.settings import ConfigError as TeamsConfigError
    from bot.web import serve

    logging.getLogger().setLevel(logging.INFO)
    warn_if_empty_roster(make_engine(settings.database_url), logging.getLogger("sf1590.serve"))
    try:
        return serve({**os.environ, "DATABASE_URL": settings.database_url})  # --db wins over the env
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
