"""The real Teams route served by uvicorn on 127.0.0.1, talking to a fake connector service.

Authentication is ON: requests carry RS256 tokens signed by a test key. Only the far end is
replaced: the SDK's fetch of Bot Framework's signing keys (JWKS) answers with the test key, and
MSAL's token request to Entra ID (for the bot's outbound calls) answers with a fixed token.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWK, PyJWKClientError
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import JwtTokenValidator

from bot.runtime import Runtime
from bot.teams.server import TeamsService, build_service, routes
from bot.teams.settings import TeamsSettings
from bot.web import web_app
from storage.conversations import SqlConversationRefStore
from storage.people import Person, SqlPeopleStore
from storage.ports import Change
from tests.asgi_server import serve
from tests.bot.teams.fake_connector import FakeConnector

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "99999999-8888-7777-6666-555555555555"
BOT_ID = f"28:{APP_ID}"
ISSUER = "https://api.botframework.com"
JWKS_URL = "https://login.botframework.com/v1/.well-known/keys"
KID = "sf1590-test-key"
OUTBOUND_TOKEN = "fake-outbound-token"
AARHUS = 751

SUPPLIER = "aad-0000-supplier"  # bookkeeping supplier for Aarhus: owns A/TS213 Aarhus
COORDINATOR = "aad-0000-coordinator"  # coordinator of Aarhus, not the owner of A/TS213
ADMIN = "aad-0000-admin"
STRANGER = "aad-0000-nobody"

CHANNEL = "19:rollout-p2@thread.tacv2"
TEAM = "19:team-sf1590@thread.tacv2"

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_JWK = PyJWK.from_dict(
    {
        **jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key(), as_dict=True),
        "kid": KID,
        "alg": "RS256",
        "use": "sig",
    }
)


def token(*, audience: str = APP_ID, expires_in: int = 600, service_url: str = "", key: Any = _KEY) -> str:
    """A Bot Framework channel token, as Teams' connector sends it, signed by the test key."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + expires_in,
        "serviceurl": service_url,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(autouse=True)
