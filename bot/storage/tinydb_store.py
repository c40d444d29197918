"""The embedded store: one small TinyDB file per case, each written atomically and durably."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB
from tinydb.table import Table

from bot.access import AccessEntry
from bot.errors import Conflict
from bot.models import CaseFile, CaseSummary, case_file_from, summary_from, to_plain
from bot.sealing import SealedUnreadable, Sealer, check_key, new_check
from bot.storage import case_index
from bot.storage.access_files import AccessFiles
from bot.storage.case_index import Entry
from bot.storage.files import EvidenceFiles, private_folder, remove_durably, write_durably
from bot.storage.port import is_scratch
from bot.storage.tinydb_files import CachedDurableStorage, DurableJSONStorage

REFERENCE = re.compile(r"^([A-Z][A-Z0-9]{1,7})-(\d{4})-(\d{4,})$")
INDEX_FILE = "case-index.json"
KEY_CHECK_FILE = "key-check"
VALUE_TABLE = re.compile(r"[a-z][a-z0-9_]{0,40}")
T = TypeVar("T")
# An open that had to read more case files than this saves a fresh snapshot straight away, so
# a server that is always killed (never closed) does not read ever more files at each start.
RESNAPSHOT_AFTER = 1000
SUMMARIES_AFTER_S = 0.3  # after open, before the summaries thread starts (see open)


def _tables(record: CaseFile) -> dict[str, dict[str, Any]]:
    """A case file in TinyDB's layout: a table each for the case, its timeline and its outbox."""
    plain = to_plain(record)
    return {
        "case": {"1": {**plain["case"], "revision": record.revision}},
        "timeline": {str(e["seq"]): e for e in plain["timeline"]},
        "outbox": {str(n + 1): m for n, m in enumerate(plain["outbox"])},
    }


