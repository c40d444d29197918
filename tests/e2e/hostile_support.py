"""For the hostile-input tests: the real server on a background loop, driven by synchronous code.

Hypothesis runs many examples per test; one server per module on its own thread lets every
example be a plain HTTP request, while the server's state stays inspectable from the test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.service import CaseService
from bot.timeline import verify

T = TypeVar("T")

# Bounded so that each module runs in well under a minute on two cores; no deadline, since a
# request's time depends on the machine, not on the example.
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as people and attackers send it: any Unicode (controls, surrogate-free astral planes,
# right-to-left marks), sometimes very long.
ODD_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0x80, exclude_categories=("Cs",)), max_size=2000),
    st.sampled_from(["", " ", "\u202e\u0000", "null", "{}", "[]"]),
    # Huge strings, built when drawn (so that a failure report stays readable).
    st.sampled_from(["a", "𝕏", "\u0301"]).map(lambda c: c * 100_000),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4)
    ),
    max_leaves=12,
)


class Background:
    """An event loop on a thread of its own, and what was entered on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._stack = AsyncExitStack()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def enter(self, make: Callable[[], AbstractAsyncContextManager[T]]) -> T:
        """Make a context manager on the loop (aiohttp wants its loop running) and enter it."""

        async def go() -> T:
            return await self._stack.enter_async_context(make())

        return self.run(go())

    def close(self) -> None:
        self.run(self._stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


async def snapshot(service: CaseService) -> dict[str, tuple[str, int, int]]:
    """Each case's status, version and timeline length, every timeline verified."""
    found = {}
    for ref in await service.store.references():
        record = await service.store.load(ref)
        assert record is not None, ref
        assert verify(record.timeline) == [], ref
        found[ref] = (record.case.status.value, record.case.version, len(record.timeline))
    return found


def no_traceback(status: int, text: str) -> None:
    """The server's answer to a hostile request: never a 5xx, never a stack trace."""
    assert status < 500, (status, text[:500])
    assert "Traceback" not in text and 'File "' not in text, text[:500]


async def settle(idle: Callable[[], Awaitable[None]]) -> None:
    """Let background listeners (Bolt acks first) finish before state is compared."""
    await asyncio.sleep(0.05)
    await idle()