def far_end(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Bot Framework's JWKS and Entra's token endpoint, answered locally; records JWKS URIs."""
    asked: list[str] = []

    async def signing_key(jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        asked.append(jwks_uri)
        kid = header["kid"]  # indexed as the SDK does: a token without a kid raises KeyError
        if kid != KID:  # what PyJWKClient raises for a key the JWKS does not have
            raise PyJWKClientError(f'Unable to find a signing key that matches: "{kid}"')
        return _JWK

    async def access_token(
        self: Any, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        return OUTBOUND_TOKEN

    monkeypatch.setattr(JwtTokenValidator._jwk_client_manager, "get_signing_key", signing_key)
    monkeypatch.setattr(MsalAuth, "get_access_token", access_token)
    return asked


@dataclass
class TeamsClient:
    """Sends what Teams sends: messages, card invokes and conversation updates, with tokens."""

    base: str
    connector: FakeConnector
    http: httpx.Client
    auth: bool = True
    sent: list[dict[str, Any]] = field(default_factory=list)

    def activity(
        self, kind: str, user: str, *, conversation_type: str = "channel", **more: Any
    ) -> dict[str, Any]:
        number = len(self.sent) + 1
        if conversation_type == "channel":
            conversation = {
                "id": f"{CHANNEL};messageid=170000000{number}",
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": TENANT,
            }
            channel_data = {"channel": {"id": CHANNEL}, "team": {"id": TEAM}, "tenant": {"id": TENANT}}
        elif conversation_type == "groupChat":
            conversation = {
                "id": "19:group-chat-1@thread.v2",
                "isGroup": True,
                "conversationType": "groupChat",
                "tenantId": TENANT,
            }
            channel_data = {"tenant": {"id": TENANT}}
        else:
            conversation = {"id": f"a:personal-{user}", "conversationType": "personal", "tenantId": TENANT}
            channel_data = {"tenant": {"id": TENANT}}
        return {
            "type": kind,
            "id": f"1700000000{number:03d}",
            "channelId": "msteams",
            "serviceUrl": self.connector.url,
            "timestamp": datetime.now(UTC).isoformat(),
            "locale": "en-US",
            "from": {"id": f"29:{user}", "name": user, "aadObjectId": user},
            "recipient": {"id": BOT_ID, "name": "sf1590"},
            "conversation": conversation,
            "channelData": channel_data,
            **more,
        }

    def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        self.sent.append(activity)
        if headers is None:
            headers = (
                {"Authorization": f"Bearer {token(service_url=self.connector.url)}"} if self.auth else {}
            )
        return self.http.post(f"{self.base}/api/messages", json=activity, headers=headers)

    def message(
        self, text: str, user: str, *, mention: bool = True, conversation_type: str = "channel"
    ) -> httpx.Response:
        entities: list[dict[str, Any]] = []
        if mention:
            text = f"<at>sf1590</at> {text}"
            entities = [
                {"type": "mention", "text": "<at>sf1590</at>", "mentioned": {"id": BOT_ID, "name": "sf1590"}}
            ]
        return self.post(
            self.activity(
                "message",
                user,
                conversation_type=conversation_type,
                text=text,
                entities=entities,
                textFormat="plain",
            )
        )

    def execute(
        self,
        action: dict[str, Any],
        user: str,
        *,
        reply_to: str = "act-1",
        inputs: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Click an Action.Execute button: Teams sends an ``adaptiveCard/action`` invoke."""
        data = {**action.get("data", {}), **(inputs or {})}
        return self.post(
            self.activity(
                "invoke",
                user,
                name="adaptiveCard/action",
                replyToId=reply_to,
                value={
                    "action": {
                        "type": "Action.Execute",
                        "id": str(uuid.uuid4()),
                        "verb": action["verb"],
                        "data": data,
                    },
                    "trigger": "manual",
                },
            )
        )

    def submit(self, data: dict[str, Any], user: str, *, reply_to: str = "act-1") -> httpx.Response:
        """An Action.Submit click: a message with ``value`` and no text."""
        return self.post(self.activity("message", user, replyToId=reply_to, value=data))

    def card(self, number: int = 1) -> dict[str, Any]:
        """The Adaptive Card of the ``number``-th message at the connector (1-based), waiting."""
        body = self.connector.wait_for(number)[number - 1].body
        return card_of(body)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    attachments = activity.get("attachments") or []
    assert attachments, f"no card in {activity}"
    assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    content: dict[str, Any] = attachments[0]["content"]
    return content


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a card, including those inside ActionSets and ShowCards."""
    return [n for n in _nodes(card) if str(n.get("type", "")).startswith("Action.")]


def raw_texts(card: dict[str, Any]) -> list[str]:
    """The markdown of every TextBlock, as sent (escapes included)."""
    return [str(n.get("text", "")) for n in _nodes(card) if n.get("type") == "TextBlock"]


def card_text(card: dict[str, Any]) -> str:
    """The card's text as a reader sees it (markdown backslash escapes resolved)."""
    return re.sub(r"\\(.)", r"\1", "\n".join(raw_texts(card)))


def register_teams_people(people: SqlPeopleStore) -> None:
    change = Change("test", "test", datetime(2020, 1, 21, 8, tzinfo=UTC))
    people.register(
        "teams",
        SUPPLIER,
        Person(
            "bo", "Bo Supplier", roles=frozenset({"bookkeeping_supplier"}), municipalities=frozenset({AARHUS})
        ),
        change=change,
    )
    people.register(
        "teams", COORDINATOR, Person("cia", "Cia Coordinator", coordinates=frozenset({AARHUS})), change=change
    )
    people.register("teams", ADMIN, Person("ada", "Ada Admin", is_admin=True), change=change)


# The fake connector is on http://127.0.0.1, which production refuses (see test_auth).
AUTH_SETTINGS = TeamsSettings(
    app_id=APP_ID, client_secret="test-secret", tenant_id=TENANT, check_service_url=False
)


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    fake = FakeConnector().start()
    yield fake
    fake.stop()


@pytest.fixture
def people(demo_runtime: Runtime) -> SqlPeopleStore:
    store = SqlPeopleStore(demo_runtime.engine)
    register_teams_people(store)
    return store


def make_service(runtime: Runtime, settings: TeamsSettings = AUTH_SETTINGS) -> TeamsService:
    return build_service(runtime, SqlConversationRefStore(runtime.engine), settings)


@pytest.fixture
def service(demo_runtime: Runtime, people: SqlPeopleStore) -> TeamsService:
    return make_service(demo_runtime)


@pytest.fixture
def teams(service: TeamsService, connector: FakeConnector) -> Iterator[TeamsClient]:
    with httpx.Client(timeout=20) as http:
        for base in serve(web_app(routes(service))):
            yield TeamsClient(base, connector, http)
