"""The TinyDB store's index snapshot: case summaries saved on close, so open need not read all."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import StorageUnavailable
from bot.files import write_durably
from bot.models import CaseSummary, Status, Urgency

FORMAT = 1


def stamp(st: os.stat_result) -> int:
    """A case file's identity at one moment: inode, size and mtime folded into one int.

    Every write renames a new file over the old one, so the inode changes too: a file
    rewritten within one mtime tick at the same size is still told apart. One int (not a
    tuple) keeps the per-case memory small; int and tuple hashes are not randomised.
    """
    return hash((st.st_ino, st.st_size, st.st_mtime_ns))


@dataclass(frozen=True, slots=True)
class Entry:
    """What the store keeps in memory for one case, as the snapshot saves it."""

    summary: CaseSummary
    revision: int
    submission_key: str
    pending: bool
    stamp: int


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_row(e: Entry) -> list[Any]:
    s = e.summary
    return [
        e.stamp,
        e.revision,
        e.submission_key,
        e.pending,
        s.reference,
        s.school_id,
        s.status.value,
        s.urgency.value,
        s.reporter_email,
        s.created_at.isoformat(),
        s.version,
        [d.isoformat() for d in s.task_dues],
        _iso(s.next_reminder_at),
        _iso(s.closed_at),
    ]


def from_row(row: list[Any], interned: dict[str, str]) -> Entry:
    """An entry back from its row; repeated strings (schools, reporters) are shared."""
    stamp_, revision, key, pending, ref, school, status, urgency, email, created = row[:10]
    version, dues, reminder, closed = row[10:]
    summary = CaseSummary(
        ref,
        interned.setdefault(school, school),
        Status(status),
        Urgency(urgency),
        interned.setdefault(email, email),
        datetime.fromisoformat(created),
        version,
        tuple(datetime.fromisoformat(d) for d in dues),
        _dt(reminder),
        _dt(closed),
    )
    return Entry(summary, revision, key, pending, stamp_)


def load(path: Path) -> dict[str, list[Any]]:
    """The saved rows by reference; empty when there is no usable snapshot (then read all)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    rows = data.get("rows")
    return {row[4]: row for row in rows} if isinstance(rows, list) else {}


def save(path: Path, entries: list[Entry]) -> bool:
    """Write the snapshot atomically; False if the disk refused (the next open reads more)."""
    data = {"format": FORMAT, "rows": [to_row(e) for e in entries]}
    try:
        write_durably(path, json.dumps(data, separators=(",", ":")).encode())
    except StorageUnavailable:
        return False
    return True
