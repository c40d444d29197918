"""TinyDB storages for the embedded store: each file sealed, written atomically and durably."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from bot.sealing import SealedUnreadable, Sealer
from bot.storage.files import write_durably, write_scratch


class DurableJSONStorage(Storage):
    """TinyDB storage whose every write is sealed, atomic and fsynced (stock JSONStorage is
    none of these). The whole file is one sealed blob bound to context (what the file is)."""

    def __init__(self, path: str | Path, sealer: Sealer, context: str) -> None:
        self.path = Path(path)
        self.sealer = sealer
        self.context = context

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            data: dict[str, dict[str, Any]] = json.loads(
                self.sealer.open(self.path.read_bytes(), self.context)
            )
            return data
        except FileNotFoundError:
            return None

    def encoded(self, data: dict[str, dict[str, Any]]) -> bytes:
        return self.sealer.seal(json.dumps(data, ensure_ascii=False).encode(), self.context)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_durably(self.path, self.encoded(data))

    def close(self) -> None:
        pass


class CachedDurableStorage(DurableJSONStorage):
    """For the small value tables this process owns: reads come from memory, writes are durable.

    Stock TinyDB re-reads and re-parses the file for every query; a value table is read on every
    step of a form, so the last state written is kept. A failed write drops the cache, so memory
    never holds what the disk does not.
    """

    def __init__(self, path: str | Path, sealer: Sealer, context: str, sync: bool = True) -> None:
        super().__init__(path, sealer, context)
        self.sync = sync
        self._data: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._data is None:
            try:
                self._data = super().read()
            except (ValueError, SealedUnreadable):
                if self.sync:
                    raise
                # Scratch written in place without fsync, cut by a crash (new bytes followed by
                # old ones: not JSON, or a seal that does not open): start empty.
                self._data = None
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        try:
            write = write_durably if self.sync else write_scratch
            write(self.path, self.encoded(data))
        except Exception:
            self._data = None
            raise
        self._data = data
