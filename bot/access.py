"""The access log: who opened what of a case, when and how; append-only and hash-chained."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.models import canonical_json, to_plain
from bot.timeline import GENESIS, verify_chain


class AccessKind(StrEnum):
    """A deliberate access by a person (an automatic card refresh is not one)."""

    CASE_VIEWED = "case_viewed"  # the case page or card opened
    FILE_LINK_ISSUED = "file_link_issued"  # a signed link to a file handed to someone
    FILE_OPENED = "file_opened"  # that link used: the file's bytes served
    CASE_EXPORTED = "case_exported"  # python app.py export-case
    REGISTER_EXPORTED = "register_exported"  # python app.py export: the case was in it
    SUBJECT_ACCESS_EXPORTED = "subject_access_exported"  # python app.py subject-access

    @property
    def label(self) -> str:
        return {
            "case_viewed": "opened the case",
            "file_link_issued": "was given a link to a file",
            "file_opened": "opened a file",
            "case_exported": "exported the case",
            "register_exported": "exported the register",
            "subject_access_exported": "exported it for a subject access request",
        }[self.value]


@dataclass(frozen=True)
class AccessEntry:
    """One access; hash covers the entry and the previous entry's hash."""

    seq: int
    at: datetime
    actor: str  # "email (platform:user id)", as the timeline names people
    kind: AccessKind
    channel: str  # slack, teams, web, cli
    what: str  # the file's name or kind, the export's file; never report text
    prev_hash: str
    hash: str = ""

    def computed_hash(self) -> str:
        body = to_plain(replace(self, hash=""))
        return hashlib.sha256(canonical_json(body).encode()).hexdigest()

    @property
    def line(self) -> str:
        what = f": {self.what}" if self.what else ""
        at = self.at.isoformat(timespec="seconds")
        return f"{self.seq:>4}  {at}  {self.channel:<5}  {self.actor} {self.kind.label}{what}"


def next_entry(
    log: Sequence[AccessEntry],
    *,
    at: datetime,
    actor: str,
    kind: AccessKind,
    channel: str,
    what: str = "",
) -> AccessEntry:
    """The entry that follows the log, chained to its last one."""
    prev = log[-1].hash if log else GENESIS
    entry = AccessEntry(len(log) + 1, at, actor, kind, channel, what, prev)
    return replace(entry, hash=entry.computed_hash())


def verify(log: Sequence[AccessEntry]) -> list[str]:
    """Problems found in the access log's chain: an edited, removed, reordered or inserted entry."""
    return verify_chain(log, "access", "entry")


def entry_from(d: dict[str, Any]) -> AccessEntry:
    return AccessEntry(
        **{**d, "at": datetime.fromisoformat(d["at"]), "kind": AccessKind(d["kind"])}
    )
