"""Receipts to 200 people through the outbox against a Web API answering in 150 ms (target: < 10 s).

`python -m bench.outbox_drain [--people N] [--latency S] [--store tinydb|postgresql URL]`: files N
cases from N reporters, then times the outbox until every receipt reached the fake Slack API.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import EXAMPLE_TRUST, load_trust
from bot.forms import report_form, to_answers
from bot.models import Actor
from bot.outbox import OutboxWorker
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from handlers.fetch import SafeFetch
from handlers.slack.people import SlackDirectory
from handlers.slack.sender import SlackSender
from tests.fakes.slack_api import FakeSlackApi
from tests.samples import answers_values

TARGET_S = 10.0
TOKEN = "xoxb-bench"  # the fake's token, not a secret  # noqa: S105
LEADERS = "C0LEADERS1"


async def run(people: int, latency: float) -> float:
    policy, trust = load_policy(), load_trust(EXAMPLE_TRUST)
    with tempfile.TemporaryDirectory() as tmp:
        store = TinyDBStore(Path(tmp) / "data")
        await store.open()
        service = CaseService(store, trust, policy)
        answers = to_answers(report_form(policy), answers_values(), service.today(), "oak-primary")
        for n in range(people):
            reporter = Actor("slack", f"UR{n:05d}", f"teacher{n}@oakprimary.example", "A Teacher")
            await service.submit(reporter, answers, f"bench-{n}")
        async with (
            FakeSlackApi(token=TOKEN, latency=latency) as api,
            aiohttp.ClientSession() as http,
        ):
            client = AsyncWebClient(token=TOKEN, base_url=api.base_url, session=http)
            sender = SlackSender(client, service, SlackDirectory(client), SafeFetch())
            worker = OutboxWorker(service, {"slack": sender})

            def receipts() -> int:
                posts = api.calls_to("chat.postMessage")
                return sum(1 for c in posts if c.args["channel"] != LEADERS)

            started = time.monotonic()
            while receipts() < people:
                await worker.drain()
            took = time.monotonic() - started
        await store.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.15)
    args = parser.parse_args()
    took = asyncio.run(run(args.people, args.latency))
    verdict = "met" if took < TARGET_S else "MISSED"
    print(
        f"{args.people} receipts to {args.people} people, Web API at {args.latency * 1000:.0f} ms: "
        f"{took:.1f} s (target < {TARGET_S:.0f} s: {verdict}); "
        f"{args.people * args.latency / took:.1f} deliveries in flight on average"
    )


if __name__ == "__main__":
    main()
