"""Slack in Socket Mode with two tokens only, no /slack/events; the workspace pinned when asked."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

import aiohttp

from tests.e2e.harness import base_env, running_server
from tests.e2e.test_demo_mode import app_py
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import TEACHER, TOKEN, USERS, SlackClient, slack_env
from tests.fakes.slack_signing import command_body, new_trigger_id
from tests.fakes.slack_socket import FakeSocketMode

APP_TOKEN = "xapp-1-test-app-token"
NO_TEAMS = {"MicrosoftAppId": "00000000-0000-0000-0000-000000000000"}  # Teams off


def socket_env(api: FakeSlackApi, tmp_path, **extra: str) -> dict[str, str]:
    """Only the two tokens (and where the fake Web API is): no SLACK_SIGNING_SECRET."""
    env = base_env(
        tmp_path / "data",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=api.base_url,
        **NO_TEAMS,
        **extra,
    )
    assert "SLACK_SIGNING_SECRET" not in env
    return env


def command(team_id: str = "T0001") -> tuple[str, dict[str, str]]:
    trigger = new_trigger_id()
    body = command_body("/report-post", "", TEACHER, trigger_id=trigger, team_id=team_id)
    return trigger, dict(parse_qsl(body.decode()))


async def test_socket_mode_starts_with_the_two_tokens_only_and_serves_a_command(tmp_path):
    async with FakeSlackApi(users=USERS) as api, FakeSocketMode(api) as socket:
        async with running_server(socket_env(api, tmp_path)) as server:
            await socket.connected()
            (opened,) = api.calls_to("apps.connections.open")
            assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
            trigger, payload = command()
            ack = await socket.send("slash_commands", payload)
            assert set(ack) <= {"envelope_id", "payload"}
            (shown,) = await api.wait_for("views.open")
            assert shown.args["trigger_id"] == trigger
            assert "Report" in str(shown.args["view"])  # the report form reached the teacher
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{server.url}/slack/events", data=b"{}") as r:
                    assert r.status == 404  # nothing to sign, nothing mounted
                async with http.get(f"{server.url}/healthz") as r:
                    assert (await r.json())["platforms"]["slack"] is True


async def test_socket_mode_keeps_to_the_pinned_workspace(tmp_path):
    async with FakeSlackApi(users=USERS) as api, FakeSocketMode(api) as socket:
        env = socket_env(api, tmp_path, SLACK_TEAM_ID="T0001")
        async with running_server(env):
            _, foreign = command(team_id="T0FOREIGN")
            await socket.send("slash_commands", foreign, wait=False)
            trigger, ours = command()
            await socket.send("slash_commands", ours)
            (shown,) = await api.wait_for("views.open")
            await asyncio.sleep(0.3)  # the foreign command had its chance first
            assert [c.args["trigger_id"] for c in api.calls_to("views.open")] == [trigger]


def test_check_and_the_server_agree_on_socket_mode(tmp_path):
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "TRUST_CONFIG": base_env(tmp_path)["TRUST_CONFIG"],
    }
    done = app_py("check", **env)
    assert done.returncode == 0, done.stderr
    assert "Slack: enabled (Socket Mode (SLACK_APP_TOKEN is set; POST /slack/events is off))" in (
        done.stdout
    )


async def test_http_mode_refuses_a_signed_request_from_another_workspace(tmp_path):
    """Signed with the app's secret (one app, installed in several workspaces), but not from
    SLACK_TEAM_ID: refused with 403 before any listener runs; the pinned workspace is served."""
    async with FakeSlackApi(users=USERS) as api, aiohttp.ClientSession() as http:
        for team, served in (("T0ELSEWHERE", False), ("T0001", True)):
            env = base_env(tmp_path / team, **slack_env(api, SLACK_TEAM_ID=team))
            async with running_server(env) as server:
                before = len(api.calls_to("views.open"))
                reply = await SlackClient(server.url, api, http).command(TEACHER)
                if served:
                    assert reply.status == 200
                    await api.wait_for("views.open", before + 1)
                else:
                    assert reply.status == 403
                    await asyncio.sleep(0.3)
                    assert len(api.calls_to("views.open")) == before
