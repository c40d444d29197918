"""Encryption at rest: AES-GCM sealing of what the stores write, under one or more keys by id."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import ConfigError, StorageUnavailable

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12  # 96 bits, random for each seal: at most a few million seals per key here
ID_CHARS = 8
# A sealed blob on disk starts with MAGIC, then the key id (8 ASCII hex), the nonce, the
# ciphertext and its tag. No image, PDF or JSON file starts with a NUL byte, so a file from
# before encryption (plaintext) is told apart and still read.
MAGIC = b"\x00sealed1"
# The same inside JSON (a database column or a value): "sealed1:KEYID:base64".
TEXT_PREFIX = "sealed1:"
LOCAL_KEY_FILE = "encryption.key"  # in DATA_DIR: only when no key is set (demo, first run)


class SealedUnreadable(StorageUnavailable):
    """Data sealed under a key this process does not hold, or altered since it was sealed."""


def key_id(key: bytes) -> str:
    """A short public name for a key, so a blob says which key opens it (never the key)."""
    return hashlib.sha256(b"post-concerns key id\x00" + key).hexdigest()[:ID_CHARS]


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def parse_keys(text: str, source: str) -> tuple[bytes, ...]:
    """Keys from base64 text, one per line or comma-separated; the first seals, all open."""
    keys = []
    for part in text.replace(",", "\n").split():
        try:
            key = base64.b64decode(part, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(source, "key", "is not base64 (make one with keys rotate)") from None
        if len(key) != KEY_BYTES:
            raise ConfigError(source, "key", f"must be {KEY_BYTES} bytes, base64 (is {len(key)})")
        keys.append(key)
    if not keys:
        raise ConfigError(source, "key", "is empty")
    return tuple(keys)


@dataclass
class KeySource:
    """Where the keys come from: ENCRYPTION_KEY (fixed), a key file, or DATA_DIR's own file.

    A file source can be rewritten by `keys rotate`; one in DATA_DIR that does not exist yet
    is made when the store first opens (see Sealer.persist), not before: a store that refuses
    to open leaves nothing behind.
    """

    kind: str  # "env", "file" or "local"
    path: Path | None = None
    text: str = ""

    @property
    def writable(self) -> bool:
        return self.kind != "env"

    def describe(self) -> str:
        return "ENCRYPTION_KEY" if self.kind == "env" else f"the key file {self.path}"

    @property
    def file(self) -> Path:
        if self.path is None:
            raise ConfigError("ENCRYPTION_KEY", "key", "is set in the environment, not a file")
        return self.path

    def read(self) -> tuple[bytes, ...] | None:
        if self.kind == "env":
            return parse_keys(self.text, "ENCRYPTION_KEY")
        try:
            text = self.file.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(str(self.file), "key", f"cannot be read ({exc})") from None
        return parse_keys(text, str(self.file))

    def write(self, keys: Sequence[bytes], *, new: bool = False) -> bool:
        """Replace the key file atomically (0600): a crash leaves the old or the new list.

        With new, only if there is no file yet (False then): two processes making the first
        key at once end up with one key, the first one written.
        """
        from bot.storage.files import write_durably

        path = self.file
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = "".join(f"{encode_key(k)}\n" for k in keys).encode()
        if not new:
            write_durably(path, text)
            return True
        tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
        write_durably(tmp, text)
        try:
            os.link(tmp, path)  # fails if the file exists: never replaces a key
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True


def key_source(env_key: str, key_file: Path | None, data_dir: Path) -> KeySource:
    if env_key:
        parse_keys(env_key, "ENCRYPTION_KEY")  # fail at start-up, not at the first write
        return KeySource("env", text=env_key)
    if key_file is not None:
        return KeySource("file", key_file)
    return KeySource("local", Path(data_dir) / LOCAL_KEY_FILE)


def inside(path: Path, folder: Path) -> bool:
    p, f = Path(path).resolve(), Path(folder).resolve()
    return p == f or f in p.parents


def encryption_settings(
    env: Mapping[str, str], data_dir: Path, warnings: list[str]
) -> tuple[str, Path | None]:
    """ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, checked; with neither, a warning (see sealing)."""
    key, file = env.get("ENCRYPTION_KEY", "").strip(), env.get("ENCRYPTION_KEY_FILE", "")
    if key and file:
        raise ConfigError("environment", "ENCRYPTION_KEY_FILE", "set this or ENCRYPTION_KEY")
    if key:
        parse_keys(key, "ENCRYPTION_KEY")
        return key, None
    if file:
        if inside(Path(file), data_dir):
            raise ConfigError(
                "environment",
                "ENCRYPTION_KEY_FILE",
                f"{file} is inside DATA_DIR ({data_dir}): keep the key apart from the data "
                "it protects (another volume, backed up separately)",
            )
        return "", Path(file)
    where = data_dir / LOCAL_KEY_FILE
    if env.get("DEMO_MODE") == "1":
        warnings.append(f"Demo mode: personal data is encrypted with a key kept in {where}.")
    else:
        warnings.append(
            f"No ENCRYPTION_KEY or ENCRYPTION_KEY_FILE: personal data is encrypted with a key "
            f"kept in {where}, beside the data it protects. Set ENCRYPTION_KEY_FILE to a file "
            "outside DATA_DIR (or ENCRYPTION_KEY) before real reports are made."
        )
    return "", None


@dataclass
class Sealer:
    """Seals with the first key; opens with any key held (an old one until rotation ends)."""

    keys: tuple[bytes, ...]
    source: KeySource = field(default_factory=lambda: KeySource("env"))
    unsaved: bool = False  # a key made for DATA_DIR, written by persist() once the store opens

    def __post_init__(self) -> None:
        self._use(self.keys)

    def _use(self, keys: tuple[bytes, ...]) -> None:
        self.keys = keys
        self._ciphers = {key_id(k): AESGCM(k) for k in self.keys}
        self.current_id = key_id(self.keys[0])
        self._current = self._ciphers[self.current_id]

    @classmethod
    def from_source(cls, source: KeySource) -> Sealer:
        keys = source.read()
        if keys is None:
            if source.kind == "file":
                log.warning("ENCRYPTION_KEY_FILE does not exist: a new key is made there")
            return cls((new_key(),), source, unsaved=True)
        return cls(keys, source)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Sealer:
        """The default with no key set: DATA_DIR's own key file (made on first open)."""
        return cls.from_source(key_source("", None, data_dir))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def refresh(self) -> None:
        """A key made here but not saved yet yields to one another process saved meanwhile."""
        if self.unsaved:
            found = self.source.read()
            if found is not None:
                self._use(found)
                self.unsaved = False

    def persist(self) -> None:
        """Write a newly made key to its file (once the store knows no data needs another);
        should another process have written one first, use that one instead."""
        if self.unsaved:
            if not self.source.write(self.keys, new=True):
                found = self.source.read()
                if found is None:  # made and gone at once: nobody can have sealed with it
                    raise SealedUnreadable(f"{self.source.describe()} vanished as it was made.")
                self._use(found)
                self.unsaved = False
                return
            self.unsaved = False
            if self.source.kind == "local":
                log.warning(
                    "Made a new encryption key in DATA_DIR (%s): it sits beside the data it "
                    "protects. Set ENCRYPTION_KEY_FILE to a file outside DATA_DIR for real use.",
                    LOCAL_KEY_FILE,
                )

    # bytes (files)

    def seal(self, data: bytes, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, data, context.encode())
        return MAGIC + self.current_id.encode() + nonce + sealed

    def open(self, blob: bytes, context: str) -> bytes:
        """The plaintext of a sealed blob; a blob from before encryption is returned as it is."""
        if not blob.startswith(MAGIC):
            return blob
        head = len(MAGIC)
        kid = blob[head : head + ID_CHARS].decode("ascii", "replace")
        start = head + ID_CHARS
        nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        return self._open(kid, nonce, sealed, context)

    def _open(self, kid: str, nonce: bytes, sealed: bytes, context: str) -> bytes:
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SealedUnreadable(
                f"Stored data is encrypted with key id {kid}, which is not among the keys set "
                f"({', '.join(self.ids)}). Set the key it was sealed with."
            )
        try:
            return cipher.decrypt(nonce, sealed, context.encode())
        except InvalidTag:
            raise SealedUnreadable(
                f"Stored data ({context.split(':')[0]}) under key id {kid} does not decrypt: "
                "it was altered or moved."
            ) from None

    @staticmethod
    def key_id_of(blob: bytes | str) -> str | None:
        """The id of the key a blob is sealed with; None for plaintext."""
        if isinstance(blob, str):
            return blob[len(TEXT_PREFIX) :][:ID_CHARS] if blob.startswith(TEXT_PREFIX) else None
        if not blob.startswith(MAGIC):
            return None
        return blob[len(MAGIC) :][:ID_CHARS].decode("ascii", "replace")

    def is_current(self, blob: bytes | str) -> bool:
        return self.key_id_of(blob) == self.current_id

    # text (inside JSON: database columns, values)

    def seal_text(self, text: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, text.encode(), context.encode())
        body = base64.b64encode(nonce + sealed).decode()
        return f"{TEXT_PREFIX}{self.current_id}:{body}"

    def open_text(self, text: str, context: str) -> str:
        if not text.startswith(TEXT_PREFIX):
            return text
        kid, _, body = text[len(TEXT_PREFIX) :].partition(":")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise SealedUnreadable(f"Stored data under key id {kid} is damaged.") from None
        return self._open(kid, raw[:NONCE_BYTES], raw[NONCE_BYTES:], context).decode()

    def seal_json(self, value: Any, context: str) -> str:
        return self.seal_text(json.dumps(value, ensure_ascii=False), context)

    def open_json(self, value: Any, context: str) -> Any:
        """A value sealed by seal_json, opened; any other value (stored before) as it is."""
        if isinstance(value, str) and value.startswith(TEXT_PREFIX):
            return json.loads(self.open_text(value, context))
        return value


