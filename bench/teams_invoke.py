"""adaptiveCard/action latency: the real server next to a bare botbuilder bot (p99 <= 1.5x)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bench.stats import print_table, ratio, save, summary_ms
from bot.config import EXAMPLE_TRUST, Settings
from cards import teams
from handlers.teams.channel import AuthConfig, activity_route, make_adapter
from tests.fakes import teams_activities as ta
from tests.fakes.connector import FakeConnector
from tests.samples import answers_values

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (1, 8, 32, 64)
ROUNDS = 3


class BareBot(TeamsActivityHandler):
    """The floor: botbuilder's own turn machinery answering every invoke with a one-line card."""

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        card = teams.card([teams.text("OK")])
        return InvokeResponse(status=int(HTTPStatus.OK), body=teams.invoke_card(card))


def serve_bare(port: int, tuned: bool = False) -> None:
    """Run the bare bot behind the same kind of route as the real server: on botbuilder's own
    adapter and authentication as they come (the stack's ceiling, which the target is judged
    against), or, tuned, on the bot's adapter, which keeps the clients botbuilder would make
    again on every turn (to show what the bot's own handling costs on top)."""
    app = web.Application()
    s = Settings()
    if tuned:
        adapter = make_adapter(s)
    else:
        config = AuthConfig(s.app_id, s.app_password, s.app_type, s.app_tenant_id)
        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    app.router.add_post("/api/messages", activity_route(adapter, BareBot().on_turn))
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_up(url: str, http: aiohttp.ClientSession, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"the server at {url} exited")
        try:
            async with http.post(f"{url}/api/messages", json={}) as r:
                if r.status in (400, 415):
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit(f"the server at {url} did not start")


def spawn(args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def post(http: aiohttp.ClientSession, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with http.post(f"{url}/api/messages", json=payload) as r:
        body = await r.json() if r.content_type == "application/json" else {}
        if r.status not in (200, 201):
            raise SystemExit(f"set-up request failed: {r.status}")
        return body


async def file_a_case(http: aiohttp.ClientSession, url: str, connector: FakeConnector) -> str:
    """Install the app for the head and a teacher, file one report: the case the cards show."""
    for user, chat in ((ta.HEAD, ta.HEAD_CHAT), (ta.TEACHER, ta.TEACHER_CHAT)):
        await post(http, url, ta.conversation_update_installed(user, connector.service_url, chat))
    values = {k: ",".join(v) if isinstance(v, list) else v for k, v in answers_values().items()}
    data = {teams.FORM: "bench", teams.VALUES: values}
    invoke = ta.adaptive_card_invoke(
        "report_submit", data, ta.TEACHER, connector.service_url, ta.TEACHER_CHAT
    )
    body = await post(http, url, invoke)
    return body["value"]["body"][0]["text"].split()[1]


async def measure(
    http: aiohttp.ClientSession, url: str, payload: dict[str, Any], concurrency: int, total: int
) -> list[float]:
    """`concurrency` clients each sending invokes back to back; one latency per request."""
    latencies: list[float] = []
    per_client = max(1, total // concurrency)

    async def client() -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            async with http.post(f"{url}/api/messages", json=payload) as r:
                await r.read()
                if r.status != 200:
                    raise SystemExit(f"invoke answered {r.status}")
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


async def run(total: int, levels: Sequence[int] = LEVELS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeConnector() as connector:
            for user in (ta.HEAD, ta.TEACHER):
                connector.members[user.id] = user.member()
            real_port, bare_port, tuned_port = free_port(), free_port(), free_port()
            real_env = {
                "HOST": "127.0.0.1",
                "PORT": str(real_port),
                "DATA_DIR": str(Path(tmp) / "data"),
                "TRUST_CONFIG": str(EXAMPLE_TRUST),
                "DEMO_MODE": "1",  # unauthenticated Teams, as the Emulator talks to it
            }
            real = spawn(["app.py"], real_env)
            bare = spawn(["-m", "bench.teams_invoke", "--serve-bare", str(bare_port)], {})
            tuned = spawn(
                ["-m", "bench.teams_invoke", "--serve-bare", str(tuned_port), "--tuned"], {}
            )
            try:
                limits = aiohttp.TCPConnector(limit=max(levels) * 2)
                async with aiohttp.ClientSession(connector=limits) as http:
                    urls = {
                        "bot": f"http://127.0.0.1:{real_port}",
                        "bare": f"http://127.0.0.1:{bare_port}",
                        "tuned": f"http://127.0.0.1:{tuned_port}",
                    }
                    for url, proc in zip(urls.values(), (real, bare, tuned), strict=True):
                        await wait_up(url, http, proc)
                    reference = await file_a_case(http, urls["bot"], connector)
                    # The approver opening the card: the invoke every approval card gets.
                    payload = ta.adaptive_card_invoke(
                        teams.REFRESH,
                        {teams.CASE: f"{reference}:1"},
                        ta.HEAD,
                        connector.service_url,
                        ta.HEAD_CHAT,
                        trigger="automatic",
                    )
                    return await compare(http, urls, payload, total, levels)
            finally:
                for proc in (real, bare, tuned):
                    proc.terminate()
                    proc.wait(10)


async def compare(
    http: aiohttp.ClientSession,
    urls: dict[str, str],
    payload: dict[str, Any],
    total: int,
    levels: Sequence[int],
) -> dict[str, Any]:
    """{level: {real, bare, p99_ratio, tuned, tuned_ratio}}: the bot and the bare bots take
    turns within each level."""
    for url in urls.values():
        await measure(http, url, payload, 4, 100)  # warm up: caches, connections
    results: dict[str, Any] = {}
    for level in levels:
        times: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(ROUNDS):  # alternating, so drift on the machine hits both alike
            for name, url in urls.items():
                times[name] += await measure(http, url, payload, level, total // ROUNDS)
        real, bare, tuned = (summary_ms(times[name]) for name in ("bot", "bare", "tuned"))
        results[str(level)] = {
            "real": real,
            "bare": bare,
            "p99_ratio": ratio(real, bare),
            "tuned": tuned,
            "tuned_ratio": ratio(real, tuned),
        }
    return results


def report(results: dict[str, Any]) -> None:
    rows = [
        (level, x["real"]["median_ms"], x["real"]["p99_ms"], x["bare"]["median_ms"])
        + (x["bare"]["p99_ms"], x["p99_ratio"], x["tuned"]["p99_ms"], x["tuned_ratio"])
        for level, x in results.items()
    ]
    print_table(
        "Teams adaptiveCard/action (approver refresh) latency (ms), bot vs bare botbuilder bots "
        "(stock adapter; tuned: on the bot's adapter)",
        [
            "concurrency",
            "bot median",
            "bot p99",
            "bare median",
            "bare p99",
            "p99 ratio",
            "tuned p99",
            "ratio to tuned",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.teams_invoke", description=__doc__)
    parser.add_argument("--requests", type=int, default=384, help="requests per level and bot")
    parser.add_argument("--serve-bare", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare, args.tuned)
        return 0
    results = asyncio.run(run(args.requests))
    report(results)
    save("teams_invoke", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
