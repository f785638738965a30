"""Token checks on POST /api/messages: on by default, anonymous only when asked for, loudly."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.runtime import Runtime
from bot.teams.server import ANONYMOUS_WARNING, routes
from bot.teams.settings import (
    ANONYMOUS_VAR,
    ANY_SERVICE_URL_VAR,
    APP_ID_VAR,
    SECRET_VAR,
    ConfigError,
    TeamsSettings,
)
from bot.web import web_app
from tests.bot.teams.conftest import (
    APP_ID,
    JWKS_URL,
    SUPPLIER,
    TeamsClient,
    card_text,
    make_service,
    serve,
    token,
)
from tests.bot.teams.fake_connector import FakeConnector


def _next(teams: TeamsClient, headers: dict[str, str] | None) -> httpx.Response:
    activity = teams.activity("message", SUPPLIER, text="<at>sf1590</at> next aarhus")
    return teams.post(activity, headers=headers)


def test_a_signed_token_is_accepted_and_checked_against_bot_frameworks_keys(
    teams: TeamsClient, far_end: list[str]
) -> None:
    assert _next(teams, None).status_code == 202
    assert far_end == [JWKS_URL]
    assert "A/TS213" in card_text(teams.card(1))
    assert teams.connector.calls[0].authorization == "Bearer fake-outbound-token"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no token at all
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": f"Bearer {token(audience='someone-else')}"},
        {"Authorization": f"Bearer {token(expires_in=-3600)}"},
        {
            "Authorization": "Bearer "
            + token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
        },
    ],
    ids=["missing", "garbage", "basic", "wrong-audience", "expired", "wrong-key"],
)
def test_unauthenticated_requests_get_401_and_nothing_runs(
    teams: TeamsClient, headers: dict[str, str]
) -> None:
    response = _next(teams, headers)
    assert response.status_code == 401
    assert teams.connector.calls == []


def test_slacks_route_is_not_guarded_by_the_teams_token_check(teams: TeamsClient) -> None:
    assert teams.http.get(f"{teams.base}/healthz").status_code == 200


def test_settings_need_the_app_id_or_an_explicit_anonymous_switch() -> None:
    assert TeamsSettings.from_env({}) is None
    with pytest.raises(ConfigError, match="CLIENTSECRET"):
        TeamsSettings.from_env({APP_ID_VAR: APP_ID})
    assert (
        TeamsSettings.from_env(
            {
                APP_ID_VAR: APP_ID,
                ANONYMOUS_VAR: "0",
                "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s",
            }
        ).anonymous
        is False
    )  # type: ignore[union-attr]
    anonymous = TeamsSettings.from_env({ANONYMOUS_VAR: "1"})
    assert anonymous is not None and anonymous.anonymous and not anonymous.app_id
    assert "test-secret" not in repr(TeamsSettings(APP_ID, "test-secret"))


@pytest.fixture
def anonymous(
    demo_runtime: Runtime, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> Iterator[TeamsClient]:
    with caplog.at_level(logging.WARNING):
        service = make_service(demo_runtime, TeamsSettings(anonymous=True))
    with httpx.Client(timeout=20) as http:
        for base in serve(web_app(routes(service))):
            yield TeamsClient(base, connector, http, auth=False)


def test_anonymous_mode_says_so_loudly_and_accepts_unsigned_requests(
    anonymous: TeamsClient, caplog: pytest.LogCaptureFixture
) -> None:
    logged = [r.getMessage() for r in caplog.get_records("setup") if r.levelno >= logging.WARNING]
    assert ANONYMOUS_WARNING in logged and "WITHOUT any token check" in ANONYMOUS_WARNING
    assert _next(anonymous, {}).status_code == 202
    anonymous.card(1)
    assert anonymous.connector.calls[0].authorization == ""  # no outbound token either


def test_by_default_only_microsofts_service_urls_are_answered(
    demo_runtime: Runtime, connector: FakeConnector
) -> None:
    """A valid token, but a serviceUrl on 127.0.0.1: the bot would post there, so it refuses."""
    settings = TeamsSettings.from_env({APP_ID_VAR: APP_ID, SECRET_VAR: "test-secret"})
    assert settings is not None and settings.check_service_url
    service = make_service(demo_runtime, settings)
    with httpx.Client(timeout=20) as http:
        for base in serve(web_app(routes(service))):
            client = TeamsClient(base, connector, http)
            assert client.message("next aarhus", SUPPLIER).status_code == 401
    assert connector.calls == []
    local = TeamsSettings.from_env({APP_ID_VAR: APP_ID, SECRET_VAR: "s", ANY_SERVICE_URL_VAR: "1"})
    assert local is not None and not local.check_service_url


def _unsigned(header: dict[str, str], claims: dict[str, object]) -> str:
    """A hand-made JWT: any header, any claims, no signature at all."""
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _claims(**more: object) -> dict[str, object]:
    import time

    now = int(time.time())
    return {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **more,
    }


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + _unsigned({"alg": "none", "typ": "JWT", "kid": "sf1590-test-key"}, _claims()),
        "Bearer " + _unsigned({"alg": "none"}, _claims()),
        "Bearer " + token().replace(".", "", 1),  # the header's end lost: not three parts
        "Bearer " + _unsigned({"alg": "RS256", "typ": "JWT"}, _claims()),  # no kid
        "Bearer " + _unsigned({"alg": "HS256", "kid": "sf1590-test-key"}, _claims()),
        "Bearer " + _unsigned({"alg": "RS256", "kid": "sf1590-test-key"}, _claims(iss="https://evil")),
        "Bearer " + _unsigned({"alg": "RS256", "kid": 7}, _claims()),
        "Bearer " + _unsigned({}, {}),
        "Bearer a.b.c",
        "Bearer ....",
        "Bearer " + "x" * 20_000,
        "Bearer",
        "Bearer x y",
        "Token " + token(),
    ],
    ids=[
        "alg-none-kid",
        "alg-none",
        "two-parts",
        "no-kid",
        "hs256",
        "wrong-issuer",
        "kid-number",
        "empty-json",
        "abc",
        "dots",
        "huge",
        "bare-bearer",
        "three-parts",
        "other-scheme",
    ],
)
def test_malformed_tokens_get_401_never_500(teams: TeamsClient, authorization: str) -> None:
    response = _next(teams, {"Authorization": authorization})
    assert response.status_code == 401, (response.status_code, response.text)
    assert "Traceback" not in response.text
    assert teams.connector.calls == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"\xff\xfe", b"null", b'{"type": 5}'])
def test_a_valid_token_with_a_malformed_body_gets_4xx_never_500(teams: TeamsClient, body: bytes) -> None:
    response = teams.http.post(
        f"{teams.base}/api/messages",
        content=body,
        headers={"Authorization": f"Bearer {token()}", "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text
    assert teams.connector.calls == []
