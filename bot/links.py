"""Signed, short-lived links to a case's files on the bot's own server."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from bot.storage.files import write_durably

TTL_SECONDS = 300


def load_or_create_key(data_dir: Path) -> bytes:
    """The signing key, kept under DATA_DIR so every instance sharing it signs alike."""
    path = Path(data_dir) / "link-signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        os.close(fd)
        write_durably(path, secrets.token_bytes(32))
    return path.read_bytes()


class LinkSigner:
    def __init__(self, key: bytes, clock: Callable[[], datetime]) -> None:
        self._key = key
        self._clock = clock

    def _signature(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, path: str, ttl: int = TTL_SECONDS) -> str:
        """The path with an expiry and a signature over both."""
        expires = int(self._clock().timestamp()) + ttl
        return (
            f"{path}?{urlencode({'expires': expires, 'signature': self._signature(path, expires)})}"
        )

    def check(self, path: str, expires: str, signature: str) -> str:
        """Empty if the link is good, else why not (for the log: no personal data)."""
        if not expires.isdigit():
            return "malformed"
        if not hmac.compare_digest(self._signature(path, int(expires)), signature):
            return "bad signature"
        if int(expires) < self._clock().timestamp():
            return "expired"
        return ""
