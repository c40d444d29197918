"""Server-side fetches: a file URL off the platform's hosts is never requested nor given a token."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity

from bot.config import Settings
from bot.models import Actor
from handlers.teams.channel import make_adapter
from handlers.teams.evidence import EvidenceTaker
from tests.e2e.harness import base_env, running_server
from tests.e2e.slack_support import FILES, PNG, STEP_POST, World, file_report
from tests.e2e.teams_support import TEACHER, Teams, chat, teams_world
from tests.fakes import teams_activities as ta
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import TOKEN, USERS, SlackClient, slack_env

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


@pytest.fixture
async def internal() -> AsyncIterator[FakeConnector]:
    """Something inside the network the bot runs in; it records every request it gets."""
    async with FakeConnector() as fake:
        fake.files["secret.png"] = PNG
        yield fake


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        yield teams


async def test_teams_files_off_the_connector_are_never_fetched(world, internal):
    await world.install(TEACHER)
    card = await world.report(TEACHER)
    reference = card["body"][0]["text"].split()[1]
    world.connector.files["post.png"] = PNG
    port = world.url.rsplit(":", 1)[1].rstrip("/")
    attachments = [
        ta.file_download_attachment("inside.png", internal.file_url("secret.png")),
        ta.inline_image_attachment(METADATA),
        ta.inline_image_attachment(f"http://localhost:{port}/files/post.png"),  # not the origin
        ta.file_download_attachment("post.png", world.connector.file_url("post.png")),
    ]
    before = len(world.connector.sent(chat(TEACHER).id))
    await world.say(TEACHER, "", attachments=attachments)
    reply = await world.wait_reply(TEACHER, before, f"Added post.png to {reference}")
    assert internal.calls == []  # never requested
    assert reply.count("is not stored in Teams, so I did not download it") == 3, reply
    assert f"Added post.png to {reference}" in reply
    record = await world.server.service.get(reference)
    assert [e.sha256 for e in record.case.evidence] == [hashlib.sha256(PNG).hexdigest()]
    assert [c.path for c in world.connector.of_kind("file")] == ["/files/post.png"]


class Credentials:
    """The bot's Microsoft app credentials as botbuilder's connector client holds them."""

    microsoft_app_id = ta.BOT_APP_ID

    def __init__(self) -> None:
        self.handed_out = 0

    def get_access_token(self) -> str:
        self.handed_out += 1
        return "bot-secret-token"


class Client:
    def __init__(self, credentials: Credentials) -> None:
        self.config = type("Config", (), {"credentials": credentials})()


async def test_teams_http_url_on_the_connector_host_gets_no_request_and_no_token(service, internal):
    """Outside demo mode: a plain http URL on the serviceUrl's own host is refused unasked."""
    host_port = internal.service_url.split("//", 1)[1]  # 127.0.0.1:PORT/
    activity = Activity().deserialize(
        ta.message_from("", TEACHER, ta.TeamsConversation.personal("a:1"), f"https://{host_port}")
    )
    credentials = Credentials()
    adapter = make_adapter(Settings(app_id=ta.BOT_APP_ID, app_password="not-a-real-secret"))
    turn = TurnContext(adapter, activity)
    turn.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY] = Client(credentials)
    taker = EvidenceTaker(service)  # not demo mode
    await taker.start()
    try:
        actor = Actor("teams", TEACHER.id, TEACHER.email, TEACHER.name)
        f = taker.files_in(
            Activity().deserialize(
                {
                    **ta.message_from("", TEACHER, ta.TeamsConversation.personal("a:1"), "x"),
                    "attachments": [ta.inline_image_attachment(internal.file_url("secret.png"))],
                }
            )
        )[0]
        line = await taker.keep(turn, actor, "OAK-2026-0001", f)
    finally:
        await taker.stop()
    assert internal.calls == [] and credentials.handed_out == 0
    assert "did not download it" in line


async def test_slack_download_url_off_slack_is_never_fetched(tmp_path, internal):
    files = {
        **FILES,
        "F0INSIDE01": {
            **FILES["F0SHOT0001"],
            "name": "inside.png",
            "download_url": internal.file_url("secret.png"),
        },
        "F0METADAT1": {**FILES["F0SHOT0001"], "name": "meta.png", "download_url": METADATA},
    }
    async with FakeSlackApi(users=USERS, files=files, token=TOKEN) as api:
        env = base_env(tmp_path / "data", **slack_env(api))
        async with running_server(env) as server, aiohttp.ClientSession() as http:
            w = World(api, server, SlackClient(server.url, api, http), tmp_path / "data")
            post = {**STEP_POST, "evidence": ["F0INSIDE01", "F0METADAT1", "F0SHOT0001"]}
            reference = await file_report(w, post=post)
            await server.idle()
            record = await server.service.get(reference)
    assert internal.calls == []
    assert [e.sha256 for e in record.case.evidence] == [hashlib.sha256(PNG).hexdigest()]
    told = json.dumps([c.args for c in api.calls_to("chat.postMessage")])
    for name in ("inside.png", "meta.png"):
        assert f"{name} was not kept as evidence for {reference}: Slack did not say" in told
    assert len(api.calls_to("files:download")) == 1
