"""The Teams channel: POST /api/messages through our own handler, the bot, and its sender."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from jwt.exceptions import DecodeError

from bot.config import Settings
from bot.service import CaseService
from bot.service.files import CaseFiles
from handlers.teams.activity import TeamsBot
from handlers.teams.evidence import EvidenceTaker
from handlers.teams.people import People
from handlers.teams.sender import TeamsSender

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
Turn = Callable[[TurnContext], Awaitable[None]]


@dataclass(frozen=True)
class AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


class KeptConnectors(ConnectorFactory):
    """Hands out one connector client per service URL and audience, made once.

    botbuilder makes a new client for every activity, and msrest's retry set-up makes that
    4-7 ms of CPU each time: most of a Teams invoke. A client holds only its credentials
    (which renew their own token) and its settings, so one serves every turn.
    """

    def __init__(self, inner: ConnectorFactory, kept: dict[tuple[str, str], Any]) -> None:
        self.inner = inner
        self.kept = kept

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (service_url, audience or "")
        if key not in self.kept:
            self.kept[key] = await self.inner.create(service_url, audience)
        return self.kept[key]


class Authentication(ConfigurationBotFrameworkAuthentication):
    """Keeps the clients botbuilder would build again on every turn (msrest's retry set-up
    makes each about 5 ms of CPU): one user-token client per app id (this bot never signs
    anyone in) and one connector client per service URL and audience (see KeptConnectors).
    The process has one app id, so a service URL and an audience name a client."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        self._token_clients: dict[str, UserTokenClient] = {}
        self._connectors: dict[tuple[str, str], Any] = {}

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = KeptConnectors(result.connector_factory, self._connectors)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return KeptConnectors(super().create_connector_factory(claims_identity), self._connectors)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        claims = claims_identity.claims or {}
        app_id = str(
            claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
            or claims.get(AuthenticationConstants.APP_ID_CLAIM)
            or ""
        )
        if app_id not in self._token_clients:
            self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return self._token_clients[app_id]


def make_adapter(settings: Settings) -> CloudAdapter:
    """Without MicrosoftAppId botbuilder accepts unauthenticated traffic (config allows it
    only in demo mode, fenced by handlers.demo); with it, every request must carry a valid
    Bot Framework token."""
    config = AuthConfig(
        settings.app_id, settings.app_password, settings.app_type, settings.app_tenant_id
    )
    return CloudAdapter(Authentication(config))


def activity_route(
    adapter: CloudAdapter, on_turn: Turn
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """POST /api/messages. Not CloudAdapter.process: in botbuilder 4.17.1 it serializes an
    invoke's body twice and answers every invoke with a 500."""

    async def messages(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        try:
            body: Any = await request.json()
        except ValueError:
            return web.Response(status=400)
        activity = Activity().deserialize(body) if isinstance(body, dict) else Activity()
        if not activity.type:
            return web.Response(status=400)
        auth_header = request.headers.get("Authorization", "")
        try:
            response = await adapter.process_activity(auth_header, activity, on_turn)
        except (PermissionError, DecodeError):
            # DecodeError: PyJWT's complaint about a header that is not a token at all, which
            # botbuilder lets escape; either way the caller is not authenticated.
            return web.Response(status=401)
        if response is None:
            return web.Response(status=201)
        return web.json_response(response.body, status=response.status)

    return messages


class TeamsChannel:
    """What app.py mounts: the route, the outbox sender, and the HTTP client's life cycle."""

    name = "teams"
    drafts = ""  # a Teams report is one card: nothing is kept between steps

    def __init__(
        self, settings: Settings, service: CaseService, files: CaseFiles | None = None
    ) -> None:
        self.adapter = make_adapter(settings)
        self.people = People(service.store)
        self.evidence = EvidenceTaker(service, settings.demo_mode)
        self.bot = TeamsBot(service, self.people, self.evidence, files, settings.base_url)
        self.sender = TeamsSender(self.adapter, settings.app_id, service, self.people)

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, activity_route(self.adapter, self.bot.on_turn))

    async def start(self) -> None:
        await self.evidence.start()

    async def stop(self) -> None:
        await self.evidence.stop()
