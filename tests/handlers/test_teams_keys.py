"""Bot Framework's keys: fetched off the loop, an unknown kid refreshes at most once a minute."""

from __future__ import annotations

import asyncio
import time

import pytest

from handlers.teams import keys as keys_module
from handlers.teams.keys import OpenIdKeys
from tests.fakes.openid import FakeOpenId, new_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_unknown_kid_refreshes_at_most_once_a_minute_and_finds_a_rotated_key():
    clock = Clock()
    with FakeOpenId().serving() as openid:
        keys = OpenIdKeys(openid.metadata_url, clock)
        assert await keys.refresh_soon()
        assert (await keys.get(openid.kid)).endorsements == ("msteams",)
        rotated = ("rotated-key", new_key())
        openid.extra_keys.append(rotated)  # Microsoft adds a key; we have not seen it yet
        with pytest.raises(PermissionError):
            await keys.get("rotated-key")  # the start fetch was just now: no refresh yet
        assert openid.key_fetches == 1
        clock.now += 61
        assert (await keys.get("rotated-key")).public_key is not None  # one refresh found it
        assert openid.key_fetches == 2
        for n in range(50):
            with pytest.raises(PermissionError):
                await keys.get(f"forged-{n}")
        assert openid.key_fetches == 2  # fifty unknown kids within the minute: no refresh
        clock.now += 61
        with pytest.raises(PermissionError):
            await keys.get("forged-again")
        assert openid.key_fetches == 3
        with pytest.raises(PermissionError):
            await keys.get(None)  # a token naming no key


async def test_a_slow_key_server_is_given_up_on_and_the_old_keys_stay(monkeypatch):
    monkeypatch.setattr(keys_module, "TIMEOUT", 0.3)
    clock = Clock()
    with FakeOpenId().serving() as openid:
        keys = OpenIdKeys(openid.metadata_url, clock)
        assert await keys.refresh_soon()
        openid.delay = 1.0
        clock.now += 61
        started = time.monotonic()
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        with pytest.raises(PermissionError):
            await keys.get("unknown")
        ticker.cancel()
        assert time.monotonic() - started < 0.9  # the refresh's timeout, not the server's delay
        assert ticks >= 10  # the loop ran meanwhile: nothing blocked it
        assert await keys.get(openid.kid)  # the keys from before are kept


async def test_keys_that_cannot_be_read_are_skipped():
    keys = OpenIdKeys("https://login.example/never-fetched")
    keys.use({"keys": [{"kid": "x", "kty": "RSA", "n": "!!", "e": "AQAB"}, "junk", {"n": 1}]})
    assert keys.keys == {}
    keys.use({"keys": "not a list"})
    assert keys.keys == {}
