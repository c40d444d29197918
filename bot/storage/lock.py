"""One process at a time writes a TinyDB data folder: a lock held while it runs, naming who."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from bot.errors import ConfigError

LOCK = ".lock"
OWNER = ".lock-owner.json"  # who holds the lock: read by the process that is refused


class DataDirLock:
    """Held by the server and by every command that writes; released when the process ends,
    however it ends (the operating system drops the lock of a killed process)."""

    def __init__(self, data_dir: Path, what: str) -> None:
        self.data_dir = data_dir
        self.what = what
        self._lock = FileLock(data_dir / LOCK, timeout=0, mode=0o600)

    def acquire(self) -> DataDirLock:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._lock.acquire()
        except Timeout:
            raise ConfigError(str(self.data_dir), "in use", self.holder()) from None
        owner = {
            "pid": os.getpid(),
            "command": self.what,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        fd = os.open(self.data_dir / OWNER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:  # owner only, like everything in DATA_DIR
            out.write(json.dumps(owner))
        return self

    def holder(self) -> str:
        try:
            owner = json.loads((self.data_dir / OWNER).read_text())
            return (
                f"process {owner['pid']} ({owner['command']}, since {owner['since']}) holds it; "
                "one process at a time may write this folder (stop it, or use DATABASE_URL)"
            )
        except (OSError, ValueError, KeyError, TypeError):
            return "another process holds it; one process at a time may write this folder"

    def release(self) -> None:
        if self._lock.is_locked:
            (self.data_dir / OWNER).unlink(missing_ok=True)
            self._lock.release()

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
