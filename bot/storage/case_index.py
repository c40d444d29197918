"""The TinyDB store's index snapshot: case summaries saved on close, so open need not read all.

The file holds what a write needs (stamp, revision, submission key, pending outbox) as rows,
and the summaries for listings as a list of sealed texts of CHUNK cases each: open parses only
the rows, and the summaries are built on a thread while the server already answers, one chunk
at a time (one sealed text of 100,000 summaries took 40 MB to open at once, and the process
kept most of it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from bot.errors import StorageUnavailable
from bot.models import CaseSummary, Status, Urgency
from bot.storage.files import write_durably

FORMAT = 4
# A folder's mtime moves in coarse ticks (a few ms): a snapshot vouches for the whole cases
# folder only once its mtime is this much older than the copy of the index, so that any later
# rename into the folder is sure to move it again.
SETTLE_NS = 50_000_000
UNIT, RECORD = "\x1f", "\x1e"  # ASCII's own field and record separators
CHUNK = 2_000  # summaries per sealed text: about 250 KB
STATUSES = {s.value: s for s in Status}
URGENCIES = {u.value: u for u in Urgency}


def stamp(st: os.stat_result) -> int:
    """A case file's identity at one moment: inode, size and mtime folded into one int.

    Every write renames a new file over the old one, so the inode changes too: a file
    rewritten within one mtime tick at the same size is still told apart. One int (not a
    tuple) keeps the per-case memory small; int and tuple hashes are not randomised.
    """
    return hash((st.st_ino, st.st_size, st.st_mtime_ns))


def folder_stamp(folder: Path) -> tuple[int, int]:
    """The cases folder's identity and its mtime: every case write renames a file into it."""
    st = folder.stat()
    return hash((st.st_ino, st.st_mtime_ns)), st.st_mtime_ns


def settled_folder_stamp(folder: Path) -> int:
    """The folder's stamp once its last change is SETTLE_NS old (waits that long at most)."""
    while True:
        stamp, mtime_ns = folder_stamp(folder)
        young = mtime_ns + SETTLE_NS - time.time_ns()
        if young <= 0:
            return stamp
        time.sleep(young / 1e9)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Saved rows (see to_row), the cases folder's stamp when they were all true (or None),
    the summaries as sealed texts, opened and parsed later by summaries_from, and the last
    reference number by prefix and year ("OAK-2026": 12), or None in a snapshot saved before
    they were kept."""

    rows: list[list[Any]]
    folder: int | None
    summaries: tuple[str, ...]
    sequences: dict[tuple[str, int], int] | None = None


class Entry(NamedTuple):
    """What the store keeps in memory for one case; summary is None until it is built.

    A named tuple, not a dataclass: open makes 100,000 of these, and a tuple is made in a
    fraction of a frozen dataclass's time and memory.
    """

    summary: CaseSummary | None
    revision: int
    submission_key: str
    pending: bool
    stamp: int


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_row(ref: str, e: Entry) -> list[Any]:
    return [e.stamp, e.revision, e.submission_key, e.pending, ref]


def from_row(row: list[Any]) -> Entry:
    stamp_, revision, key, pending, _ = row
    return Entry(None, revision, key, pending, stamp_)


def entries_from(rows: list[list[Any]]) -> dict[str, Entry]:
    """Entries by reference from saved rows, their summaries to follow.

    tuple.__new__ makes the same named tuple without its Python-level __new__: with 100,000
    rows that halves the time, and this is most of a fast open.
    """
    make = tuple.__new__
    return {row[4]: make(Entry, (None, row[1], row[2], row[3], row[0])) for row in rows}


def summary_line(s: CaseSummary) -> str:
    """One summary as a line of UNIT-separated fields (a JSON list per case costs far more
    memory to parse back); a value holding a separator raises ValueError."""
    fields = (
        s.reference,
        s.school_id,
        s.status.value,
        s.urgency.value,
        s.reporter_email,
        s.created_at.isoformat(),
        str(s.version),
        ",".join(d.isoformat() for d in s.task_dues),
        _iso(s.next_reminder_at) or "",
        _iso(s.closed_at) or "",
    )
    if any(UNIT in f or RECORD in f for f in fields):
        raise ValueError("a separator inside a value")
    return UNIT.join(fields)


def summaries_from(texts: Iterable[str]) -> dict[str, CaseSummary]:
    """The saved summaries by reference, from their texts (opened one at a time, if `texts`
    is a generator); repeated strings (schools, reporters) are shared.

    Raises ValueError (or KeyError) on a malformed line: the caller then reads the files.
    """
    interned: dict[str, str] = {}
    found = {}
    for line in (line for text in texts if text for line in text.split(RECORD)):
        ref, school, status, urgency, email, created, version, dues, reminder, closed = line.split(
            UNIT
        )
        found[ref] = CaseSummary(
            ref,
            interned.setdefault(school, school),
            STATUSES[status],
            URGENCIES[urgency],
            interned.setdefault(email, email),
            datetime.fromisoformat(created),
            int(version),
            tuple(datetime.fromisoformat(d) for d in dues.split(",")) if dues else (),
            _dt(reminder),
            _dt(closed),
        )
    return found


def load(path: Path) -> Snapshot:
    """The saved snapshot; an empty one when there is none usable (then every file is read)."""
    empty = Snapshot([], None, ())
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return empty
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return empty
    rows, folder, texts = data.get("rows"), data.get("folder"), data.get("summaries")
    if isinstance(texts, str):  # saved as one text, before CHUNK
        texts = [texts] if texts else []
    if not isinstance(rows, list) or not isinstance(texts, list):
        return empty
    if not all(isinstance(text, str) for text in texts):
        return empty
    if not all(type(row) is list and len(row) == 5 for row in rows):  # (about 10 ms per 100,000)
        return empty
    folder = folder if isinstance(folder, int) else None
    return Snapshot(rows, folder, tuple(texts), _sequences_from(data.get("sequences")))


def _sequences_from(saved: Any) -> dict[tuple[str, int], int] | None:
    try:
        return {(k[:-5], int(k[-4:])): int(n) for k, n in saved.items()}
    except (AttributeError, TypeError, ValueError):
        return None


def save(
    path: Path,
    entries: dict[str, Entry],
    folder: int | None,
    sequences: dict[tuple[str, int], int],
    seal: Callable[[str], str] = str,
) -> bool:
    """Write the snapshot atomically; False if the disk refused (the next open reads more).

    Every entry must have its summary. The summaries hold reporters' emails: the store hands
    in seal (its Sealer), and opens each text again before summaries_from.
    """
    try:
        lines = [summary_line(e.summary) for e in entries.values() if e.summary]
    except ValueError:
        lines, folder = [], None  # the next open reads every file instead
    texts = [RECORD.join(lines[at : at + CHUNK]) for at in range(0, len(lines), CHUNK)]
    data = {
        "format": FORMAT,
        "folder": folder,
        "rows": [to_row(ref, e) for ref, e in entries.items()],
        "summaries": [seal(text) for text in texts],
        "sequences": {f"{prefix}-{year:04d}": n for (prefix, year), n in sequences.items()},
    }
    try:
        write_durably(path, json.dumps(data, separators=(",", ":")).encode())
    except StorageUnavailable:
        return False
    return True
