"""Signed, short-lived links to a case's files, bound to one person; the keys that sign them."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from bot.errors import ConfigError
from bot.storage.files import write_durably

TTL_SECONDS = 300
KEY_BYTES = 32
KEY_FILE = "link-signing.key"
PREVIOUS_FILE = "link-signing.previous"  # the key before the last rotation, with its time
# Each signed parameter has one exact form; anything else is refused before it is used.
PARAMETERS = {
    "expires": re.compile(r"[0-9]{1,12}"),
    "kid": re.compile(r"[0-9a-f]{8}"),
    "for": re.compile(r"[a-z]{1,10}:[\x21-\x7e]{1,200}"),  # Actor.key: platform:user id
    "signature": re.compile(r"[0-9a-f]{64}"),
}


def key_id(key: bytes) -> str:
    """A short public name for a key, so a link says which key signed it."""
    return hashlib.sha256(b"link-signing key id\n" + key).hexdigest()[:8]


def read_key(path: Path) -> bytes:
    """The key in path, which must be exactly KEY_BYTES long: an empty or cut-short key (a
    crash or a full disk while it was written) is refused, naming the file."""
    data = path.read_bytes()
    if len(data) != KEY_BYTES:
        raise ConfigError(
            str(path),
            "-",
            f"the link-signing key must be {KEY_BYTES} bytes and this file has {len(data)}: "
            "restore it from a backup, or delete it to make a new one (links already given "
            "out stop working)",
        )
    return data


def load_or_create_key(data_dir: Path) -> bytes:
    """The current signing key, kept under DATA_DIR so every instance sharing it signs alike.
    Made once, atomically: the file appears whole or not at all, and two instances starting
    together keep the same one."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_exclusively(path, secrets.token_bytes(KEY_BYTES))
    return read_key(path)


def _create_exclusively(path: Path, data: bytes) -> None:
    """Write a temporary file, fsync it, and link it into place only if path is still absent."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    write_durably(tmp, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another instance made it first: theirs is the key
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def rotate_link_key(data_dir: Path, now: datetime) -> tuple[str, str]:
    """A new signing key; the old one is kept as the previous key and honoured for links
    issued before now, until they expire. Returns (old key id, new key id)."""
    old = load_or_create_key(data_dir)
    new = secrets.token_bytes(KEY_BYTES)
    stamp = int(now.timestamp()).to_bytes(8, "big")
    write_durably(Path(data_dir) / PREVIOUS_FILE, old + stamp)
    write_durably(Path(data_dir) / KEY_FILE, new)
    return key_id(old), key_id(new)


class KeyRing:
    """The current key and the previous one, read again whenever the key file changes (a
    rotation by `python app.py keys rotate` reaches a running server without a restart)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._seen: tuple[int, int] | None = None
        self._current = load_or_create_key(self.data_dir)
        self._previous: tuple[bytes, int] | None = None
        self._reload()

    def _reload(self) -> None:
        path = self.data_dir / KEY_FILE
        stat = path.stat()
        seen = (stat.st_mtime_ns, stat.st_ino)
        if seen == self._seen:
            return
        self._current = read_key(path)
        self._previous = None
        previous = self.data_dir / PREVIOUS_FILE
        if previous.exists():
            raw = previous.read_bytes()
            if len(raw) == KEY_BYTES + 8:
                self._previous = (raw[:KEY_BYTES], int.from_bytes(raw[KEY_BYTES:], "big"))
        self._seen = seen

    def current(self) -> tuple[str, bytes]:
        self._reload()
        return key_id(self._current), self._current

    def find(self, kid: str, expires: int) -> bytes | None:
        """The key named kid: the current one, or the previous one for a link that was issued
        before the rotation (its expiry no later than the rotation plus a link's lifetime)."""
        self._reload()
        if hmac.compare_digest(kid, key_id(self._current)):
            return self._current
        if self._previous is not None:
            key, rotated_at = self._previous
            if hmac.compare_digest(kid, key_id(key)) and expires <= rotated_at + TTL_SECONDS:
                return key
        return None


@dataclass(frozen=True)
class LinkCheck:
    """A link's verdict: `why` is empty when it is good; `person` is whom it was issued to."""

    why: str
    person: str = ""

    @property
    def ok(self) -> bool:
        return not self.why


class LinkSigner:
    def __init__(self, keys: KeyRing, clock: Callable[[], datetime]) -> None:
        self.keys = keys
        self._clock = clock

    @staticmethod
    def _signature(key: bytes, path: str, expires: int, kid: str, person: str) -> str:
        message = f"{path}\n{expires}\n{kid}\n{person}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def sign(self, path: str, person: str, ttl: int = TTL_SECONDS) -> str:
        """The path with an expiry, the key's id, the person and a signature over them all.
        person is "platform:user id" (Actor.key)."""
        if not PARAMETERS["for"].fullmatch(person):
            raise ValueError("not a person id")
        expires = int(self._clock().timestamp()) + ttl
        kid, key = self.keys.current()
        signature = self._signature(key, path, expires, kid, person)
        query = {"expires": expires, "kid": kid, "for": person, "signature": signature}
        return f"{path}?{urlencode(query)}"

    def check(self, path: str, query: Sequence[tuple[str, str]]) -> LinkCheck:
        """Every parameter present once and in its exact form, a known key, a good signature,
        not expired. The reason is for the log: no personal data."""
        values: dict[str, str] = {}
        for name, value in query:
            if name not in PARAMETERS or name in values:
                return LinkCheck("malformed")
            if not PARAMETERS[name].fullmatch(value):
                return LinkCheck("malformed")
            values[name] = value
        if len(values) != len(PARAMETERS):
            return LinkCheck("malformed")
        expires = int(values["expires"])
        key = self.keys.find(values["kid"], expires)
        if key is None:
            return LinkCheck("unknown key")
        good = self._signature(key, path, expires, values["kid"], values["for"])
        if not hmac.compare_digest(good, values["signature"]):
            return LinkCheck("bad signature")
        if expires < self._clock().timestamp():
            return LinkCheck("expired")
        return LinkCheck("", values["for"])
