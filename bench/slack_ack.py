"""Slack ack latency of a button click: the real server beside a bare Bolt app, in one run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.stats import print_table, save, summary_ms
from tests.e2e.harness import ROOT, ServerProcess, base_env, free_port
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import (
    DSL,
    LEADERS,
    SECRET,
    TEACHER,
    TOKEN,
    USERS,
    SlackClient,
    button_value,
    checkbox_state,
    slack_env,
)
from tests.fakes.slack_signing import FORM, form_payload, sign

CONCURRENCY = (1, 8, 32)
ROUNDS = 3  # each level alternates real and bare this many times, so drift hits both alike


def serve_bare(port: int) -> None:
    """A bare AsyncApp with a no-op listener, mounted on aiohttp the way the real server is."""
    from handlers.slack import mount_bolt

    client = AsyncWebClient(token=TOKEN, base_url=os.environ["SLACK_API_URL"])
    bolt = AsyncApp(signing_secret=SECRET, client=client, process_before_response=False)

    @bolt.action("case_approve")
    async def noop(ack) -> None:  # noqa: ANN001 - Bolt injects by name
        await ack()

    app = web.Application()
    mount_bolt(app, bolt)
    app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def start_fake_api() -> FakeSlackApi:
    """The fake Slack API on its own thread and loop, so its work does not skew the client."""
    api = FakeSlackApi(users=USERS, token=TOKEN)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(api.start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True, name="fake-slack").start()
    ready.wait(10)
    return api


async def file_case(slack: SlackClient) -> None:
    from tests.e2e.slack_support import STEP_PEOPLE, STEP_POST, STEP_WHAT

    await slack.command(TEACHER)
    modal = await slack.opened(TEACHER)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT, {}):
        await slack.submit(modal, answers)


async def click_body(api: FakeSlackApi, slack: SlackClient) -> bytes:
    """A safeguarding lead (not an approver) presses Approve: the full listener path runs."""
    deadline = time.monotonic() + 15
    while not [k for k in api.messages if k[0] == LEADERS]:
        if time.monotonic() > deadline:
            raise RuntimeError("the approval card never arrived")
        await asyncio.sleep(0.05)
    message = next(m for (ch, _), m in api.messages.items() if ch == LEADERS)
    payload = {
        **slack.base(DSL, "block_actions"),
        "trigger_id": "1.1.bench",
        "actions": [
            {
                "type": "button",
                "action_id": "case_approve",
                "block_id": "decision",
                "value": button_value(message, "case_approve"),
                "action_ts": "1.1",
            }
        ],
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": LEADERS},
        "channel": {"id": LEADERS},
        "message": message,
        "state": checkbox_state(message),
    }
    return form_payload(payload)


async def measure(
    http: aiohttp.ClientSession, url: str, body: bytes, concurrency: int, n: int
) -> list[float]:
    """n signed clicks, concurrency at a time; each one's time to Slack's HTTP answer."""
    gate = asyncio.Semaphore(concurrency)
    headers = sign(body, SECRET, content_type=FORM)

    async def one() -> float:
        async with gate:
            started = time.perf_counter()
            async with http.post(f"{url}/slack/events", data=body, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"{url} answered {r.status}")
            return time.perf_counter() - started

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def run(requests: int) -> dict[str, object]:
    api = start_fake_api()
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(Path(tmp) / "data", **slack_env(api))
        real = ServerProcess(env)
        bare_port = free_port()
        bare_env = {**os.environ, **env, "PORT": str(bare_port)}
        bare = subprocess.Popen(
            [sys.executable, "-m", "bench.slack_ack", "--bare", str(bare_port)],
            cwd=ROOT,
            env=bare_env,
        )
        bare_url = f"http://127.0.0.1:{bare_port}"
        await real.start()
        try:
            connector = aiohttp.TCPConnector(limit=64)
            async with aiohttp.ClientSession(connector=connector) as http:
                await wait_ready(http, bare_url)
                slack = SlackClient(real.url, api, http)
                await file_case(slack)
                body = await click_body(api, slack)
                for url in (real.url, bare_url):  # warm up: auth.test, caches, connections
                    await measure(http, url, body, 8, 40)
                return await compare(http, real.url, bare_url, body, requests)
        finally:
            real.stop()
            bare.terminate()
            bare.wait(10)


async def wait_ready(http: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{url}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


async def compare(
    http: aiohttp.ClientSession, real: str, bare: str, body: bytes, requests: int
) -> dict[str, object]:
    results: dict[str, object] = {}
    rows: list[Sequence[object]] = []
    for c in CONCURRENCY:
        times: dict[str, list[float]] = {"real": [], "bare": []}
        for _ in range(ROUNDS):
            times["real"] += await measure(http, real, body, c, requests // ROUNDS)
            times["bare"] += await measure(http, bare, body, c, requests // ROUNDS)
        r, b = summary_ms(times["real"]), summary_ms(times["bare"])
        results[str(c)] = {"real": r, "bare": b}
        rows.append((c, r["median_ms"], r["p99_ms"], b["median_ms"], b["p99_ms"], ratio(r, b)))
    print_table(
        "Slack button click: ack latency (ms), real server vs bare Bolt app",
        ("concurrency", "real median", "real p99", "bare median", "bare p99", "p99 ratio"),
        rows,
    )
    at32 = results["32"]
    assert isinstance(at32, dict)
    verdict = at32["real"]["p99_ms"] <= max(1.5 * at32["bare"]["p99_ms"], 0) and (
        at32["real"]["p99_ms"] < 100
    )
    print(
        f"\nAt 32 concurrent: p99 {at32['real']['p99_ms']} ms vs {at32['bare']['p99_ms']} ms "
        f"(ratio {ratio(at32['real'], at32['bare'])}); target <= 1.5x and < 100 ms: "
        f"{'met' if verdict else 'NOT met'}"
    )
    return results


def ratio(real: dict[str, float], bare: dict[str, float]) -> float:
    return round(real["p99_ms"] / bare["p99_ms"], 2) if bare["p99_ms"] else float("inf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_ack", description=__doc__)
    parser.add_argument("--requests", type=int, default=600, help="clicks per level and app")
    parser.add_argument("--bare", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare:
        serve_bare(args.bare)
        return 0
    results = asyncio.run(run(args.requests))
    path = save("slack_ack", results)
    print(f"\nSaved {path.relative_to(ROOT)}")
    print(json.dumps(results["32"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
