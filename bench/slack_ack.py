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
from bot.config import EXAMPLE_TRUST
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
# The judged card latency: CARD_CONCURRENCY reports at once, each from a different school of
# the trust, so each card goes to its own school's leadership channel; a round starts at most
# once a ROUND_GAP_S, so no channel gets more than the one card a second Slack allows there
# (the outbox paces each conversation to that; issue 16). The same 8 reports from one school,
# to one channel, are measured too and shown: their cards are paced, about one a second after
# a burst of three, so that figure is mostly Slack's pace, not the bot's time.
ROUND_GAP_S = 1.0
ONE_CHANNEL_ROUNDS = 2


def bench_school(n: int) -> tuple[str, str, str]:
    """School n of the spread: (its reporter's Slack id, its leadership channel, its domain)."""
    return f"UBENCH{n:02d}", f"C0BENCH{n:03d}", f"school{n}.example"


SPREAD = [bench_school(n) for n in range(1, CARD_CONCURRENCY + 1)]
SPREAD_USERS = {
    **USERS,
    **{user: (f"teacher@{domain}", f"Teacher {user[-2:]}") for user, _, domain in SPREAD},
    **{f"UHEADB{n:02d}": (f"head@{d}", f"Head {n:02d}") for n, (_, _, d) in enumerate(SPREAD, 1)},
}


def spread_trust(folder: Path) -> Path:
    """The example trust with CARD_CONCURRENCY more schools, each with its own leadership
    channel and approver (a trust of ten schools, as multi-academy trusts commonly are)."""
    schools = "".join(
        f"""
[[school]]
id = "bench-{n}"
name = "Bench School {n}"
staff_email_domains = ["{domain}"]
approvers = ["head@{domain}"]
safeguarding_leads = ["head@{domain}"]
slack_leadership_channel = "{channel}"
"""
        for n, (_, channel, domain) in enumerate(SPREAD, 1)
    )
    path = folder / "trust.toml"
    path.write_text(EXAMPLE_TRUST.read_text() + schools)
    return path


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
    api = FakeSlackApi(users=SPREAD_USERS, token=TOKEN)
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


async def open_form(slack: SlackClient, steps: int, user: str = TEACHER) -> Modal:
    """A teacher opens the report form and answers `steps` of its steps."""
    opened = len(slack.api.calls_to("views.open"))
    await slack.command(user)
    modal = await slack.opened(user, opened + 1)
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


async def card_latency(
    slack: SlackClient, rounds: int, reporters: Sequence[tuple[str, str]]
) -> list[float]:
    """Seconds from pressing Submit report to the approval card reaching the fake Slack API.

    Each (reporter, leadership channel) submits at once, `rounds` times, a round starting at
    most once a ROUND_GAP_S; each form is filled beforehand.
    """
    latencies: list[float] = []
    for _ in range(rounds):
        began = time.monotonic()
        modals = [(await open_form(slack, 3, user), channel) for user, channel in reporters]
        latencies += await asyncio.gather(*(submit_and_wait(slack, *m) for m in modals))
        await asyncio.sleep(max(0.0, began + ROUND_GAP_S - time.monotonic()))
    return latencies


async def submit_and_wait(slack: SlackClient, modal: Modal, channel: str) -> float:
    started = time.monotonic()
    reply = await slack.submit(modal)
    header = next(b for b in modal.view["blocks"] if b["type"] == "header")
    reference = header["text"]["text"].split()[1]
    assert reply.status == 200 and reference.startswith("OAK-"), reply.text

    def is_card(call: Call) -> bool:
        return call.args.get("channel") == channel and reference in str(call.args.get("text"))

    [card] = await slack.api.wait_for("chat.postMessage", 1, timeout=30, predicate=is_card)
    return card.at - started


async def run(requests: int, levels: Sequence[int], card_rounds: int) -> dict[str, Any]:
    """Both kinds of ack at every level, real and bare alternating; then card latency."""
    api = start_fake_api()
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(
            Path(tmp) / "data", **slack_env(api, TRUST_CONFIG=str(spread_trust(Path(tmp))))
        )
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
                spread = [(user, channel) for user, channel, _ in SPREAD]
                results["card"] = summary_ms(await card_latency(slack, card_rounds, spread))
                one = [(TEACHER, LEADERS)] * CARD_CONCURRENCY
                await settle(api, quiet=1.0)  # the clicks' thread notes in LEADERS are sent
                paced = await card_latency(slack, ONE_CHANNEL_ROUNDS, one)
                results["card_one_channel"] = summary_ms(paced)
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
    card, paced = results["card"], results["card_one_channel"]
    print(
        f"\nSubmission to approval card, {CARD_CONCURRENCY} concurrent from {CARD_CONCURRENCY} "
        f"schools: median {card['median_ms']} ms, p95 {card['p95_ms']} ms (n={card['n']})"
        f"\nThe same from one school, cards paced in its one leadership channel: median "
        f"{paced['median_ms']} ms, p95 {paced['p95_ms']} ms (n={paced['n']})"
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
