"""The technician's probes over HTTP: /readyz tells the truth about waiting notices and the store,
/metrics has the series a dashboard needs, and LOG_FORMAT=json logs one object a line."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import ServerProcess, base_env
from tests.e2e.slack_support import FILES, World, file_report, posted_to, world
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import LEADERS, TEACHER, TOKEN, USERS, SlackClient, slack_env

__all__ = ["world"]


async def get_json(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status, await r.json()


async def test_readyz_goes_503_while_slack_fails_for_an_hour_and_back_when_it_recovers(
    world: World,
) -> None:
    w = world
    status, body = await get_json(f"{w.server.url}/readyz")
    assert (status, body["status"], body["problems"]) == (200, "ready", [])
    w.api.fail_next("chat.postMessage", count=1000, status=500)
    reference = await file_report(w)
    # The notices wait; an hour later (the service's clock moved on) the bot is not ready.
    real = w.server.service.clock
    w.server.service.clock = lambda: real() + timedelta(hours=1, minutes=1)
    status, body = await get_json(f"{w.server.url}/readyz")
    assert status == 503
    assert body["notices_waiting"]["slack"]["count"] >= 2  # the receipt and the approval card
    assert body["notices_waiting"]["slack"]["oldest_seconds"] >= 3600
    assert body["problems"] == [body["problems"][0]] and "slack" in body["problems"][0]
    assert reference not in json.dumps(body)  # counts and ages only
    # Slack recovers: once the notices are delivered the bot is ready again.
    w.server.service.clock = real
    w.api.recover()
    await w.server.idle(timeout=30)
    assert posted_to(w, LEADERS) and posted_to(w, TEACHER)
    status, body = await get_json(f"{w.server.url}/readyz")
    assert (status, body["problems"], body["notices_waiting"]) == (200, [], {})


async def test_an_urgent_notice_waiting_five_minutes_is_enough(world: World) -> None:
    w = world
    w.api.fail_next("chat.postMessage", count=1000, status=500)
    threat = {"categories": ["violence"], "history": "not_discussed"}
    await file_report(w, what=threat)
    real = w.server.service.clock
    w.server.service.clock = lambda: real() + timedelta(minutes=6)
    status, body = await get_json(f"{w.server.url}/readyz")
    assert status == 503 and "urgent" in body["problems"][0]
    w.server.service.clock = real


async def test_readyz_is_503_when_the_store_cannot_be_read(world: World) -> None:
    w = world
    store = w.server.service.store

    async def broken() -> list[str]:
        raise OSError("disk gone")

    store.with_pending_outbox = broken
    status, body = await get_json(f"{w.server.url}/readyz")
    assert (status, body["store"]) == (503, "unreachable")
    assert body["problems"] == ["the store cannot be reached"]


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


async def test_metrics_after_a_report(world: World) -> None:
    w = world
    await file_report(w)
    await w.server.idle(timeout=15)
    async with aiohttp.ClientSession() as http, http.get(f"{w.server.url}/metrics") as r:
        assert r.status == 200 and r.content_type == "text/plain"
        metrics = families(await r.text())
    requests = metrics["post_concerns_http_requests"].samples
    slack_posts = [
        s for s in requests if s.labels["route"] == "/slack/events" and s.name.endswith("_total")
    ]
    # The slash command, three form steps and the submission: five 200s.
    assert sum(s.value for s in slack_posts if s.labels["status"] == "200") >= 5
    latency = metrics["post_concerns_http_request_duration_seconds"].samples
    assert any(s.labels.get("route") == "/slack/events" for s in latency)
    cases = {s.labels["status"]: s.value for s in metrics["post_concerns_cases"].samples}
    assert cases == {"awaiting_decision": 1.0}
    delivered = {
        s.labels["platform"]: s.value
        for s in metrics["post_concerns_deliveries"].samples
        if s.name.endswith("_total")
    }
    assert delivered["slack"] >= 2
    depth = metrics["post_concerns_outbox_depth"].samples
    assert depth == []  # nothing waits
    assert "post_concerns_reminders_queued" in metrics
    assert "post_concerns_delivery_failures" in metrics


async def test_json_logs_are_one_object_a_line_and_name_cases_by_reference_only(tmp_path) -> None:
    """A report filed through `python app.py` with LOG_FORMAT=json: every line is one JSON
    object; the reference is there, and (this folder's conftest checks every server log under
    tmp_path) no email, name, token or post text."""
    async with FakeSlackApi(users=USERS, files=FILES, token=TOKEN) as api:
        env = base_env(tmp_path / "data", LOG_FORMAT="json", **slack_env(api))
        server = ServerProcess(env)
        await server.start()
        try:
            async with aiohttp.ClientSession() as http:
                w = World(api, None, SlackClient(server.url, api, http), tmp_path / "data")
                reference = await file_report(w)
                await api.wait_for("chat.postMessage", 2)  # the receipt and the approval card
        finally:
            server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert any(e["message"].startswith("Listening on") for e in entries)
    assert any(reference in e["message"] for e in entries)
