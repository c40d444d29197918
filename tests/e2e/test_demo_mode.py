"""Demo mode only when asked: off by default, refused beside production, fenced to this machine."""

from __future__ import annotations

import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from handlers.demo import why_refused
from tests.e2e.harness import app_py as harness_app_py
from tests.e2e.harness import base_env, running_server
from tests.e2e.teams_support import chat, teams_world
from tests.fakes import teams_activities as ta
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import slack_env

OFF = {"DEMO_MODE": ""}


async def test_without_demo_mode_there_is_no_web_channel_and_teams_wants_a_token(tmp_path):
    """The review's finding: Slack set, HOST loopback, a proxy's Host and X-Forwarded-For."""
    async with FakeSlackApi() as api, FakeConnector() as connector:
        env = base_env(tmp_path / "data", **slack_env(api))
        assert env["DEMO_MODE"] == ""  # production settings: the harness leaves the demo off
        async with running_server(env) as server, aiohttp.ClientSession() as http:
            proxied = {"Host": "concerns.school.example", "X-Forwarded-For": "203.0.113.9"}
            for path in ("/", "/report", "/inbox", "/cases"):
                for headers in (proxied, {}):
                    async with http.get(f"{server.url}{path}", headers=headers) as r:
                        assert r.status == 404, path
                        assert "Demo identity" not in await r.text()
            message = ta.message_from("report", ta.TEACHER, chat(ta.TEACHER), connector.service_url)
            async with http.post(f"{server.url}/api/messages", json=message) as r:
                assert r.status == 401
            async with http.post(f"{server.url}/api/messages", json=message, headers=proxied) as r:
                assert r.status == 401
        assert connector.calls == []  # the serviceUrl the caller chose was never called
        assert await server.service.store.references() == []


async def test_with_no_settings_at_all_teams_is_closed_too(tmp_path):
    async with FakeConnector() as connector:
        env = base_env(tmp_path / "data", **OFF)
        async with running_server(env) as server, aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/") as r:
                assert r.status == 404
            update = ta.conversation_update_installed(ta.HEAD, connector.service_url, chat(ta.HEAD))
            async with http.post(f"{server.url}/api/messages", json=update) as r:
                assert r.status == 401
            async with http.get(f"{server.url}/healthz") as r:
                assert (await r.json())["platforms"] == {"slack": False, "teams": False}
        assert connector.calls == []


FOREIGN = [
    {"Host": "concerns.school.example"},
    {"Host": "127.0.0.1.nip.io"},  # DNS rebinding: a name that resolves here
    {"Host": "localhost.evil.example:3978"},
    {"Host": "127.0.0.2"},
    {"X-Forwarded-For": "203.0.113.9"},
    {"X-Forwarded-Host": "concerns.school.example"},
    {"X-Forwarded-Proto": "https"},
    {"Forwarded": "for=203.0.113.9;host=concerns.school.example"},
]


@pytest.mark.parametrize("headers", FOREIGN, ids=lambda h: ":".join(next(iter(h.items()))))
async def test_demo_mode_refuses_a_foreign_host_or_a_forwarded_request(tmp_path, headers):
    async with teams_world(tmp_path / "data") as teams:
        url = teams.server.url
        for path in ("/", "/healthz", "/inbox", "/static/style.css"):
            async with teams.http.get(f"{url}{path}", headers=headers) as r:
                assert r.status == 403, path
                text = await r.text()
                assert "Demo mode answers only this machine" in text
                assert "Demo identity" not in text and "head@" not in text
        install = ta.conversation_update_installed(ta.HEAD, teams.url, chat(ta.HEAD))
        status, _ = await teams.post(install, headers)
        assert status == 403
        status, _ = await teams.post(
            ta.message_from("report", ta.TEACHER, chat(ta.TEACHER), teams.url), headers
        )
        assert status == 403
        assert teams.connector.calls == []  # no reply, no roster look-up
        assert await teams.server.service.store.references() == []
        # The same requests from this machine, by a loopback name, are served.
        status, _ = await teams.post(install)
        assert status in (200, 201)
        async with teams.http.get(f"{url}/") as r:
            assert r.status == 200 and "Demo identity" in await r.text()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:8080", "[::1]", "[::1]:9"])
