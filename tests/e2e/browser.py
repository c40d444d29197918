"""Debian's Chromium under Playwright, for browser tests: never a downloaded browser."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}  # a teacher on a phone
SHOTS = Path(__file__).resolve().parents[2] / "build" / "web-screenshots"


def require_chromium() -> None:
    """Skip, saying why, where the browser or the Playwright package is missing."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)")
    pytest.importorskip("playwright", reason="playwright is in requirements-dev.txt")


@asynccontextmanager
async def phone_browser(user_data: Path) -> AsyncIterator[object]:
    """A Chromium context with a new, empty profile and a phone-sized viewport."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(user_data),
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport=PHONE,
            device_scale_factor=1,
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            await context.close()


def png(width: int = 120, height: int = 80) -> bytes:
    """A small real PNG (a grey screenshot stand-in), made here rather than shipped."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([200, 200, 210]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
