"""With MicrosoftAppId set, /api/messages wants a Bot Framework token: 401 without one, not 500."""

from __future__ import annotations

import aiohttp
import pytest

from tests.e2e.harness import base_env, running_server
from tests.fakes import teams_activities as ta

APP = {
    "MicrosoftAppId": ta.BOT_APP_ID,
    "MicrosoftAppPassword": "not-a-real-secret",
    "MicrosoftAppTenantId": ta.TENANT_ID,
}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "not even bearer"}],
    ids=["no token", "not a token", "not bearer"],
)
@pytest.mark.parametrize("kind", ["message", "invoke"])
async def test_a_request_without_a_valid_token_gets_401(tmp_path, headers, kind):
    service_url = "http://127.0.0.1:9/"  # never called: the request is refused first
    if kind == "message":
        payload = ta.message_from("report", ta.TEACHER, ta.TEACHER_CHAT, service_url)
    else:
        payload = ta.adaptive_card_invoke(
            "case_approve", {"case": "OAK-2026-0001:1"}, ta.HEAD, service_url, ta.HEAD_CHAT
        )
    async with running_server(base_env(tmp_path / "data", **APP)) as server:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{server.url}/api/messages", json=payload, headers=headers) as r:
                assert r.status == 401
        assert await server.service.store.references() == []


async def test_malformed_requests_are_refused_plainly(tmp_path):
    async with running_server(base_env(tmp_path / "data")) as server:
        async with aiohttp.ClientSession() as http:
            url = f"{server.url}/api/messages"
            async with http.post(url, data="hello", headers={"Content-Type": "text/plain"}) as r:
                assert r.status == 415
            async with http.post(url, data="{", headers={"Content-Type": "application/json"}) as r:
                assert r.status == 400
            async with http.post(url, json={"text": "no type"}) as r:
                assert r.status == 400


async def test_a_malformed_activity_is_logged_by_its_type_only(tmp_path, caplog):
    """The review's finding: the exception's repr quoted the activity before anyone was
    authenticated. Here the odd field carries a person's name and email."""
    who = f"{ta.TEACHER.name} <{ta.TEACHER.email}>"
    payload = ta.message_from("report", ta.TEACHER, ta.TEACHER_CHAT, "http://127.0.0.1:9/")
    async with running_server(base_env(tmp_path / "data")) as server:
        async with aiohttp.ClientSession() as http:
            for bad in ({**payload, "from": [who]}, {**payload, "conversation": who}):
                async with http.post(f"{server.url}/api/messages", json=bad) as r:
                    assert r.status == 400
    lines = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert lines and all(line.endswith(("Error", "Exception")) for line in lines), lines
    assert not any(r.exc_info for r in caplog.records if "cannot be read" in r.getMessage())
