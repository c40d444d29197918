"""The embedded store: one small TinyDB file per case, each written atomically and durably."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.storages import Storage

from bot.errors import Conflict, StorageUnavailable
from bot.models import CaseFile, CaseSummary, case_file_from, summary_from, to_plain

REFERENCE = re.compile(r"^([A-Z][A-Z0-9]{1,7})-(\d{4})-(\d{4,})$")


def write_durably(path: Path, data: bytes) -> None:
    """Write to a temporary file, fsync it, rename it over path, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
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
        why = (
            "the disk is full" if exc.errno == errno.ENOSPC else f"a write failed ({exc.strerror})"
        )
        raise StorageUnavailable(f"Could not save: {why}.") from exc


class DurableJSONStorage(Storage):
    """TinyDB storage whose every write is atomic and fsynced (stock JSONStorage is neither)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            return json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_durably(self.path, json.dumps(data, ensure_ascii=False).encode())

    def close(self) -> None:
        pass


def _tables(record: CaseFile) -> dict[str, dict[str, Any]]:
    """A case file in TinyDB's layout: a table each for the case, its timeline and its outbox."""
    plain = to_plain(record)
    return {
        "case": {"1": {**plain["case"], "revision": record.revision}},
        "timeline": {str(e["seq"]): e for e in plain["timeline"]},
        "outbox": {str(n + 1): m for n, m in enumerate(plain["outbox"])},
    }


def _record(db: TinyDB) -> CaseFile:
    case = dict(db.table("case").get(doc_id=1))
    revision = case.pop("revision")
    timeline = sorted(db.table("timeline").all(), key=lambda e: e["seq"])
    outbox = [db.table("outbox").get(doc_id=n) for n in sorted(db.table("outbox")._read_table())]
    return case_file_from(
        {
            "case": case,
            "timeline": timeline,
            "outbox": [dict(m) for m in outbox],
            "revision": revision,
        }
    )


class TinyDBStore:
    """Cases under DATA_DIR/cases, evidence under DATA_DIR/evidence, the rest in directory.json.

    A write touches one small file whatever the number of cases; an in-memory index of
    summaries (built once at open) answers listings without reading every file.
    """

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir)
        self.cases_dir = self.root / "cases"
        self.evidence_dir = self.root / "evidence"
        self._lock = threading.Lock()
        self._summaries: dict[str, CaseSummary] = {}
        self._revisions: dict[str, int] = {}
        self._submissions: dict[str, str] = {}
        self._pending: set[str] = set()
        self._sequences: dict[tuple[str, int], int] = {}
        self._case_locks: dict[str, threading.Lock] = {}
        self._directory: TinyDB | None = None

    # life cycle

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        for d in (self.root, self.cases_dir, self.evidence_dir):
            d.mkdir(parents=True, exist_ok=True)
        for stray in self.cases_dir.glob(".*.tmp"):
            stray.unlink(missing_ok=True)  # a write that a crash interrupted before its rename
        for path in self.cases_dir.glob("*.json"):
            self._index_raw(json.loads(path.read_bytes()))
        self._directory = TinyDB(self.root / "directory.json", storage=DurableJSONStorage)

    async def close(self) -> None:
        if self._directory is not None:
            self._directory.close()

    def health(self) -> dict[str, Any]:
        return {
            "kind": "tinydb",
            "cases": len(self._summaries),
            "pending_outbox": len(self._pending),
        }

    # cases

    def _path(self, reference: str) -> Path:
        if not REFERENCE.match(reference):
            raise ValueError("not a case reference")
        return self.cases_dir / f"{reference}.json"

    def _read(self, path: Path) -> CaseFile:
        with TinyDB(path, storage=DurableJSONStorage) as db:
            return _record(db)

    def _index(self, record: CaseFile) -> None:
        case = record.case
        self._remember(
            CaseSummary.of(case), record.revision, case.submission_key, bool(record.pending)
        )

    def _index_raw(self, tables: dict[str, dict[str, Any]]) -> None:
        """Index a case file read at open without building every record (fast start-up)."""
        case = tables["case"]["1"]
        pending = any(m["delivered_at"] is None for m in tables["outbox"].values())
        self._remember(summary_from(case), case["revision"], case["submission_key"], pending)

    def _remember(self, summary: CaseSummary, revision: int, key: str, pending: bool) -> None:
        ref = summary.reference
        self._summaries[ref] = summary
        self._revisions[ref] = revision
        self._submissions[key] = ref
        if pending:
            self._pending.add(ref)
        else:
            self._pending.discard(ref)
        m = REFERENCE.match(ref)
        if m:
            key = (m[1], int(m[2]))
            self._sequences[key] = max(self._sequences.get(key, 0), int(m[3]))

    async def next_reference(self, prefix: str, year: int) -> str:
        with self._lock:
            n = self._sequences.get((prefix, year), 0) + 1
            while self._path(f"{prefix}-{year}-{n:04d}").exists():
                n += 1
            self._sequences[(prefix, year)] = n
        return f"{prefix}-{year}-{n:04d}"

    async def create(self, record: CaseFile) -> None:
        await asyncio.to_thread(self._write, record, 0)

    async def save(self, record: CaseFile) -> None:
        await asyncio.to_thread(self._write, record, record.revision - 1)

    def _write(self, record: CaseFile, expected: int) -> None:
        ref = record.case.reference
        path = self._path(ref)
        with self._lock:
            case_lock = self._case_locks.setdefault(ref, threading.Lock())
        with case_lock:  # one writer per case; other cases' writes go on in parallel
            with self._lock:
                current = self._revisions.get(ref, 0)
            if current != expected or (expected == 0 and path.exists()):
                raise Conflict(f"{ref} is at revision {current}, not {expected}")
            DurableJSONStorage(path).write(_tables(record))
            with self._lock:
                self._index(record)

    async def load(self, reference: str) -> CaseFile | None:
        try:
            path = self._path(reference)
        except ValueError:
            return None
        if not path.exists():
            return None
        return await asyncio.to_thread(self._read, path)

    async def find_submission(self, key: str) -> str | None:
        return self._submissions.get(key)

    async def summaries(self) -> list[CaseSummary]:
        with self._lock:
            return list(self._summaries.values())

    async def references(self) -> list[str]:
        with self._lock:
            return sorted(self._summaries)

    async def with_pending_outbox(self) -> list[str]:
        with self._lock:
            return sorted(self._pending)

    # evidence

    def evidence_path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256")
        return self.evidence_dir / sha256[:2] / sha256

    async def put_evidence(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.evidence_path(sha)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            await asyncio.to_thread(write_durably, path, data)
        return sha

    # small keyed values: conversation references, drafts

    def _table(self, table: str):  # noqa: ANN202 - TinyDB's Table
        assert self._directory is not None, "store not open"
        return self._directory.table(table)

    async def get_value(self, table: str, key: str) -> dict[str, Any] | None:
        def get() -> dict[str, Any] | None:
            with self._lock:
                doc = self._table(table).get(Query().key == key)
            return dict(doc["value"]) if doc else None

        return await asyncio.to_thread(get)

    async def put_value(self, table: str, key: str, value: dict[str, Any]) -> None:
        def put() -> None:
            with self._lock:
                self._table(table).upsert({"key": key, "value": value}, Query().key == key)

        await asyncio.to_thread(put)

    async def delete_value(self, table: str, key: str) -> None:
        def delete() -> None:
            with self._lock:
                self._table(table).remove(Query().key == key)

        await asyncio.to_thread(delete)