class WrongKey(SealedUnreadable):
    """The keys set do not open the data already stored: the store refuses to open."""


CHECK_CONTEXT = "key-check"
CHECK_TEXT = b"post-concerns: this store's data is sealed with the key that opens this"


def new_check(sealer: Sealer) -> bytes:
    """A key check for a store that has none: the key (made now if need be) is saved first."""
    sealer.persist()
    return sealer.seal(CHECK_TEXT, CHECK_CONTEXT)


def check_key(sealer: Sealer, stored: bytes | None, where: str) -> bool:
    """Refuse keys that do not open the store's key check; True if the store has none yet.

    Each store keeps a small sealed check beside its data, so a wrong key is refused at open,
    before anything is read or written, rather than at the first case someone opens.
    """
    sealer.refresh()
    if stored is None:
        return True
    try:
        if sealer.open(stored, CHECK_CONTEXT) == CHECK_TEXT:
            return False
    except SealedUnreadable:
        pass
    kid = Sealer.key_id_of(stored) or "unknown"
    raise WrongKey(
        f"The data in {where} is encrypted with key id {kid}; {sealer.source.describe()} "
        f"(key id {', '.join(sealer.ids)}) does not open it. Nothing was read or changed: set "
        "ENCRYPTION_KEY or ENCRYPTION_KEY_FILE to the key the data was sealed with."
    )
