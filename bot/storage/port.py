"""The storage port: what the service needs from any store (TinyDB or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from bot.models import CaseFile, CaseSummary


def is_scratch(table: str) -> bool:
    """Drafts of forms: nothing in them has been acknowledged, so a crash may lose them."""
    return table.endswith("drafts")


class Store(Protocol):
    """Every write returns only once it is durable; a crash leaves the old or the new state."""

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

    def evidence_path(self, sha256: str) -> Path: ...

    async def get_value(self, table: str, key: str) -> dict[str, Any] | None: ...

    async def put_value(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Keep a value; a store may write drafts tables without fsync (see is_scratch)."""
        ...

    async def delete_value(self, table: str, key: str) -> None: ...

    async def values(self, table: str) -> dict[str, dict[str, Any]]:
        """Every value of a table by key (a table of drafts, or for copying a store)."""
        ...

    def health(self) -> dict[str, Any]: ...
