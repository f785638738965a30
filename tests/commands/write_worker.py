"""A bot process for the tests: runs one command against a database and can pause mid-write.

    python -m tests.commands.write_worker --db URL [--schema S] [--pause-at N] TEXT

With ``--pause-at N`` it prints ``writing N`` and waits (to be killed) just after the N-th
INSERT or UPDATE of the command's transaction; otherwise it prints ``reply: <headline>``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import date
from typing import Any

from sqlalchemy import event

from bot.clock import FixedClock
from bot.runtime import open_runtime
from bot.settings import Settings
from commands.context import Actor, Invocation
from storage.engine import make_engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--pause-at", type=int, default=0)
    parser.add_argument("text")
    args = parser.parse_args()
    engine = make_engine(args.db, schema=args.schema)
    writes = [0]

    def after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes[0] += 1
            if writes[0] == args.pause_at:
                print(f"writing {writes[0]}", flush=True)
                threading.Event().wait()  # the test kills us here, in the middle of the transaction

    event.listen(engine, "after_cursor_execute", after)
    runtime = open_runtime(
        Settings(database_url=args.db), FixedClock.at(date(2020, 1, 21)), migrate=False, engine=engine
    )
    reply = runtime.run(Invocation(args.text, Actor("anna", "Anna", is_admin=True), "console"))
    print(f"reply: {reply.headline}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