def _plain(tables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A case file as plain data from its tables: timeline by seq, outbox by position.

    TinyDB's document ids are strings: they are sorted as numbers, or the 10th message would
    come before the 2nd.
    """
    case = dict(tables["case"]["1"])
    revision = case.pop("revision")
    timeline = sorted(tables["timeline"].values(), key=lambda e: e["seq"])
    outbox = [m for _, m in sorted(tables["outbox"].items(), key=lambda item: int(item[0]))]
    return {"case": case, "timeline": timeline, "outbox": outbox, "revision": revision}


class TinyDBStore:
    """Cases under DATA_DIR/cases, evidence under DATA_DIR/evidence, values under DATA_DIR/values.

    A write touches one small file whatever the number of cases; an in-memory index of
    summaries answers listings without reading every file. The index is saved to
    case-index.json on close; open trusts a saved entry only while its case file has the same
    inode, size and mtime, and reads the files that changed (or all, without a snapshot).
    """

    def __init__(self, data_dir: Path, sealer: Sealer | None = None) -> None:
        self.root = Path(data_dir)
        # Without a key set, DATA_DIR's own key (made at the first open): see bot/sealing.py.
        self.sealer = sealer or Sealer.for_data_dir(self.root)
        self.cases_dir = self.root / "cases"
        self.evidence_dir = self.root / "evidence"
        self._evidence = EvidenceFiles(self.evidence_dir, self.sealer)
        self._access = AccessFiles(self.root / "access", self.sealer)
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._submissions: dict[str, str] = {}
        self._pending: set[str] = set()
        self._sequences: dict[tuple[str, int], int] = {}
        self._case_locks: dict[str, threading.Lock] = {}
        self._directory: bool | None = None  # open: the value tables may be used
        self.values_dir = self.root / "values"
        self._values: dict[str, TinyDB] = {}
        self._value_locks: dict[str, threading.Lock] = {}
        self._leases: dict[str, tuple[str, float]] = {}  # one process: memory is enough
        self._snapshotter: threading.Thread | None = None
        self._builder: threading.Thread | None = None  # summaries from the snapshot, after open
        # The cases folder as this store last left it (after open, or its own last write): a
        # snapshot vouches for the folder only if nobody else has renamed a file into it since.
        self._folder_seen: int | None = None

    # life cycle

    async def open(self) -> None:
        await asyncio.to_thread(self._open)
        # Building the summaries takes the interpreter for most of a second with 100,000
        # cases: let the server finish starting first (anything that needs them starts it).
        asyncio.get_running_loop().call_later(SUMMARIES_AFTER_S, self._start_builder)

    def _start_builder(self) -> None:
        with self._lock:
            if self._builder is not None and self._builder.ident is None:
                self._builder.start()

    def _open(self) -> None:
        missing = self._check_key()  # a wrong key is refused before anything is written
        for d in (self.root, self.cases_dir, self.evidence_dir, self.values_dir):
            private_folder(d)
        if missing:
            write_durably(self.root / KEY_CHECK_FILE, new_check(self.sealer))
        read = self._load_index()
        # Only a folder that has been still for a while is a fair witness: a write by another
        # process in the same mtime tick as this look would not show.
        stamp, mtime_ns = case_index.folder_stamp(self.cases_dir)
        settled = time.time_ns() - mtime_ns >= case_index.SETTLE_NS
        self._folder_seen = stamp if settled else None
        self._directory = True
        # Everything loaded so far lives as long as the process: the cyclic collector need not
        # walk it again (with 100,000 cases a full pass was a 100 ms pause in some request).
        gc.freeze()
        if read > RESNAPSHOT_AFTER:
            self._snapshotter = threading.Thread(target=self._save_index, name="case-index")
            self._snapshotter.start()

    def _load_index(self) -> int:
        # Hundreds of thousands of small objects would set off the cyclic collector again and
        # again, each pass longer than the last: none of them can form a cycle.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._scan_index()
        finally:
            if collecting:  # (`python app.py` turns it on itself once it is serving)
                gc.enable()

    def _check_key(self) -> bool:
        try:
            stored: bytes | None = (self.root / KEY_CHECK_FILE).read_bytes()
        except FileNotFoundError:
            stored = None
        return check_key(self.sealer, stored, f"DATA_DIR ({self.root})")

    def _saved_summaries(self, texts: tuple[str, ...]) -> dict[str, CaseSummary]:
        """The snapshot's summaries, each sealed text opened only as it is parsed."""
        return case_index.summaries_from(self.sealer.open_text(t, "case-index") for t in texts)

    def _scan_index(self) -> int:
        """Index every case file, from the snapshot where it is still true; files read.

        When nothing was renamed into the cases folder since the snapshot (its mtime has not
        moved) every row is true as saved; otherwise each file's own stamp decides.
        """
        saved = case_index.load(self.root / INDEX_FILE)
        if saved.folder is not None and saved.folder == case_index.folder_stamp(self.cases_dir)[0]:
            self._adopt(saved)
            return 0
        try:
            summaries = self._saved_summaries(saved.summaries)
        except (ValueError, KeyError, SealedUnreadable):
            summaries = {}
        rows = {row[4]: row for row in saved.rows}
        read = 0
        with os.scandir(self.cases_dir) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    if entry.name.endswith(".tmp"):  # a write a crash cut short before its rename
                        Path(entry.path).unlink(missing_ok=True)
                    continue
                if not entry.name.endswith(".json"):
                    continue
                stamp = case_index.stamp(entry.stat())
                ref = entry.name.removesuffix(".json")
                row, summary = rows.pop(ref, None), summaries.get(ref)
                if row is not None and row[0] == stamp and summary is not None:
                    self._remember(ref, case_index.from_row(row)._replace(summary=summary))
                else:
                    self._index_raw(self._tables_at(Path(entry.path), ref), stamp)
                    read += 1
        return read

    def _adopt(self, saved: case_index.Snapshot) -> None:
        """Take every saved row as it is, in bulk (the fast open); summaries follow on a thread.

        With 100,000 cases this is most of start-up: each pass over the rows counts.
        """
        rows = saved.rows
        self._entries = case_index.entries_from(rows)
        self._submissions = {row[2]: row[4] for row in rows}
        self._pending = {row[4] for row in rows if row[3]}
        if saved.sequences is not None:
            self._sequences = dict(saved.sequences)
        else:  # a snapshot from before the numbers were kept: from the references
            for ref in self._entries:
                self._count(ref)
        self._builder = threading.Thread(
            target=self._build_summaries, args=(saved.summaries,), name="case-summaries"
        )

    def _build_summaries(self, texts: tuple[str, ...]) -> None:
        """Fill in the summaries the fast open left out (a case written since has its own)."""
        try:
            summaries = self._saved_summaries(texts)
        except (ValueError, KeyError, SealedUnreadable):
            summaries = self._summaries_from_files()
        for ref, summary in summaries.items():
            with self._lock:
                entry = self._entries.get(ref)
                if entry is not None and entry.summary is None:
                    self._entries[ref] = entry._replace(summary=summary)
        gc.freeze()

    def _summaries_from_files(self) -> dict[str, CaseSummary]:
        """The slow way, should a snapshot's summaries not parse: from every case file."""
        with self._lock:
            refs = list(self._entries)
        return {
            ref: summary_from(self._tables_at(self._path(ref), ref)["case"]["1"])
            for ref in refs
            if self._path(ref).exists()
        }

    async def _summaries_built(self) -> None:
        self._start_builder()
        if self._builder is not None and self._builder.is_alive():
            await asyncio.to_thread(self._builder.join)

    def _save_index(self) -> None:
        if self._builder is not None:
            self._start_builder()
            self._builder.join()
        folder: int | None = case_index.settled_folder_stamp(self.cases_dir)
        with self._lock:
            entries, seen = dict(self._entries), self._folder_seen
            sequences = dict(self._sequences)
        if case_index.folder_stamp(self.cases_dir)[0] != folder or folder != seen:
            # A write landed meanwhile, or another process wrote since this store last looked
            # (a command run beside the server): the next open checks every file's own stamp.
            folder = None
        seal = lambda text: self.sealer.seal_text(text, "case-index")  # noqa: E731
        case_index.save(self.root / INDEX_FILE, entries, folder, sequences, seal)

    async def close(self) -> None:
        if self._snapshotter is not None:
            await asyncio.to_thread(self._snapshotter.join)
        if self._directory is not None:
            for db in self._values.values():
                db.close()
            self._values.clear()
            self._directory = None
            await asyncio.to_thread(self._save_index)

    def health(self) -> dict[str, Any]:
        return {
            "kind": "tinydb",
            "cases": len(self._entries),
            "pending_outbox": len(self._pending),
        }

    # cases

    def _path(self, reference: str) -> Path:
        if not REFERENCE.match(reference):
            raise ValueError("not a case reference")
        return self.cases_dir / f"{reference}.json"

    def _tables_at(self, path: Path, reference: str) -> dict[str, dict[str, Any]]:
        tables: dict[str, dict[str, Any]] = json.loads(
            self.sealer.open(path.read_bytes(), f"case:{reference}")
        )
        return tables

    def _read(self, path: Path) -> CaseFile:
        return case_file_from(_plain(self._tables_at(path, path.stem)))

    def _index(self, record: CaseFile, stamp: int) -> None:
        case = record.case
        summary = CaseSummary.of(case)
        self._remember(
            case.reference,
            Entry(summary, record.revision, case.submission_key, bool(record.pending), stamp),
        )

    def _index_raw(self, tables: dict[str, dict[str, Any]], stamp: int) -> None:
        """Index a case file read at open without building every record (fast start-up)."""
        case = tables["case"]["1"]
        pending = any(m["delivered_at"] is None for m in tables["outbox"].values())
        summary = summary_from(case)
        entry = Entry(summary, case["revision"], case["submission_key"], pending, stamp)
        self._remember(summary.reference, entry)

    def _remember(self, ref: str, entry: Entry) -> None:
        self._entries[ref] = entry
        self._submissions[entry.submission_key] = ref
        if entry.pending:
            self._pending.add(ref)
        else:
            self._pending.discard(ref)
        self._count(ref)

    def _count(self, ref: str) -> None:
        """Keep the highest number seen for the reference's prefix and year."""
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
                known = self._entries.get(ref)
                current = known.revision if known else 0
                filed = expected == 0 and record.case.submission_key in self._submissions
            if current != expected or (expected == 0 and path.exists()):
                raise Conflict(f"{ref} is at revision {current}, not {expected}")
            if filed:
                raise Conflict(f"the submission of {ref} was filed already")
            DurableJSONStorage(path, self.sealer, f"case:{ref}").write(_tables(record))
            stamp = case_index.stamp(path.stat())  # no other writer: this is the file just written
            with self._lock:
                self._index(record, stamp)
                self._folder_seen = case_index.folder_stamp(self.cases_dir)[0]

    async def load(self, reference: str) -> CaseFile | None:
        try:
            path = self._path(reference)
        except ValueError:
            return None
        if not path.exists():
            return None
        return await asyncio.to_thread(self._read, path)

    async def plain_many(self, references: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Case files as plain data, read in one go (for copying them to another store)."""

        def read() -> dict[str, dict[str, Any]]:
            found = {}
            for ref in references:
                path = self._path(ref)
                if path.exists():
                    found[ref] = _plain(self._tables_at(path, ref))
            return found

        return await asyncio.to_thread(read)

    async def find_submission(self, key: str) -> str | None:
        return self._submissions.get(key)

    async def summaries(self) -> list[CaseSummary]:
        await self._summaries_built()
        with self._lock:
            return [e.summary for e in self._entries.values() if e.summary is not None]

    async def references(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)

    async def with_pending_outbox(self) -> list[str]:
        with self._lock:
            return sorted(self._pending)

    # delivery leases

    async def lease(self, reference: str, owner: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if reference not in self._entries:
                return False
            holder, until = self._leases.get(reference, (owner, 0.0))
            if holder != owner and until > now:
                return False
            self._leases[reference] = (owner, now + seconds)
            return True

    async def release(self, reference: str, owner: str) -> None:
        with self._lock:
            if self._leases.get(reference, ("",))[0] == owner:
                del self._leases[reference]

    async def delete(self, reference: str) -> None:
        await asyncio.to_thread(self._delete, reference)

    def _delete(self, reference: str) -> None:
        path = self._path(reference)
        with self._lock:
            case_lock = self._case_locks.setdefault(reference, threading.Lock())
        with case_lock:
            remove_durably(path)
            # The saved index names every case: a purged one must not outlive its file there
            # (close saves a fresh one; an open without it reads every file once).
            remove_durably(self.root / INDEX_FILE)
            with self._lock:
                self._folder_seen = case_index.folder_stamp(self.cases_dir)[0]
                self._entries.pop(reference, None)
                self._pending.discard(reference)
                for key in [k for k, r in self._submissions.items() if r == reference]:
                    del self._submissions[key]

    # access logs, beside the case files: a view appends a line, never rewrites the case

    async def append_access(self, reference: str, entry: AccessEntry) -> None:
        await self._access.append(self._access_path(reference), entry)

    async def access_log(self, reference: str) -> list[AccessEntry]:
        try:
            return await self._access.read(self._access_path(reference))
        except ValueError:
            return []

    async def access_references(self) -> set[str]:
        """The cases that have an access log (for copying them to another store)."""
        root = self._access.root
        return {p.stem for p in root.glob("*.jsonl")} if root.is_dir() else set()

    async def delete_access_log(self, reference: str) -> None:
        await self._access.delete(self._access_path(reference))

    def _access_path(self, reference: str) -> Path:
        self._path(reference)  # the same check: a reference, never a path
        return self._access.path(reference)

    # keys rotate

    async def reseal(self) -> dict[str, int]:
        """Seal again, under the current key, all that is under another or plaintext; counts.

        For `keys rotate`, run while no server uses DATA_DIR (TinyDB is one process's store).
        """
        return await asyncio.to_thread(self._reseal)

    def _reseal(self) -> dict[str, int]:
        counts = {"cases": 0, "values": 0, "evidence": 0}
        with self._lock:
            refs = list(self._entries)
        for ref in refs:
            counts["cases"] += self._reseal_case(ref)
        for path in sorted(self.values_dir.glob("*.json")):
            lock = self._value_locks.get(path.stem) or threading.Lock()
            with lock:
                counts["values"] += self._reseal_file(path, f"values:{path.stem}")
        counts["evidence"] = self._evidence.reseal()
        self._reseal_file(self.root / KEY_CHECK_FILE, "key-check")
        for path in self.root.rglob("*"):  # files kept before they were made owner-only
            if path.is_file() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
        return counts

    def _reseal_case(self, ref: str) -> int:
        path = self._path(ref)
        with self._lock:
            case_lock = self._case_locks.setdefault(ref, threading.Lock())
        with case_lock:
            if not self._reseal_file(path, f"case:{ref}"):
                return 0
            stamp = case_index.stamp(path.stat())
            with self._lock:
                entry = self._entries.get(ref)
                if entry is not None:
                    self._entries[ref] = entry._replace(stamp=stamp)
                self._folder_seen = case_index.folder_stamp(self.cases_dir)[0]
        return 1

    def _reseal_file(self, path: Path, context: str) -> int:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return 0
        if self.sealer.is_current(raw):
            return 0
        write_durably(path, self.sealer.seal(self.sealer.open(raw, context), context))
        return 1

    # evidence

    async def delete_evidence(self, sha256: str) -> None:
        await self._evidence.delete(sha256)

    def evidence_path(self, sha256: str) -> Path:
        return self._evidence.path(sha256)

    async def evidence_files(self) -> dict[str, datetime]:
        return await self._evidence.listing()

    async def put_evidence(self, data: bytes) -> str:
        return await self._evidence.put(data)

    def read_evidence(self, sha256: str) -> bytes:
        return self._evidence.read(sha256)

    # small keyed values (conversation references, drafts, inboxes): a TinyDB file per table,
    # so a form step rewrites its drafts, not every value the bot keeps; drafts skip fsync

    def _table(self, table: str) -> Table:
        if not VALUE_TABLE.fullmatch(table):
            raise ValueError("not a value table name")
        with self._lock:
            db = self._values.get(table)
            if db is None:
                path = self.values_dir / f"{table}.json"
                db = TinyDB(
                    path,
                    storage=CachedDurableStorage,
                    sealer=self.sealer,
                    context=f"values:{table}",
                    sync=not is_scratch(table),
                )
                self._values[table] = db
                self._value_locks[table] = threading.Lock()
            return db.table("values")

    def _on_table(self, table: str, work: Callable[[Table], T]) -> T:
        values = self._table(table)
        with self._value_locks[table]:
            return work(values)

    async def _on_value(self, table: str, work: Callable[[Table], T]) -> T:
        """One value's read or write. A drafts table is worked on in the loop: with no fsync
        nothing waits on the disk, and a form step that never yields is answered at Bolt's first
        look for its ack (Bolt polls every 10 ms; each thread hop can cost another poll)."""
        if is_scratch(table):
            return self._on_table(table, work)
        return await asyncio.to_thread(self._on_table, table, work)

    async def get_value(self, table: str, key: str) -> dict[str, Any] | None:
        def get(values: Table) -> dict[str, Any] | None:
            doc = values.get(Query().key == key)
            return dict(doc["value"]) if doc else None

        return await self._on_value(table, get)

    async def put_value(self, table: str, key: str, value: dict[str, Any]) -> None:
        def put(values: Table) -> None:
            values.upsert({"key": key, "value": value}, Query().key == key)

        await self._on_value(table, put)

    async def tables(self) -> list[str]:
        """The names of the value tables (for copying them to another store, and purge)."""
        found = (p.stem for p in self.values_dir.glob("*.json"))
        return sorted(t for t in found if VALUE_TABLE.fullmatch(t))

    async def values(self, table: str) -> dict[str, dict[str, Any]]:
        def every(values: Table) -> dict[str, dict[str, Any]]:
            return {d["key"]: dict(d["value"]) for d in values.all()}

        return await asyncio.to_thread(self._on_table, table, every)

    async def delete_value(self, table: str, key: str) -> None:
        def delete(values: Table) -> None:
            values.remove(Query().key == key)

        await self._on_value(table, delete)
