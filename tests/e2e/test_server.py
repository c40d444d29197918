"""The server as a new user starts it: `python app.py`, then GET /healthz."""

from __future__ import annotations

import aiohttp

from tests.e2e.harness import ServerProcess, base_env, running_server


async def test_python_app_py_starts_with_no_platform_settings_and_answers_healthz(tmp_path):
    # Liveness only: the 2 s start-up target is measured and printed by `python -m bench.startup`
    # (a timed test here would fail under load and prove nothing about speed).
    server = ServerProcess(base_env(tmp_path / "data"))
    await server.start(timeout=120)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as r:
            body = await r.json()
        assert r.status == 200
        assert body["status"] == "ok"
        assert body["store"] == {"kind": "tinydb", "cases": 0, "pending_outbox": 0}
        assert body["policy"] == {"version": "1.0", "review_due": "2020-06-30", "past_review": True}
        assert body["platforms"] == {"slack": False, "teams": True}
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Slack: disabled (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set)" in log
    assert "due for review" in log


async def test_healthz_has_no_secrets_or_personal_data(tmp_path):
    env = base_env(
        tmp_path / "data",
        SLACK_BOT_TOKEN="xoxb-secret-token",
        SLACK_SIGNING_SECRET="shh-signing-secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    async with running_server(env) as server, aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/healthz") as r:
            text = await r.text()
    assert r.status == 200
    assert "secret" not in text and "xoxb" not in text and "@" not in text
