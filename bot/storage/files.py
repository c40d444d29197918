"""Durable files on disk: the atomic write both stores use, and evidence kept by SHA-256."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import StorageUnavailable
from bot.sealing import Sealer

SHA256 = re.compile(r"[0-9a-f]{64}")


def write_durably(path: Path, data: bytes) -> None:
    """Write to a temporary file, fsync it, rename it over path, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _not_saved(exc) from exc


def write_scratch(path: Path, data: bytes) -> None:
    """Overwrite path in place, for scratch data (form drafts) that a crash may lose.

    No fsync, and no rename or truncation to zero either: ext4 flushes a file replaced either
    way (auto_da_alloc), which made a draft's write about 0.5 ms instead of 20 us. A crash in
    the middle leaves new data followed by old, which is not valid JSON: read as no drafts.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            _write_all(fd, data)
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)
    except OSError as exc:
        raise _not_saved(exc) from exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _not_saved(exc: OSError) -> StorageUnavailable:
    why = "the disk is full" if exc.errno == errno.ENOSPC else f"a write failed ({exc.strerror})"
    return StorageUnavailable(f"Could not save: {why}.")


def remove_durably(path: Path) -> None:
    """Unlink a file and fsync its folder, so the removal survives a crash."""
    path.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def private_folder(path: Path) -> None:
    """Make a folder (and its parents) for personal data: owner only (0700), even if it was not."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


class EvidenceFiles:
    """Retained files under one folder, named by their SHA-256 (so a file is kept once).

    Each file is sealed (AES-GCM, bound to its hash); the name is the SHA-256 of the plaintext,
    which the case records as the evidence's fingerprint (5.1.7) and which reveals nothing of
    the file's content.
    """

    def __init__(self, root: Path, sealer: Sealer) -> None:
        self.root = Path(root)
        self.sealer = sealer

    def path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(remove_durably, self.path(sha256))

    async def listing(self) -> dict[str, datetime]:
        """Every file kept, by SHA-256, with its modification time (when it was stored)."""

        def scan() -> dict[str, datetime]:
            found = {}
            for path in self.root.glob("*/*"):
                if SHA256.fullmatch(path.name) and path.parent.name == path.name[:2]:
                    found[path.name] = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            return found

        return await asyncio.to_thread(scan)

    async def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(sha)
        if not path.exists():
            private_folder(path.parent)
            sealed = self.sealer.seal(data, f"evidence:{sha}")
            await asyncio.to_thread(write_durably, path, sealed)
        return sha

    def read(self, sha256: str) -> bytes:
        """A retained file's bytes (FileNotFoundError if none); a file from before is read as is."""
        return self.sealer.open(self.path(sha256).read_bytes(), f"evidence:{sha256}")

    def reseal(self) -> int:
        """Seal every file not under the current key again (keys rotate); how many were."""
        done = 0
        if not self.root.exists():
            return done
        for path in sorted(self.root.glob("??/*")):
            if not SHA256.fullmatch(path.name):
                continue
            raw = path.read_bytes()
            if self.sealer.is_current(raw):
                continue
            data = self.sealer.open(raw, f"evidence:{path.name}")
            write_durably(path, self.sealer.seal(data, f"evidence:{path.name}"))
            done += 1
        return done
