"""Log set-up: plain lines, or with ``SF1590_LOG_FORMAT=json`` one JSON object per line.

A JSON event has time (UTC, ISO 8601), level, logger and message, the command's reference when
there is one (``extra={"reference": …}``, as the command core logs an internal error), and the
traceback as one string.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["PLAIN", "JsonFormatter", "json_logs", "setup"]

PLAIN = "%(levelname)s %(name)s: %(message)s"
FORMAT_VAR = "SF1590_LOG_FORMAT"


class JsonFormatter(logging.Formatter):
    """One event per line, as JSON."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        reference = getattr(record, "reference", None)
        if reference:
            event["reference"] = reference
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def json_logs(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(FORMAT_VAR, "").strip().lower() == "json"


def setup(env: Mapping[str, str] | None = None) -> None:
    """Configure the root logger once, as the environment asks."""
    logging.basicConfig(level=logging.WARNING, format=PLAIN)
    if json_logs(env):
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
