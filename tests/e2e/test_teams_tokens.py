"""Teams with an app id: tokens signed with keys the validator is served; tenants; key floods."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from botframework.connector.auth import ChannelValidation, JwtTokenExtractor
from botframework.connector.auth.microsoft_app_credentials import MicrosoftAppCredentials

from tests.e2e import teams_support as tsup
from tests.e2e.harness import Server, base_env, running_server
from tests.fakes import teams_activities as ta
from tests.fakes.connector import FakeConnector
from tests.fakes.openid import EMULATOR_ISSUER, FakeOpenId, new_key

OTHER_TENANT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
APP = {
    "MicrosoftAppId": ta.BOT_APP_ID,
    "MicrosoftAppPassword": "not-a-real-secret",
    "MicrosoftAppTenantId": ta.TENANT_ID,
}
OUTBOUND = "outbound-test-token"  # what the bot would get from Microsoft's login to call Teams


@dataclass
class World:
    server: Server
    connector: FakeConnector
    openid: FakeOpenId
    http: aiohttp.ClientSession

    async def post(self, payload: dict, token: str | None) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        started = time.monotonic()
        async with self.http.post(
            f"{self.server.url}/api/messages", json=payload, headers=headers
        ) as r:
            text = await r.text()
        assert time.monotonic() - started < 15
        return r.status, text


async def keys_loaded(openid: FakeOpenId) -> None:
    deadline = time.monotonic() + 10
    while not getattr(JwtTokenExtractor.metadataCache.get(openid.metadata_url), "keys", None):
        assert time.monotonic() < deadline, "the server never loaded the keys at start"
        await asyncio.sleep(0.02)


@pytest.fixture
async def world(tmp_path, monkeypatch) -> AsyncIterator[World]:
    with FakeOpenId().serving() as openid:
        # botbuilder's own setting for where channel keys come from: the fake serves ours.
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", openid.metadata_url)
        # Microsoft's login (the bot's own token, for calling the connector) is not faked.
        monkeypatch.setattr(
            MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: OUTBOUND
        )
        async with FakeConnector() as connector:
            for user in tsup.EVERYONE:
                connector.members[user.id] = user.member()
            env = base_env(tmp_path / "data", **APP)
            async with running_server(env) as server, aiohttp.ClientSession() as http:
                yield World(server, connector, openid, http)
        JwtTokenExtractor.metadataCache.pop(openid.metadata_url, None)


def report_from(user: ta.TeamsUser, service_url: str, tenant: str = ta.TENANT_ID) -> dict:
    chat = ta.TeamsConversation.personal(f"a:chat-{user.id}", tenant)
    return ta.message_from("report", user, chat, service_url)


async def test_a_correctly_signed_token_is_accepted_and_the_bot_answers(world: World):
    url = world.connector.service_url
    token = world.openid.token(url)
    status, _ = await world.post(report_from(ta.TEACHER, url), token)
    assert status in (200, 201)
    deadline = time.monotonic() + 10
    while not world.connector.sent(f"a:chat-{ta.TEACHER.id}"):
        assert time.monotonic() < deadline, world.connector.summary()
        await asyncio.sleep(0.02)
    (form,) = world.connector.sent(f"a:chat-{ta.TEACHER.id}")
    card = tsup.sent_card(form)
    assert card["actions"][0]["data"]["form"]  # the report form, as a teacher sees it
    assert form.headers["Authorization"] == f"Bearer {OUTBOUND}"
    assert world.openid.key_fetches == 1  # fetched once at start, not on the request


async def test_a_valid_token_from_a_tenant_not_allowed_is_refused(world: World, caplog):
    url = world.connector.service_url
    token = world.openid.token(url)
    for payload in (
        report_from(ta.TEACHER, url, OTHER_TENANT),
        ta.conversation_update_installed(
            ta.HEAD, url, ta.TeamsConversation.personal("a:chat-x", OTHER_TENANT)
        ),
        ta.adaptive_card_invoke(
            "case_approve",
            {"case": "OAK-2026-0001:1"},
            ta.HEAD,
            url,
            ta.TeamsConversation.personal("a:chat-y", OTHER_TENANT),
        ),
    ):
        status, text = await world.post(payload, token)
        assert status == 403
        assert text == "This organisation is not served by this bot."
    assert world.connector.calls == []  # no roster look-up, no reply: nothing of ours shown
    assert await world.server.service.store.references() == []
    refused = [r.getMessage() for r in caplog.records if "tenant not allowed" in r.getMessage()]
    assert refused == [
        "refused a Teams activity (message) from a tenant not allowed",
        "refused a Teams activity (conversationUpdate) from a tenant not allowed",
        "refused a Teams activity (invoke) from a tenant not allowed",
    ]


def forged(openid: FakeOpenId, url: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "wrong audience": openid.token(url, aud="another-bots-app-id"),
        "expired": openid.token(url, lifetime=-600),  # past botbuilder's 5 minutes' leeway
        "not yet valid": openid.token(url, nbf=now + 3600),
        "wrong serviceurl claim": openid.token("https://smba.trafficmanager.net/emea/"),
        "emulator issuer": openid.token(url, iss=EMULATOR_ISSUER, appid=ta.BOT_APP_ID),
        "emulator v2 issuer": openid.token(
            url,
            iss="https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0",
            azp=ta.BOT_APP_ID,
            ver="2.0",
        ),
        "skill": openid.token(url, ver="1.0", appid="another-bots-app-id"),
        "no expiry": openid.token(url, exp=None),
        "unknown key": openid.token(url, key=new_key(), kid=f"k-{uuid.uuid4().hex}"),
        "our kid, another key": openid.token(url, key=new_key()),
        "no kid": openid.token(url, kid=""),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong audience",
        "expired",
        "not yet valid",
        "wrong serviceurl claim",
        "emulator issuer",
        "emulator v2 issuer",
        "skill",
        "no expiry",
        "unknown key",
        "our kid, another key",
        "no kid",
    ],
)
async def test_a_token_that_is_not_right_is_401(world: World, case: str):
    url = world.connector.service_url
    token = forged(world.openid, url)[case]
    for payload in (
        report_from(ta.TEACHER, url),
        ta.adaptive_card_invoke(
            "case_approve", {"case": "OAK-2026-0001:1"}, ta.HEAD, url, tsup.chat(ta.HEAD)
        ),
    ):
        status, _ = await world.post(payload, token)
        assert status == 401, case
    assert world.connector.calls == []
    assert await world.server.service.store.references() == []
    assert world.openid.key_fetches <= 1  # the start fetch only: no refresh for a bad kid


@pytest.mark.parametrize("delay", [0.0, 1.0], ids=["keys loaded", "keys on a slow network"])
async def test_a_forged_kid_flood_leaves_healthz_fast_and_every_answer_401(
    tmp_path, monkeypatch, delay
):
    """The review's finding: three forged tokens held /healthz for 6 s, and answered 500."""
    with FakeOpenId().serving() as openid:
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", openid.metadata_url)
        openid.delay = delay  # each of the two fetches (metadata, keys) takes this long
        async with (
            FakeConnector() as connector,
            running_server(base_env(tmp_path / "data", **APP)) as server,
            aiohttp.ClientSession() as http,
        ):
            if not delay:
                await keys_loaded(openid)
            url = connector.service_url
            attacker = new_key()

            # Signed before the flood: signing is the attacker's cost, not the server's (and
            # this client shares the server's process).
            tokens = [
                openid.token(url, key=attacker, kid=f"forged-{uuid.uuid4().hex}") for _ in range(60)
            ]

            async def forge(count: int) -> list[int]:
                """One attacker's stream: a fresh kid each time, signed with their own key."""
                statuses = []
                for _ in range(count):
                    headers = {"Authorization": f"Bearer {tokens.pop()}"}
                    payload = report_from(ta.TEACHER, url)
                    async with http.post(
                        f"{server.url}/api/messages", json=payload, headers=headers
                    ) as r:
                        statuses.append(r.status)
                return statuses

            async def probe_once() -> None:
                async with http.get(f"{server.url}/healthz") as r:
                    assert r.status == 200

            async def probe() -> list[float]:
                took = []
                for _ in range(20):
                    started = time.monotonic()
                    async with http.get(f"{server.url}/healthz") as r:
                        assert r.status == 200
                    took.append(time.monotonic() - started)
                    await asyncio.sleep(0.02)
                return took

            # Four connections opened first: their set-up is not what the flood costs.
            *warm, _ = await asyncio.gather(*(forge(1) for _ in range(4)), probe_once())
            flood = [asyncio.create_task(forge(14)) for _ in range(4)]  # 60 forged tokens
            took = await probe()
            streams = [*warm, *await asyncio.gather(*flood)]
            statuses = [s for stream in streams for s in stream]
        JwtTokenExtractor.metadataCache.pop(openid.metadata_url, None)
    assert set(statuses) == {401}
    assert max(took) < 0.1, f"/healthz took up to {max(took) * 1000:.0f} ms during the flood"
    assert openid.key_fetches == 1  # the fetch at start; no forged kid started another
    assert connector.calls == []
