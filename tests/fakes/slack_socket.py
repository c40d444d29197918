"""Slack's Socket Mode, beside the fake Web API: a websocket that says hello and sends envelopes."""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_api import FakeSlackApi, free_socket


class FakeSocketMode:
    """`apps.connections.open` on the fake Web API answers with this server's websocket URL;
    a bot that connects is greeted with `hello`, sent envelopes, and its acks are kept."""

    def __init__(self, api: FakeSlackApi) -> None:
        self.api = api
        self.url = ""
        self.acks: dict[str, dict[str, Any]] = {}
        self.opened_with: list[str] = []  # the token each apps.connections.open carried
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeSocketMode:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = free_socket()
        await web.SockSite(self._runner, sock).start()
        self.url = f"ws://127.0.0.1:{sock.getsockname()[1]}/link"
        # The fake Web API has no Socket Mode of its own: add the one method that opens it.
        self.api._methods["apps.connections.open"] = lambda args: {"ok": True, "url": self.url}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}}
        )
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                body = message.json()
                if "envelope_id" in body:
                    self.acks[body["envelope_id"]] = body
        return ws

    async def connected(self, timeout: float = 10) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self._ws is None:
            assert asyncio.get_running_loop().time() < deadline, "the bot never connected"
            await asyncio.sleep(0.02)

    async def send(
        self, kind: str, payload: dict[str, Any], timeout: float = 3, wait: bool = True
    ) -> dict[str, Any]:
        """One envelope (slash_commands, interactive, events_api); returns the bot's ack (or,
        with wait=False, just the envelope id)."""
        await self.connected()
        assert self._ws is not None
        envelope_id = str(uuid.uuid4())
        await self._ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        if not wait:
            return {"envelope_id": envelope_id}
        deadline = asyncio.get_running_loop().time() + timeout
        while envelope_id not in self.acks:
            assert asyncio.get_running_loop().time() < deadline, f"no ack for {kind} in {timeout}s"
            await asyncio.sleep(0.01)
        return self.acks[envelope_id]
