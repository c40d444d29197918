"""`python app.py` killed (SIGKILL) at random while reports and decisions arrive, again and again.

Every report whose reference reached the teacher is stored, every store opens and verifies, and
each notification reaches Slack after the restarts: once, unless the process died in the
moment between Slack accepting it and the store recording that (then it goes again: the
outbox delivers at least once, and Slack has no idempotency key to make that exactly once).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from pathlib import Path

import aiohttp

from bot.storage.tinydb_store import TinyDBStore
from bot.timeline import verify
from tests.e2e.harness import ServerProcess, base_env
from tests.e2e.slack_support import STEP_PEOPLE, STEP_POST, STEP_WHAT
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_session import (
    HEAD,
    LEADERS,
    TEACHER,
    TOKEN,
    USERS,
    SlackClient,
    button_value,
    checkbox_state,
    slack_env,
)
from tests.faults.support import FULL, audit, duplicates, no_stray_files

# 50 kills take under two minutes on two cores; FULL_FAULTS=1 runs 200.
KILLS = 200 if FULL else 50
# A notice sent twice must have had a kill this close to its first delivery.
WINDOW_S = 0.5
LOST = (aiohttp.ClientError, asyncio.TimeoutError, AssertionError, ConnectionError)


async def report(slack: SlackClient, acknowledged: set[str]) -> None:
    """A teacher's whole report; the reference counts once the modal showed it."""
    opened = len(slack.api.calls_to("views.open"))
    await slack.command(TEACHER)
    modal = await slack.opened(TEACHER, opened + 1)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT, {}):
        reply = await slack.submit(modal, answers)
        assert reply.status == 200, reply.text
    header = next(b for b in modal.view["blocks"] if b["type"] == "header")
    reference = header["text"]["text"].split()[1]
    assert reference.startswith("OAK-"), modal.view
    acknowledged.add(reference)


async def decide(slack: SlackClient, rng: random.Random) -> None:
    """The head approves one of the cards in the leadership channel, as it stands."""
    cards = [m for (channel, _), m in slack.api.messages.items() if channel == LEADERS]
    undecided = [m for m in cards if "case_approve" in str(m.get("blocks"))]
    if not undecided:
        return
    message = rng.choice(undecided)
    await slack.click(
        HEAD,
        "case_approve",
        button_value(message, "case_approve"),
        message=message,
        state=checkbox_state(message),
    )


async def traffic(slack: SlackClient, acknowledged: set[str], rng: random.Random) -> None:
    """Reports and decisions, interleaved, until the server dies under them."""
    with contextlib.suppress(*LOST):
        while True:
            await report(slack, acknowledged)
            if rng.random() < 0.7:
                await decide(slack, rng)


async def run_and_kill(
    server: ServerProcess,
    slack: SlackClient,
    acked: set[str],
    rng: random.Random,
    kills: list[float],
) -> None:
    await server.start()
    task = asyncio.create_task(traffic(slack, acked, rng))
    await asyncio.sleep(rng.uniform(0.05, 1.0))
    kills.append(time.monotonic())  # the fake records its calls on the same clock
    server.kill()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def drained(server: ServerProcess, http: aiohttp.ClientSession, timeout: float) -> None:
    """Wait until the restarted server reports nothing left in its outbox."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with http.get(f"{server.url}/healthz") as r:
            if (await r.json())["store"]["pending_outbox"] == 0:
                return
        await asyncio.sleep(0.2)
    raise AssertionError("the outbox did not drain after the last restart")


async def test_sigkill_at_random_loses_no_acknowledged_report_and_sends_each_notice_once(
    tmp_path: Path,
):
    rng = random.Random(20261126)
    acked: set[str] = set()
    kills: list[float] = []
    async with FakeSlackApi(users=USERS, token=TOKEN) as api:
        env = base_env(tmp_path / "data", **slack_env(api))
        server = ServerProcess(env)
        async with aiohttp.ClientSession() as http:
            slack = SlackClient(server.url, api, http)
            for _ in range(KILLS):
                await run_and_kill(server, slack, acked, rng, kills)
            await server.start()
            try:
                # Approval cards to the one leadership channel go out about one a second (Slack's
                # pace for a channel), so the last restart may owe a card per report.
                await drained(server, http, timeout=60 + 2 * len(acked))
            finally:
                server.stop()
    assert len(acked) >= KILLS // 2, "the traffic should have filed reports between kills"
    audit(env)
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    stored = set(await store.references())
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)}"
    for ref in stored:
        record = await store.load(ref)
        assert record is not None and verify(record.timeline) == [], ref
        assert not record.pending, f"{ref} still has notifications to send"
    await store.close()
    no_stray_files(tmp_path / "data")

    posts = api.calls_to("chat.postMessage")
    for ref in stored:
        assert any(p.args["channel"] == LEADERS and ref in p.args["text"] for p in posts), ref
    twice = unexplained_repeats(posts, kills)
    assert twice == [], f"sent again without a kill right after the first: {twice}"


def unexplained_repeats(posts: list[Call], kills: list[float]) -> list[str]:
    """Notices that reached Slack more than once with no kill just after the earlier copy."""
    by_notice: dict[tuple[str, str, str], list[Call]] = {}
    for p in posts:
        key = (p.args["channel"], str(p.args.get("thread_ts", "")), str(p.args.get("text", "")))
        by_notice.setdefault(key, []).append(p)
    found = []
    for key in duplicates(k for k, calls in by_notice.items() for _ in calls):
        calls = sorted(by_notice[key], key=lambda c: c.at)
        for first, again in itertools.pairwise(calls):
            # The fake may read the last request of a killed server just after the kill.
            if not any(
                first.at - WINDOW_S <= k <= min(again.at, first.at + WINDOW_S) for k in kills
            ):
                found.append(f"{key[0]} {key[2][:60]!r}, again {again.at - first.at:.2f} s later")
    return found