async def test_demo_mode_serves_loopback_names_on_any_port(tmp_path, host):
    async with running_server(base_env(tmp_path / "data")) as server:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/", headers={"Host": host}) as r:
                assert r.status == 200
                assert "Demo identity: this is not sign-in." in await r.text()


@pytest.mark.parametrize(
    ("peer", "host", "extra", "why"),
    [
        ("203.0.113.9", "127.0.0.1:3978", {}, "peer not loopback"),
        ("10.0.0.5", "localhost", {}, "peer not loopback"),
        ("::ffff:192.0.2.1", "localhost", {}, "peer not loopback"),
        ("127.0.0.1", "", {}, "Host not loopback"),
        ("127.0.0.1", "127.0.0.1:3978:1", {}, "Host not loopback"),
        ("127.0.0.1", "[::1]x", {}, "Host not loopback"),
        ("127.0.0.1", "localhost", {"X-Forwarded-Server": "proxy"}, "forwarding header"),
        ("::1", "[::1]:3978", {}, ""),
        ("::ffff:127.0.0.1", "localhost:1", {}, ""),
        ("127.0.0.1", "127.0.0.1", {}, ""),
    ],
)
def test_the_fence_reads_peer_host_and_forwarding(peer, host, extra, why):
    """The peer rule, which no test over 127.0.0.1 can break, on a request as aiohttp makes it."""

    class Transport:
        def get_extra_info(self, name: str, default: object = None) -> object:
            return (peer, 50000) if name == "peername" else default

    headers = {"Host": host, **extra} if host else extra
    request = make_mocked_request("GET", "/", headers=headers, transport=Transport())
    assert why_refused(request) == why


def app_py(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return harness_app_py(env, *args, timeout=60)


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "refused together with SLACK_BOT_TOKEN"),
        ({"MicrosoftAppId": "00000000-0000-0000-0000-000000000001"}, "with MicrosoftAppId"),
        ({"DATABASE_URL": "postgresql://u@db.example/x"}, "together with DATABASE_URL"),
        # refused: the test checks that a demo never listens on every interface
        ({"HOST": "0.0.0.0"}, "refused with HOST 0.0.0.0, which is not a loopback address"),  # noqa: S104
    ],
    ids=["slack", "teams", "database", "host"],
)
@pytest.mark.parametrize("command", ["serve", "check"])
def test_demo_mode_beside_a_production_setting_is_refused(tmp_path: Path, setting, said, command):
    env = {k: v for k, v in base_env(tmp_path / "data").items() if k != "HOST"}
    done = app_py(command, **{**env, "DEMO_MODE": "1", **setting})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: environment: DEMO_MODE: ") and said in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "data").exists()  # refused before anything was made


def test_check_says_which_channels_demo_mode_opens(tmp_path: Path):
    env = base_env(tmp_path / "data")
    on = app_py("check", **env)
    assert on.returncode == 0, on.stderr
    assert "Web: enabled (DEMO_MODE=1: local demo channel at http://127.0.0.1:" in on.stdout
    assert "Teams: enabled (DEMO_MODE=1 and MicrosoftAppId not set: unauthenticated" in on.stdout
    off = app_py("check", **{**env, **OFF})
    # With demo mode off and no platform set, no channel can run: check says so and exits 1.
    assert off.returncode == 1, off.stderr
    assert off.stdout.splitlines()[-1].startswith("Not ready: no channel can run.")
    assert "Web: disabled (DEMO_MODE not set: the demo web channel has no sign-in" in off.stdout
    assert "Teams: disabled (MicrosoftAppId not set" in off.stdout
    bad = app_py("check", **{**env, "DEMO_MODE": "yes"})
    assert bad.returncode == 2
    assert bad.stderr.strip() == "Error: environment: DEMO_MODE: 'yes' must be 1 (on) or 0 (off)"
