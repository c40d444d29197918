"""Start the real server on 127.0.0.1: in this process (AppRunner) or as `python app.py`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from app import STORE_KEY, build_app, load
from bot.config import EXAMPLE_TRUST, PRODUCTION_SETTINGS, Settings
from bot.service import CaseService
from bot.storage.port import Store

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_py(
    env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python app.py ARGS` as a person runs it, with these settings and none of this machine's
    platform, demo or database ones: what it printed and its exit code."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "Microsoft", "DEMO_", "DATABASE_")) and k != "HOST"
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Wednesday 23 December 2026, 10:00: a decision taken then, with the trust's due days (3 working
# days for the letter, 5 for legal advice), falls due past Christmas and the closure below.
BEFORE_CHRISTMAS = datetime(2026, 12, 23, 10, tzinfo=UTC)
# 3 working days: 24, 29, 30 December (25 and 28 December are bank holidays, 26 and 27 a
# weekend). 5: then 31 December and, past New Year's Day, the weekend and the INSET days, 6 January.
DUE_AFTER_CHRISTMAS = {
    "warning_letter": datetime(2026, 12, 30, 17, tzinfo=UTC),
    "legal_advice": datetime(2027, 1, 6, 17, tzinfo=UTC),
}
SHOWN_AFTER_CHRISTMAS = ("30 Dec 2026, 17:00", "06 Jan 2027, 17:00")


def christmas_trust(folder: Path) -> Path:
    """The example trust file with its closures replaced by two INSET days after Christmas
    (4 and 5 January 2027), written into folder."""
    text = EXAMPLE_TRUST.read_text().split("\n[[closure]]")[0]
    trust = folder / "christmas-trust.toml"
    trust.write_text(f'{text}\n[[closure]]\nfrom = 2027-01-04\nto = 2027-01-05\nname = "INSET"\n')
    return trust


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for a test server: loopback, its own data folder, the example trust file; and
    DEMO_MODE=1 (the web channel, unauthenticated Teams) unless a production setting is among
    `extra` (the server refuses that mix) or `extra` says DEMO_MODE itself ("" for off)."""
    demo = "" if any(extra.get(name) for name in PRODUCTION_SETTINGS) else "1"
    return {
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "DATA_DIR": str(data_dir),
        "TRUST_CONFIG": str(EXAMPLE_TRUST),
        "DEMO_MODE": demo,
        **extra,
    }


@dataclass
class Server:
    url: str
    service: CaseService
    app: web.Application

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the outbox has delivered everything it can."""
        deadline = time.monotonic() + timeout
        while await self.service.store.with_pending_outbox():
            if time.monotonic() > deadline:
                pending = await self.service.store.with_pending_outbox()
                raise AssertionError(f"outbox still pending for {pending}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def running_server(
    env: Mapping[str, str], store: Store | None = None
) -> AsyncIterator[Server]:
    """The real aiohttp application, composed by app.py, serving HTTP on 127.0.0.1; store, when
    given, instead of the one the settings name (PostgreSQL behind a demo-mode channel)."""
    settings = Settings.from_env(env)
    app: web.Application = build_app(load(settings), store)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    try:
        yield Server(f"http://{settings.host}:{settings.port}", app[STORE_KEY], app)
    finally:
        await runner.cleanup()


async def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], timeout: float, every: float = 0.05
) -> None:
    """Poll url's /healthz every `every` s until it answers 200; RuntimeError if the process
    exits first or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server at {url} exited with {proc.returncode}")
            try:
                async with http.get(f"{url}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(every)
    raise RuntimeError(f"the server at {url} did not answer /healthz")


class ServerProcess:
    """`python app.py` in a child process, for restart and kill tests."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env["DATA_DIR"]).parent / f"server-{env['PORT']}.log"

    async def start(self, timeout: float = 15.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        # Popen returns at once; the server outlives this call until stop() ends it.
        self.proc = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=self.env, stdout=out, stderr=out
        )
        try:
            await wait_healthy(self.url, self.proc, timeout)
        except RuntimeError as exc:
            raise AssertionError(f"{exc}: {self.log.read_text()[-2000:]}") from None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
