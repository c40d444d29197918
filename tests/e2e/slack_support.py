"""Shared by the Slack end-to-end tests: the fake API, the real server, a reporter's way in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import Server, base_env, running_server
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import (
    TEACHER,
    TOKEN,
    USERS,
    SlackClient,
    button_value,
    checkbox_state,
    slack_env,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
FILES = {"F0SHOT0001": {"name": "post.png", "mimetype": "image/png", "content": PNG}}

STEP_POST = {"platform": "facebook", "post_text": "The year 4 teacher is useless"}
STEP_PEOPLE = {"author_relationship": "parent", "about": ["staff"]}
STEP_WHAT = {"categories": ["complaints"], "history": "not_discussed"}


@dataclass
class World:
    api: FakeSlackApi
    server: Server
    slack: SlackClient
    data_dir: Path


@asynccontextmanager
async def slack_world(data: Path, files: dict | None = None, **env: str) -> AsyncIterator[World]:
    """The fake Slack Web API and the real server over HTTP on data, with more settings (a
    DATABASE_URL, an ENCRYPTION_KEY) and the files the fake Slack holds."""
    async with FakeSlackApi(users=USERS, files=files or FILES, token=TOKEN) as api:
        async with serving(api, data, **env) as w:
            yield w


@asynccontextmanager
async def serving(api: FakeSlackApi, data: Path, **env: str) -> AsyncIterator[World]:
    """The real server over HTTP on data, talking to a fake Slack that outlives it (restarts)."""
    settings = base_env(data, **slack_env(api), **env)
    async with running_server(settings) as server, aiohttp.ClientSession() as http:
        yield World(api, server, SlackClient(server.url, api, http), data)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeSlackApi(users=USERS, files=FILES, token=TOKEN) as api:
        env = base_env(tmp_path / "data", **slack_env(api))
        async with running_server(env) as server, aiohttp.ClientSession() as http:
            yield World(api, server, SlackClient(server.url, api, http), tmp_path / "data")


async def file_report(
    w: World,
    user: str = TEACHER,
    post: dict | None = None,
    people: dict | None = None,
    what: dict | None = None,
) -> str:
    """The reporter's whole way through the form; returns the case reference."""
    opened = len(w.api.calls_to("views.open"))
    reply = await w.slack.command(user, "https://facebook.example/post/1")
    assert reply.status == 200
    modal = await w.slack.opened(user, opened + 1)
    for answers in (post or STEP_POST, people or STEP_PEOPLE, what or STEP_WHAT):
        reply = await w.slack.submit(modal, answers)
        assert reply.json.get("response_action") == "update", reply.text
    assert modal.view["submit"]["text"] == "Submit report"
    reply = await w.slack.submit(modal)
    assert reply.json["response_action"] == "update"
    refs = [b for b in modal.view["blocks"] if b["type"] == "header"]
    reference = refs[0]["text"]["text"].split()[1]
    assert reference.startswith("OAK-")
    return reference


def posted_to(w: World, channel: str) -> list[dict]:
    return [c.args for c in w.api.calls_to("chat.postMessage") if c.args["channel"] == channel]


async def card_of(w: World, reference: str) -> tuple[str, dict]:
    """The approval card message of a case, as it stands in the fake Slack."""
    await w.server.idle()
    record = await w.server.service.get(reference)
    [ref] = [m for m in record.case.messages if m.purpose == "approval"][:1]
    return ref.conversation, w.api.messages[(ref.conversation, ref.message_id)]


async def click_card(
    w: World,
    user: str,
    reference: str,
    action_id: str,
    ticked: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Press a button on the case's approval card, with its checkboxes as they stand."""
    channel, message = await card_of(w, reference)
    reply = await w.slack.click(
        user,
        action_id,
        button_value(message, action_id),
        message=message,
        channel=channel,
        state=checkbox_state(message, ticked),
        headers=headers,
    )
    assert reply.status == 200, reply.text
