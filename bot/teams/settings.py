"""Teams settings from the environment, read once at start-up; secrets never appear in a repr.

The app registration uses the Agents SDK's own variable names
(``CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID`` …), so the SDK's documentation applies.
Anonymous access (no token checks at all) exists only for local testing, and only when
``SF1590_TEAMS_ANONYMOUS=1`` says so explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ANONYMOUS_VAR",
    "ANY_SERVICE_URL_VAR",
    "APP_ID_VAR",
    "SECRET_VAR",
    "TENANT_VAR",
    "ConfigError",
    "TeamsSettings",
]

_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
APP_ID_VAR = _PREFIX + "CLIENTID"
SECRET_VAR = _PREFIX + "CLIENTSECRET"
TENANT_VAR = _PREFIX + "TENANTID"
ANONYMOUS_VAR = "SF1590_TEAMS_ANONYMOUS"
ANY_SERVICE_URL_VAR = "SF1590_TEAMS_ANY_SERVICE_URL"
_WHERE = "(Azure portal → the bot's Entra app registration; see `sf1590 teams package --help`)"
_TRUE = ("1", "true", "yes", "on")


class ConfigError(Exception):
    """A missing or bad setting: the message names the variable."""


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str = ""  # the Entra app (client) id: the bot id in the Teams manifest
    client_secret: str = field(default="", repr=False)
    tenant_id: str = ""
    anonymous: bool = False  # accept unauthenticated requests (local testing only)
    # Answer only to Microsoft's https service URLs (botframework.com, smba.trafficmanager.net…);
    # off for local testing (anonymous mode, or SF1590_TEAMS_ANY_SERVICE_URL=1).
    check_service_url: bool = True
    port: int = 3978
    host: str = "0.0.0.0"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TeamsSettings | None:
        """The settings, or None when Teams is not configured at all."""
        env = os.environ if env is None else env
        anonymous = env.get(ANONYMOUS_VAR, "").strip().lower() in _TRUE
        app_id = env.get(APP_ID_VAR, "").strip()
        if not app_id and not anonymous:
            return None
        if app_id and not anonymous and not env.get(SECRET_VAR) and not env.get(_PREFIX + "AUTHTYPE"):
            raise ConfigError(f"Missing environment variable: {SECRET_VAR} {_WHERE}.")
        try:
            port = int(env.get("PORT") or 3978)
        except ValueError as exc:
            raise ConfigError(f"PORT must be a number, not {env.get('PORT')!r}.") from exc
        any_url = env.get(ANY_SERVICE_URL_VAR, "").strip().lower() in _TRUE
        return cls(
            app_id=app_id,
            client_secret=env.get(SECRET_VAR, ""),
            tenant_id=env.get(TENANT_VAR, ""),
            anonymous=anonymous,
            check_service_url=not (anonymous or any_url),
            port=port,
        )
