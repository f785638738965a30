"""POST /api/messages: the Teams route, guarded by the Agents SDK's JWT check (this route only:
the SDK's app-wide middleware would demand a Microsoft token on Slack's route too).

The SDK ships request adapters for aiohttp and FastAPI; ours is the same few lines for starlette,
on the SDK's own ``HttpAdapterBase`` (activity parsing, turn processing, invoke responses).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity, ActivityEventNames
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    ClaimsIdentity,
    HttpAdapterBase,
    JwtTokenValidator,
    MessageFactory,
    OutboundHostValidator,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.http import HttpResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.files import FileLinks
from bot.runtime import Runtime, pick_language
from bot.teams.app import TeamsBot, apology, build_agent
from bot.teams.settings import ANONYMOUS_VAR, TeamsSettings
from storage.conversations import ConversationRefStore

__all__ = [
    "ANONYMOUS_WARNING",
    "StarletteAdapter",
    "TeamsService",
    "auth_configuration",
    "authorize",
    "build_adapter",
    "build_service",
    "routes",
]

log = logging.getLogger(__name__)

ANONYMOUS_WARNING = (
    f"!!! Teams: {ANONYMOUS_VAR} is set: POST /api/messages accepts requests "
    "WITHOUT any token check. Use this only for local testing, never in "
    "production. !!!"
)


class _RequestAdapter:
    """A starlette request as the SDK's ``HttpRequestProtocol``."""

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def headers(self) -> Any:
        return self._request.headers

    async def json(self) -> Any:
        return await self._request.json()

    def get_claims_identity(self) -> ClaimsIdentity | None:
        return getattr(self._request.state, "claims_identity", None)

    def get_path_param(self, name: str) -> str:
        return str(self._request.path_params.get(name, ""))


class StarletteAdapter(HttpAdapterBase):
    """The SDK's cloud adapter, for a starlette request."""

    async def process(self, request: Request, agent: AgentApplication[TurnState]) -> Response:
        try:  # the SDK validates only after parsing, and a list or `null` escapes as a 500
            Activity.model_validate(await request.json())
        except Exception:
            return JSONResponse({"error": "The body is not a Bot Framework activity."}, status_code=400)
        result = await self.process_request(_RequestAdapter(request), agent)
        return _response(result)


def _response(result: HttpResponse) -> Response:
    if result.body is not None:
        return JSONResponse(result.body, status_code=result.status_code, headers=result.headers)
    return Response(status_code=result.status_code, headers=result.headers)


def auth_configuration(settings: TeamsSettings) -> AgentAuthConfiguration:
    return AgentAuthConfiguration(
        client_id=settings.app_id or None,
        tenant_id=settings.tenant_id or None,
        client_secret=settings.client_secret or None,
        anonymous_allowed=settings.anonymous,
    )


@dataclass
class TeamsService:
    """Everything the Teams route and the Teams notifier share."""

    settings: TeamsSettings
    auth: AgentAuthConfiguration
    adapter: StarletteAdapter
    agent: AgentApplication[TurnState]
    bot: TeamsBot


def build_service(
    runtime: Runtime, refs: ConversationRefStore, settings: TeamsSettings, links: FileLinks | None = None
) -> TeamsService:
    """Wire the SDK objects for these settings (they are only made here, never at import);
    ``links`` publish the replies' files (charts, reports, exports) under signed links."""
    auth, connections, adapter = build_adapter(settings, language=runtime.language)
    bot = TeamsBot(runtime, refs, links)
    if settings.anonymous:
        log.warning(ANONYMOUS_WARNING)
    return TeamsService(settings, auth, adapter, build_agent(bot, connections), bot)


def build_adapter(
    settings: TeamsSettings, *, language: str = "en"
) -> tuple[AgentAuthConfiguration, MsalConnectionManager, StarletteAdapter]:
    """The SDK's auth configuration, connections (MSAL) and adapter for these settings;
    ``language`` is the one its last-resort apology is in when the activity has no locale."""
    auth = auth_configuration(settings)
    connections = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": auth})
    adapter = StarletteAdapter(
        connection_manager=connections,
        host_validator=OutboundHostValidator(enabled=settings.check_service_url and not settings.anonymous),
    )

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        activity = context.activity
        if activity is not None and activity.name == ActivityEventNames.continue_conversation:
            # A proactive post (the scheduler's): the notifier turns the error into a DeliveryError
            # and the outbox retries; an apology posted here would go out in the reminder's place.
            raise error
        # The SDK's default handler would send the exception's text to the user.
        ref = uuid.uuid4().hex[:8]
        log.error("teams turn failed [ref %s]: %s: %s", ref, type(error).__name__, error, exc_info=error)
        spoken = pick_language(context.activity.locale if context.activity else None, language)
        await context.send_activity(MessageFactory.text(apology(ref, spoken)))

    adapter.on_turn_error = on_turn_error
    return auth, connections, adapter


async def authorize(header: str | None, auth: AgentAuthConfiguration) -> ClaimsIdentity | None:
    """The caller's identity from ``Authorization: Bearer <JWT>``, checked with the SDK's public
    ``JwtTokenValidator`` (Bot Framework's signing keys, audience, expiry, tenant binding);
    None when the request must be refused. No header is accepted only in anonymous mode."""
    validator = JwtTokenValidator(auth)
    if not header:
        return validator.get_anonymous_claims() if auth.ANONYMOUS_ALLOWED else None
    scheme, _, jwt = header.partition(" ")
    if scheme.lower() != "bearer" or not jwt or " " in jwt:
        return None
    try:
        return await validator.validate_token(jwt)
    except Exception as err:  # PyJWTError, ValueError, and malformed headers (no kid: KeyError)
        log.warning("teams: a token was refused (%s)", type(err).__name__)
        return None


def routes(service: TeamsService) -> list[BaseRoute]:
    """``POST /api/messages``: the SDK's JWT check, then the SDK's turn processing."""

    async def messages(request: Request) -> Response:
        identity = await authorize(request.headers.get("Authorization"), service.auth)
        if identity is None:
            return JSONResponse({"error": "Invalid token"}, status_code=401)
        request.state.claims_identity = identity
        return await service.adapter.process(request, service.agent)

    return [Route("/api/messages", messages, methods=["POST"])]
