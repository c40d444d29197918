"""The embedded store's access logs: one append-only JSON-lines file per case, fsynced."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
from pathlib import Path

from bot.access import AccessEntry, entry_from
from bot.errors import Conflict
from bot.models import canonical_json, to_plain
from bot.sealing import Sealer
from bot.storage.files import _not_saved, _write_all, private_folder, remove_durably, write_durably


class AccessFiles:
    """DATA_DIR/access/REF.jsonl: an entry a line. An append never rewrites what is there, and
    an exclusive lock on the file (flock: each open is its own holder) orders appends from this
    process's threads and from a command run beside the server; other cases' go on meanwhile.
    Each line is sealed on its own (an append never reads the others)."""

    def __init__(self, root: Path, sealer: Sealer) -> None:
        self.root = Path(root)
        self.sealer = sealer

    def path(self, reference: str) -> Path:
        return self.root / f"{reference}.jsonl"

    async def append(self, path: Path, entry: AccessEntry) -> None:
        await asyncio.to_thread(self._append, path, entry)

    def _append(self, path: Path, entry: AccessEntry) -> None:
        context = f"access:{path.stem}"
        line = (self.sealer.seal_text(canonical_json(to_plain(entry)), context) + "\n").encode()
        try:
            private_folder(self.root)
            new = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                last = _count(fd)
                if entry.seq != last + 1:
                    raise Conflict(f"the access log has {last} entries, not {entry.seq - 1}")
                _write_all(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)  # releases the lock
            if new:
                dir_fd = os.open(self.root, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise _not_saved(exc) from exc

    async def read(self, path: Path) -> list[AccessEntry]:
        def read() -> list[AccessEntry]:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
            return [entry_from(json.loads(x)) for x in self._lines(text, path.stem)]

        return await asyncio.to_thread(read)

    def _lines(self, text: str, reference: str) -> list[str]:
        """The entries as JSON, opened. A line a crash cut short (no newline after it) was
        never acknowledged: it is not part of the log."""
        whole = text.split("\n")[:-1]
        return [self.sealer.open_text(x, f"access:{reference}") for x in whole if x]

    def reseal(self) -> int:
        """Seal every log not wholly under the current key again (keys rotate); how many."""
        done = 0
        for path in sorted(self.root.glob("*.jsonl")) if self.root.exists() else ():
            fd = os.open(path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # no append while the file is replaced
                text = path.read_text(encoding="utf-8")
                if all(self.sealer.is_current(x) for x in text.split("\n")[:-1] if x):
                    continue
                context = f"access:{path.stem}"
                again = "".join(
                    self.sealer.seal_text(x, context) + "\n" for x in self._lines(text, path.stem)
                )
                write_durably(path, again.encode())
                done += 1
            finally:
                os.close(fd)
        return done

    async def delete(self, path: Path) -> None:
        if path.parent.exists():
            await asyncio.to_thread(remove_durably, path)


def _count(fd: int) -> int:
    """Complete lines in the file (a torn last line, from a crash, is cut off first)."""
    size = os.lseek(fd, 0, os.SEEK_END)
    os.lseek(fd, 0, os.SEEK_SET)
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    whole = data.rfind(b"\n") + 1
    if whole != len(data):
        os.ftruncate(fd, whole)
    return data[:whole].count(b"\n")
