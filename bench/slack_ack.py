"""Slack ack latency of button clicks and form submissions beside a bare Bolt app; card latency."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.stats import print_table, ratio, save, summary_ms
from tests.e2e.harness import ROOT, ServerProcess, base_env, free_port, wait_healthy
from tests.e2e.slack_support import STEP_PEOPLE, STEP_POST, STEP_WHAT
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_session import (
    DSL,
    LEADERS,
    SECRET,
    TEACHER,
    TOKEN,
    USERS,
    Modal,
    SlackClient,
    button_value,
    checkbox_state,
    slack_env,
    view_state,
)
from tests.fakes.slack_signing import FORM, form_payload, sign

CONCURRENCY = (1, 8, 32, 64)
ROUNDS = 3  # each level alternates real and bare this many times, so drift hits both alike
KINDS = ("click", "submission")
CARD_CONCURRENCY = 8


def serve_bare(port: int) -> None:
    """A bare AsyncApp with a no-op listener, mounted on aiohttp the way the real server is."""
    from handlers.slack.channel import mount_bolt

    client = AsyncWebClient(token=TOKEN, base_url=os.environ["SLACK_API_URL"])
    bolt = AsyncApp(signing_secret=SECRET, client=client, process_before_response=False)

    @bolt.action("case_approve")
    async def noop(ack) -> None:  # noqa: ANN001 - Bolt injects by name
        await ack()

    @bolt.view("report_form")
    async def noop_view(ack) -> None:  # noqa: ANN001 - Bolt injects by name
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


async def open_form(slack: SlackClient, steps: int) -> Modal:
    """A teacher opens the report form and answers `steps` of its steps."""
    opened = len(slack.api.calls_to("views.open"))
    await slack.command(TEACHER)
    modal = await slack.opened(TEACHER, opened + 1)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT)[:steps]:
        await slack.submit(modal, answers)
    return modal


async def file_case(slack: SlackClient) -> None:
    await slack.submit(await open_form(slack, 3))


def submission_body(slack: SlackClient, modal: Modal, answers: dict[str, object]) -> bytes:
    """The form's first step submitted as Slack sends it: the draft is checked and saved."""
    payload = {
        **slack.base(modal.user, "view_submission"),
        "trigger_id": "1.1.bench",
        "view": {
            **modal.view,
            "id": modal.id,
            "hash": modal.hash,
            "state": view_state(modal.view, answers, slack.api),
        },
        "response_urls": [],
    }
    return form_payload(payload)


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


async def card_latency(slack: SlackClient, rounds: int) -> list[float]:
    """Seconds from pressing Submit report to the approval card reaching the fake Slack API.

    CARD_CONCURRENCY teachers submit at once, `rounds` times; each form is filled beforehand.
    """
    latencies: list[float] = []
    for _ in range(rounds):
        modals = [await open_form(slack, 3) for _ in range(CARD_CONCURRENCY)]
        latencies += await asyncio.gather(*(submit_and_wait(slack, m) for m in modals))
    return latencies


async def submit_and_wait(slack: SlackClient, modal: Modal) -> float:
    started = time.monotonic()
    reply = await slack.submit(modal)
    header = next(b for b in modal.view["blocks"] if b["type"] == "header")
    reference = header["text"]["text"].split()[1]
    assert reply.status == 200 and reference.startswith("OAK-"), reply.text

    def is_card(call: Call) -> bool:
        return call.args.get("channel") == LEADERS and reference in str(call.args.get("text"))

    [card] = await slack.api.wait_for("chat.postMessage", 1, timeout=30, predicate=is_card)
    return card.at - started


async def run(requests: int, levels: Sequence[int], card_rounds: int) -> dict[str, Any]:
    """Both kinds of ack at every level, real and bare alternating; then card latency."""
    api = start_fake_api()
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(Path(tmp) / "data", **slack_env(api))
        real = ServerProcess(env)
        bare_port = free_port()
        bare_env = {**os.environ, **env, "PORT": str(bare_port)}
        # Popen returns at once; the bare server runs beside the measurement until it is stopped.
        bare = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "bench.slack_ack", "--bare", str(bare_port)],
            cwd=ROOT,
            env=bare_env,
        )
        bare_url = f"http://127.0.0.1:{bare_port}"
        await real.start()
        try:
            connector = aiohttp.TCPConnector(limit=max(levels))
            async with aiohttp.ClientSession(connector=connector) as http:
                await wait_healthy(bare_url, bare, timeout=15)
                slack = SlackClient(real.url, api, http)
                await file_case(slack)
                bodies = {
                    "click": await click_body(api, slack),
                    "submission": submission_body(slack, await open_form(slack, 0), STEP_POST),
                }
                for body in bodies.values():  # warm up: auth.test, caches, connections
                    for url in (real.url, bare_url):
                        await measure(http, url, body, 8, 40)
                results = await compare(api, http, real.url, bare_url, bodies, requests, levels)
                await asyncio.sleep(1)  # let the clicks' background work settle
                results["card"] = summary_ms(await card_latency(slack, card_rounds))
                return results
        finally:
            real.stop()
            bare.terminate()
            bare.wait(10)


async def settle(api: FakeSlackApi, quiet: float = 0.2) -> None:
    """Wait until the real server's work after its acks (a click's ephemeral answer) is done,
    so it does not load the machine while the bare app is measured."""
    seen = -1
    while seen != len(api.calls):
        seen = len(api.calls)
        await asyncio.sleep(quiet)


async def compare(
    api: FakeSlackApi,
    http: aiohttp.ClientSession,
    real: str,
    bare: str,
    bodies: dict[str, bytes],
    requests: int,
    levels: Sequence[int],
) -> dict[str, Any]:
    """{kind: {level: {real, bare, p99_ratio}}}, the two apps taking turns within each level."""
    results: dict[str, Any] = {}
    for kind, body in bodies.items():
        results[kind] = {}
        for c in levels:
            times: dict[str, list[float]] = {"real": [], "bare": []}
            for _ in range(ROUNDS):
                times["real"] += await measure(http, real, body, c, requests // ROUNDS)
                await settle(api)
                times["bare"] += await measure(http, bare, body, c, requests // ROUNDS)
            r, b = summary_ms(times["real"]), summary_ms(times["bare"])
            results[kind][str(c)] = {"real": r, "bare": b, "p99_ratio": ratio(r, b)}
    return results


def report(results: dict[str, Any]) -> None:
    for kind in KINDS:
        rows: list[Sequence[object]] = [
            (c, x["real"]["median_ms"], x["real"]["p99_ms"], x["bare"]["median_ms"])
            + (x["bare"]["p99_ms"], x["p99_ratio"])
            for c, x in results[kind].items()
        ]
        print_table(
            f"Slack {kind}: ack latency (ms), real server vs bare Bolt app",
            ("concurrency", "real median", "real p99", "bare median", "bare p99", "p99 ratio"),
            rows,
        )
    card = results["card"]
    print(
        f"\nSubmission to approval card at {CARD_CONCURRENCY} concurrent: median "
        f"{card['median_ms']} ms, p95 {card['p95_ms']} ms (n={card['n']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_ack", description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="requests per level and app")
    parser.add_argument("--card-rounds", type=int, default=8, help="rounds of 8 submissions")
    parser.add_argument("--bare", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare:
        serve_bare(args.bare)
        return 0
    results = asyncio.run(run(args.requests, CONCURRENCY, args.card_rounds))
    report(results)
    path = save("slack_ack", results)
    print(f"\nSaved {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
