"""The Teams channel: POST /api/messages through our own handler, the bot, and its sender."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConfiguration,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    SkillValidation,
    UserTokenClient,
)

from bot.config import Settings
from bot.service import CaseService
from bot.service.files import CaseFiles
from handlers.teams.activity import TeamsBot
from handlers.teams.evidence import EvidenceTaker
from handlers.teams.keys import OpenIdKeys, metadata_url
from handlers.teams.people import People, tenant_of
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


class TenantNotAllowed(Exception):
    """A correctly authenticated activity from a Microsoft Entra tenant the trust does not
    allow: 403."""


CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER


def channel_claims_only(app_id: str) -> Callable[[Any], Awaitable[None]]:
    """The claims validator botbuilder runs on every verified token: with an app id set, only
    Bot Framework's channel issuer, never the Emulator's or a skill's (botbuilder accepts
    both), and never a token without an expiry (PyJWT would not ask for one)."""

    async def validate(claims: Any) -> None:
        if not app_id:
            return
        if not isinstance(claims, dict) or claims.get("iss") != CHANNEL_ISSUER:
            raise PermissionError("only Bot Framework channel tokens are accepted")
        if SkillValidation.is_skill_claim(claims):
            raise PermissionError("skill tokens are not accepted")
        if not isinstance(claims.get("exp"), int | float):
            raise PermissionError("a token without an expiry is not accepted")

    return validate


def issued_by_channel(auth_header: str) -> bool:
    """Before any key is looked for: a Bearer token whose (unverified) issuer is Bot
    Framework's channel service. Others (the Emulator's, a skill's, anything) need keys from
    other places, which this bot never trusts with an app id set."""
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token or " " in token:
        return False
    claims = jwt.decode(token, options={"verify_signature": False})
    return (
        isinstance(claims, dict)
        and claims.get("iss") == CHANNEL_ISSUER
        and not SkillValidation.is_skill_claim(claims)
    )


class Authentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication with what it leaves out: every failure is a
    PermissionError (a 401; botbuilder lets PyJWT's and its own key look-up errors escape, a
    500), only channel tokens with an app id set, the tenant checked after the token.

    It also keeps the clients botbuilder would build again on every turn (msrest's retry
    set-up makes each about 5 ms of CPU): one user-token client per app id (this bot never
    signs anyone in) and one connector client per service URL and audience (see
    KeptConnectors). The process has one app id, so a service URL and an audience name a
    client."""

    def __init__(self, configuration: Any, tenants: tuple[str, ...] = ()) -> None:
        super().__init__(
            configuration,
            auth_configuration=AuthenticationConfiguration(
                claims_validator=channel_claims_only(configuration.APP_ID)
            ),
        )
        self.app_id = configuration.APP_ID
        self.tenants = tenants
        self.keys: OpenIdKeys | None = None  # Bot Framework's, once the channel has them
        self._token_clients: dict[str, UserTokenClient] = {}
        self._connectors: dict[tuple[str, str], Any] = {}

    async def screen(self, auth_header: str) -> None:
        """Before the activity is even read: with an app id, a channel token signed with a
        key of Bot Framework's, else PermissionError. A flood of forged tokens then costs
        no parsing; authenticate_request still checks everything."""
        if not self.app_id:
            return
        try:
            if not issued_by_channel(auth_header):
                raise PermissionError("not a Bot Framework channel token")
            if self.keys is not None:
                kid = jwt.get_unverified_header(auth_header.partition(" ")[2]).get("kid")
                await self.keys.get(kid if isinstance(kid, str) else None)
        except PermissionError:
            raise
        except Exception as exc:  # PyJWT's: not a token at all
            raise PermissionError(type(exc).__name__) from None

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        if not self.app_id:
            # Demo mode (config allows no other way without an app id): botbuilder reads no
            # token then, unless one is sent; none is read, so no key is ever looked for.
            auth_header = ""
        try:
            if self.app_id and not issued_by_channel(auth_header):
                raise PermissionError("not a Bot Framework channel token")
            result = await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as exc:  # PyJWT's, or botbuilder's own: the caller is not authenticated
            raise PermissionError(type(exc).__name__) from None
        if self.tenants and tenant_of(activity).lower() not in self.tenants:
            raise TenantNotAllowed()
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
    Bot Framework token, from an allowed tenant."""
    config = AuthConfig(
        settings.app_id, settings.app_password, settings.app_type, settings.app_tenant_id
    )
    return CloudAdapter(Authentication(config, settings.teams_tenants))


def activity_route(
    adapter: CloudAdapter, on_turn: Turn
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """POST /api/messages. Not CloudAdapter.process: in botbuilder 4.17.1 it serializes an
    invoke's body twice and answers every invoke with a 500."""

    auth = adapter.bot_framework_authentication

    async def messages(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        auth_header = request.headers.get("Authorization", "")
        if isinstance(auth, Authentication):
            try:
                await auth.screen(auth_header)
            except PermissionError:
                return web.Response(status=401)
        try:
            body: Any = await request.json()
        except ValueError:
            return web.Response(status=400)
        activity = Activity().deserialize(body) if isinstance(body, dict) else Activity()
        if not activity.type:
            return web.Response(status=400)
        try:
            response = await adapter.process_activity(auth_header, activity, on_turn)
        except PermissionError:
            # Authentication turns every failure into this (PyJWT's DecodeError included).
            return web.Response(status=401)
        except TenantNotAllowed:
            log.warning("refused a Teams activity (%s) from a tenant not allowed", activity.type)
            return web.Response(status=403, text="This organisation is not served by this bot.")
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
        self.keys: OpenIdKeys | None = None
        if settings.app_id:
            self.keys = OpenIdKeys(metadata_url())
            self.keys.install()  # botbuilder reads these keys, never fetching its own
            auth = self.adapter.bot_framework_authentication
            if isinstance(auth, Authentication):
                auth.keys = self.keys
        self.people = People(service.store)
        self.evidence = EvidenceTaker(service, settings.demo_mode)
        self.bot = TeamsBot(service, self.people, self.evidence, files, settings.base_url)
        self.sender = TeamsSender(self.adapter, settings.app_id, service, self.people)

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, activity_route(self.adapter, self.bot.on_turn))

    async def start(self) -> None:
        await self.evidence.start()
        if self.keys is not None:
            self.keys.start()

    async def stop(self) -> None:
        if self.keys is not None:
            await self.keys.stop()
        await self.evidence.stop()

    async def unreachable(self, emails: Sequence[str]) -> list[str]:
        return await self.people.unreachable(emails)
