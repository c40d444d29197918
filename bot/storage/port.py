"""The storage port: what the service needs from any store (TinyDB or PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.access import AccessEntry
from bot.models import CaseFile, CaseSummary


def is_scratch(table: str) -> bool:
    """Drafts of forms: nothing in them has been acknowledged, so a crash may lose them."""
    return table.endswith("drafts")


class Store(Protocol):
    """Every write returns only once it is durable; a crash leaves the old or the new state.

    Encryption at rest: a store seals what it writes with its Sealer (bot/sealing.py) and
    opens it on read, so callers see plain records. TinyDB seals whole files; PostgreSQL seals
    the case body, each value and the reporter's email, keeping plain only the columns queries
    use (reference, school, status, urgency, dates, submission key, outbox flag). A new method
    that writes must seal too: tests/e2e/test_sealed_at_rest.py reads every file and every
    table after a report and fails on any plaintext.
    """

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def next_reference(self, prefix: str, year: int) -> str:
        """The next unused reference for this prefix and year, such as OAK-2026-0007."""
        ...

    async def create(self, record: CaseFile) -> None:
        """Store a new case file; raises Conflict if the reference is taken."""
        ...

    async def load(self, reference: str) -> CaseFile | None: ...

    async def save(self, record: CaseFile) -> None:
        """Replace a case file whose stored revision is record.revision - 1, else Conflict."""
        ...

    async def find_submission(self, key: str) -> str | None:
        """The reference of the case filed with this submission key, if any."""
        ...

    async def summaries(self) -> list[CaseSummary]: ...

    async def references(self) -> list[str]: ...

    async def with_pending_outbox(self) -> list[str]:
        """References of cases with undelivered outbox messages."""
        ...

    async def lease(self, reference: str, owner: str, seconds: float) -> bool:
        """Claim the right to deliver this case's outbox for seconds; True if owner now holds it.

        The holder may renew by leasing again; anyone may take a lease that has expired, so a
        process killed mid-delivery holds up a case's messages for at most seconds.
        """
        ...

    async def release(self, reference: str, owner: str) -> None:
        """Give the lease back early, if owner still holds it."""
        ...

    async def delete(self, reference: str) -> None:
        """Remove a case file for good (purge after the retention period); durable."""
        ...

    async def delete_evidence(self, sha256: str) -> None:
        """Remove a retained file that no case refers to any more."""
        ...

    async def put_evidence(self, data: bytes) -> str:
        """Keep a file by its SHA-256 (returned); idempotent."""
        ...

    def evidence_path(self, sha256: str) -> Path:
        """Where a retained file is kept (sealed: read it with read_evidence)."""
        ...

    def read_evidence(self, sha256: str) -> bytes:
        """A retained file's bytes, opened; FileNotFoundError if it is not kept."""
        ...

    async def reseal(self) -> dict[str, int]:
        """Seal under the current key all that is under an older one (or plaintext from before
        encryption): `keys rotate`. Counts by kind (cases, values, evidence)."""
        ...

    async def evidence_files(self) -> dict[str, datetime]:
        """Every retained file by SHA-256, with when it was stored (to find orphans)."""
        ...

    async def get_value(self, table: str, key: str) -> dict[str, Any] | None: ...

    async def put_value(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Keep a value; a store may write drafts tables without fsync (see is_scratch)."""
        ...

    async def delete_value(self, table: str, key: str) -> None: ...

    async def values(self, table: str) -> dict[str, dict[str, Any]]:
        """Every value of a table by key (a table of drafts, or for copying a store)."""
        ...

    async def append_access(self, reference: str, entry: AccessEntry) -> None:
        """Add an entry to the case's access log (kept apart from the case file, so a view
        never waits for a decision); durable. entry.seq must be one past the log's last entry,
        else Conflict (someone else's access got there first: read the log and chain again).
        """
        ...

    async def access_log(self, reference: str) -> list[AccessEntry]:
        """The case's access log, oldest first; empty when nobody has opened it."""
        ...

    async def delete_access_log(self, reference: str) -> None:
        """Remove a case's access log for good (purge, erase); durable."""
        ...

    async def tables(self) -> list[str]:
        """The names of the value tables that hold something (purge scrubs them all)."""
        ...

    def health(self) -> dict[str, Any]: ...
