"""Slack settings from the environment, read once at start-up; tokens never appear in a repr."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["DEFAULT_API_URL", "ConfigError", "SlackSettings"]

DEFAULT_API_URL = "https://slack.com/api/"
_WHERE = "(Slack app settings → Basic Information / OAuth & Permissions; see the README, Slack)"


class ConfigError(Exception):
    """A missing or bad setting: the message names the variable."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str | None = field(default=None, repr=False)  # set: Socket Mode
    api_url: str = DEFAULT_API_URL
    port: int = 3000
    host: str = "0.0.0.0"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackSettings:
        env = os.environ if env is None else env
        app_token = env.get("SLACK_APP_TOKEN") or None
        needed = ["SLACK_BOT_TOKEN"] + ([] if app_token else ["SLACK_SIGNING_SECRET"])
        missing = [name for name in needed if not env.get(name)]
        if missing:
            raise ConfigError(f"Missing environment variable(s): {', '.join(missing)} {_WHERE}.")
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…) with connections:write.")
        api_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
        try:
            port = int(env.get("PORT") or 3000)
        except ValueError as exc:
            raise ConfigError(f"PORT must be a number, not {env.get('PORT')!r}.") from exc
        return cls(
            bot_token=env["SLACK_BOT_TOKEN"],
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            app_token=app_token,
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            port=port,
        )
