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
    AuthenticationConstants,
    ClaimsIdentity,
    UserTokenClient,
)
from jwt.exceptions import DecodeError

from bot.case_files import CaseFiles
from bot.config import Settings
from bot.service import CaseService
from handlers.teams_bot import TeamsBot
from handlers.teams_evidence import EvidenceTaker
from handlers.teams_people import People
from handlers.teams_sender import TeamsSender

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


class Authentication(ConfigurationBotFrameworkAuthentication):
    """Keeps one user-token client per app id. botbuilder builds a new one on every turn and
    msrest's retry set-up makes that about 6 ms of CPU; this bot never signs anyone in."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        self._token_clients: dict[str, UserTokenClient] = {}

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
    only on a loopback HOST); with it, every request must carry a valid Bot Framework token."""
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

    def __init__(
        self, settings: Settings, service: CaseService, files: CaseFiles | None = None
    ) -> None:
        self.adapter = make_adapter(settings)
        self.people = People(service.store)
        self.evidence = EvidenceTaker(service)
        self.bot = TeamsBot(service, self.people, self.evidence, files, settings.base_url)
        self.sender = TeamsSender(self.adapter, settings.app_id, service, self.people)

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, activity_route(self.adapter, self.bot.on_turn))

    async def start(self) -> None:
        await self.evidence.start()

    async def stop(self) -> None:
        await self.evidence.stop()
