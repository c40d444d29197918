"""Bot Framework's token signing keys, fetched and refreshed off the event loop, with a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from botframework.connector.auth import (
    AuthenticationConstants,
    ChannelValidation,
    JwtTokenExtractor,
)
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

REFRESH_EVERY = 24 * 3600.0  # Microsoft's advice: look for new keys once a day
RETRY_EVERY = 60.0  # after a failed fetch; and an unknown kid refreshes at most this often
TIMEOUT = 10.0  # for the metadata and the keys together
MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's JwtTokenExtractor reads from its metadata: the key and its channels."""

    public_key: Any
    endorsements: tuple[str, ...]


def metadata_url() -> str:
    """The OpenID metadata botbuilder's channel validation reads (its override, or Microsoft's)."""
    return (
        ChannelValidation.open_id_metadata_endpoint
        or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    )


def parse_keys(jwks: Any) -> dict[str, SigningKey]:
    """A JWKS document's RSA keys by kid; keys of another kind or shape are skipped."""
    keys: dict[str, SigningKey] = {}
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
        except Exception:  # noqa: S112 - PyJWT's errors for a key it cannot read vary; skip it
            continue
        endorsements = entry.get("endorsements") or []
        keys[entry["kid"]] = SigningKey(
            public_key, tuple(e for e in endorsements if isinstance(e, str))
        )
    return keys


class OpenIdKeys:
    """Stands in for botbuilder's _OpenIdMetadata, which fetches with a blocking requests.get
    (no timeout, failures not cached) inside token validation, on the event loop: one forged
    token with an unknown kid stalled every request. Here the keys are fetched with aiohttp at
    start and once a day in the background; an unknown kid waits for at most one refresh a
    minute, and is otherwise refused at once."""

    def __init__(self, url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.clock = clock
        self.keys: dict[str, SigningKey] = {}
        self.fetches = 0
        self._last_started = -RETRY_EVERY  # when the last refresh (of any cause) began
        self._refreshing: asyncio.Task[bool] | None = None
        self._loop_task: asyncio.Task[None] | None = None

    def install(self) -> None:
        """Be the metadata botbuilder's channel validation reads for this URL."""
        JwtTokenExtractor.metadataCache[self.url] = self

    def use(self, jwks: dict[str, Any]) -> None:
        """Take these keys (a JWKS document) as the current ones."""
        self.keys = parse_keys(jwks)

    async def get(self, key_id: str | None) -> SigningKey:
        """The key botbuilder asks for; PermissionError (a 401) when there is none."""
        if not key_id:
            raise PermissionError("the token names no signing key")
        key = self.keys.get(key_id)
        if key is None and self._refreshing is None:
            if self.clock() - self._last_started >= RETRY_EVERY:
                self.refresh_soon()
        if key is None and self._refreshing is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._refreshing), TIMEOUT)
            except (TimeoutError, asyncio.CancelledError):
                pass
            key = self.keys.get(key_id)
        if key is None:
            raise PermissionError("the token's signing key is not one of Bot Framework's")
        return key

    def refresh_soon(self) -> asyncio.Task[bool]:
        """One refresh at a time: callers share the one under way."""
        if self._refreshing is None:
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh())
            self._refreshing.add_done_callback(self._done)
        return self._refreshing

    def _done(self, task: asyncio.Task[bool]) -> None:
        self._refreshing = None

    async def _refresh(self) -> bool:
        self.fetches += 1
        self._last_started = self.clock()
        try:
            async with asyncio.timeout(TIMEOUT), aiohttp.ClientSession() as http:
                metadata = await self._json(http, self.url)
                jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
                if not isinstance(jwks_uri, str) or not jwks_uri.startswith(
                    ("https://", "http://")
                ):
                    raise ValueError("no jwks_uri in the OpenID metadata")
                keys = parse_keys(await self._json(http, jwks_uri))
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            log.warning("could not fetch Bot Framework's signing keys: %s", type(exc).__name__)
            return False
        if not keys:
            log.warning("Bot Framework's key set had no usable key: the old keys stay")
            return False
        self.keys = keys
        log.info("Bot Framework signing keys: %d loaded", len(keys))
        return True

    @staticmethod
    async def _json(http: aiohttp.ClientSession, url: str) -> Any:
        async with http.get(url, allow_redirects=False) as response:
            response.raise_for_status()
            body = await response.content.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise ValueError("the answer is too large")
        return json.loads(body)

    def start(self) -> None:
        """Fetch now and then once a day (every minute until a fetch works), in the background."""
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            ok = await self.refresh_soon()
            await asyncio.sleep(REFRESH_EVERY if ok else RETRY_EVERY)

    async def stop(self) -> None:
        for task in (self._loop_task, self._refreshing):
            if task is not None:
                task.cancel()
                # Shutting down: whatever the task ended with, there is nothing to keep.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._loop_task = self._refreshing = None
