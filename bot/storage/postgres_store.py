"""The shared store: cases, references, leases and values in PostgreSQL, for several instances."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bot.access import AccessEntry, entry_from
from bot.errors import Conflict, StorageUnavailable
from bot.models import CaseFile, CaseSummary, case_file_from, summary_from, to_plain
from bot.storage.files import EvidenceFiles
from bot.storage.tinydb_store import REFERENCE

log = logging.getLogger(__name__)

# Any fixed number will do: every instance of this bot takes the same lock to migrate.
MIGRATION_LOCK = 0x6F616B5F6D6967

# Keys of a case that summary_from never reads; left out of the summary column to keep it small.
HEAVY = ("answers", "recommendation", "evidence", "messages", "info_requests", "decision")


@dataclass(frozen=True)
class Migration:
    version: int
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        (
            """CREATE TABLE cases (
                reference text PRIMARY KEY,
                school_id text NOT NULL,
                status text NOT NULL,
                urgency text NOT NULL,
                reporter_email text NOT NULL,
                created_at timestamptz NOT NULL,
                version integer NOT NULL,
                revision integer NOT NULL,
                submission_key text NOT NULL UNIQUE,
                has_pending_outbox boolean NOT NULL,
                summary jsonb NOT NULL,
                body jsonb NOT NULL,
                lease_owner text,
                lease_until timestamptz
            )""",
            "CREATE INDEX cases_pending ON cases (reference) WHERE has_pending_outbox",
            """CREATE TABLE reference_counters (
                prefix text NOT NULL,
                year integer NOT NULL,
                last integer NOT NULL,
                PRIMARY KEY (prefix, year)
            )""",
            """CREATE TABLE key_values (
                tbl text NOT NULL,
                key text NOT NULL,
                value jsonb NOT NULL,
                PRIMARY KEY (tbl, key)
            )""",
        ),
    ),
    Migration(
        2,
        (
            # Access logs apart from the cases: a view inserts a row, never locks a case's row.
            """CREATE TABLE access_log (
                reference text NOT NULL,
                seq integer NOT NULL,
                entry jsonb NOT NULL,
                PRIMARY KEY (reference, seq)
            )""",
        ),
    ),
)

CASE_COLUMNS = (
    "reference, school_id, status, urgency, reporter_email, created_at, version, revision, "
    "submission_key, has_pending_outbox, summary, body"
)
# The column list is a constant of this module; the values are always bound parameters.
INSERT_CASE = f"INSERT INTO cases ({CASE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"  # noqa: S608
UPDATE_CASE = """UPDATE cases SET school_id = $2, status = $3, urgency = $4, reporter_email = $5,
    created_at = $6, version = $7, revision = $8, submission_key = $9, has_pending_outbox = $10,
    summary = $11, body = $12
    WHERE reference = $1 AND revision = $13"""
NEXT_REFERENCE = """INSERT INTO reference_counters (prefix, year, last) VALUES ($1, $2, 1)
    ON CONFLICT (prefix, year) DO UPDATE SET last = reference_counters.last + 1
    RETURNING last"""
RAISE_COUNTER = """INSERT INTO reference_counters (prefix, year, last) VALUES ($1, $2, $3)
    ON CONFLICT (prefix, year) DO UPDATE
    SET last = greatest(reference_counters.last, EXCLUDED.last)"""
# Only the entry that follows the last one goes in: a gap or a repeat is someone else's append.
APPEND_ACCESS = """INSERT INTO access_log (reference, seq, entry)
    SELECT $1, $2, $3
    WHERE (SELECT coalesce(max(seq), 0) FROM access_log WHERE reference = $1) = $2 - 1
    ON CONFLICT DO NOTHING"""
LEASE = """UPDATE cases
    SET lease_owner = $2, lease_until = clock_timestamp() + make_interval(secs => $3)
    WHERE reference = $1
      AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < clock_timestamp())"""


def _row(plain: dict[str, Any]) -> tuple[Any, ...]:
    """The column values of a case file (as plain data), in CASE_COLUMNS order."""
    case = plain["case"]
    summary = {k: v for k, v in case.items() if k not in HEAVY}
    return (
        case["reference"],
        case["school_id"],
        case["status"],
        case["urgency"],
        case["reporter"]["email"].lower(),
        datetime.fromisoformat(case["created_at"]),
        case["version"],
        plain["revision"],
        case["submission_key"],
        any(m["delivered_at"] is None for m in plain["outbox"]),
        json.dumps(summary, ensure_ascii=False),  # jsonb parameters go as JSON text
        json.dumps(plain, ensure_ascii=False),
    )


def _highest(references: Iterable[str]) -> list[tuple[str, int, int]]:
    """The highest number used per prefix and year: counters must never hand them out again."""
    top: dict[tuple[str, int], int] = {}
    for reference in references:
        m = REFERENCE.match(reference)
        if m:
            key = (m[1], int(m[2]))
            top[key] = max(top.get(key, 0), int(m[3]))
    return [(prefix, year, n) for (prefix, year), n in top.items()]


@dataclass(frozen=True)
class ImportResult:
    """What copying case files in did: copied, already there alike, or there and different."""

    copied: list[str]
    same: list[str]
    different: list[str]


class PostgresStore:
    """One row per case (the case file as jsonb beside the columns listings need).

    Every write is one statement or one transaction, committed before it returns, so it is as
    durable as the server's settings make it. Evidence files stay on disk under DATA_DIR.
    """

    shared = True  # several instances write to it: their outbox workers must poll

    def __init__(
        self,
        url: str,
        data_dir: Path,
        min_size: int = 1,
        max_size: int = 10,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.url = url
        self.evidence = EvidenceFiles(Path(data_dir) / "evidence")
        self.min_size = min_size
        self.max_size = max_size
        self.migrations = tuple(migrations)
        self._pool: asyncpg.Pool | None = None

    # life cycle

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=self.min_size, max_size=self.max_size
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # The message can echo the URL; name only the kind of failure.
            raise StorageUnavailable(
                f"Could not connect to the database ({type(exc).__name__})."
            ) from None
        try:
            await self.migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store not open")
        return self._pool

    async def migrate(self) -> int:
        """Bring the schema up to date; returns its version. One transaction per migration."""
        async with self.pool.acquire() as conn:
            # A session lock, so instances starting together migrate one after the other.
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer)")
                current: int = await conn.fetchval(
                    "SELECT coalesce(max(version), 0) FROM schema_version"
                )
                for migration in self.migrations:
                    if migration.version > current:
                        await self._apply(conn, migration)
                        current = migration.version
                return current
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    @staticmethod
    async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
        async with conn.transaction():
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_version VALUES ($1)", migration.version)
        log.info("database schema migrated to version %d", migration.version)

    def health(self) -> dict[str, Any]:
        pool = self._pool
        return {
            "kind": "postgresql",
            "connected": pool is not None and not pool.is_closing(),
            "pool_size": pool.get_size() if pool else 0,
            "pool_idle": pool.get_idle_size() if pool else 0,
        }

    # cases

    async def next_reference(self, prefix: str, year: int) -> str:
        # The upsert takes the counter's row lock: concurrent callers get distinct numbers.
        n = await self.pool.fetchval(NEXT_REFERENCE, prefix, year)
        return f"{prefix}-{year}-{n:04d}"

    async def create(self, record: CaseFile) -> None:
        try:
            await self.pool.execute(INSERT_CASE, *_row(to_plain(record)))
        except asyncpg.UniqueViolationError:
            # The reference or the submission key is taken: the service retries and finds it.
            raise Conflict(f"{record.case.reference} or its submission exists already") from None

    async def save(self, record: CaseFile) -> None:
        status = await self.pool.execute(UPDATE_CASE, *_row(to_plain(record)), record.revision - 1)
        if status != "UPDATE 1":
            raise Conflict(f"{record.case.reference} is not at revision {record.revision - 1}")

    async def load(self, reference: str) -> CaseFile | None:
        body = await self.pool.fetchval("SELECT body FROM cases WHERE reference = $1", reference)
        return case_file_from(json.loads(body)) if body is not None else None

    async def plain_many(self, references: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Several case files as plain data, in one query (for checking a copy)."""
        rows = await self.pool.fetch(
            "SELECT reference, body FROM cases WHERE reference = ANY($1::text[])", list(references)
        )
        return {r["reference"]: json.loads(r["body"]) for r in rows}

    async def find_submission(self, key: str) -> str | None:
        reference: str | None = await self.pool.fetchval(
            "SELECT reference FROM cases WHERE submission_key = $1", key
        )
        return reference

    async def summaries(self) -> list[CaseSummary]:
        rows = await self.pool.fetch("SELECT summary FROM cases")
        return [summary_from(json.loads(r["summary"])) for r in rows]

    async def references(self) -> list[str]:
        rows = await self.pool.fetch("SELECT reference FROM cases ORDER BY reference")
        return [r["reference"] for r in rows]

    async def with_pending_outbox(self) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT reference FROM cases WHERE has_pending_outbox ORDER BY reference"
        )
        return [r["reference"] for r in rows]

    # delivery leases: a conditional update on the case's row, timed by the server's clock

    async def lease(self, reference: str, owner: str, seconds: float) -> bool:
        status: str = await self.pool.execute(LEASE, reference, owner, float(seconds))
        return status == "UPDATE 1"

    async def release(self, reference: str, owner: str) -> None:
        await self.pool.execute(
            "UPDATE cases SET lease_owner = NULL, lease_until = NULL "
            "WHERE reference = $1 AND lease_owner = $2",
            reference,
            owner,
        )

    # evidence: files on disk, shared by instances on one machine or a shared volume

    def evidence_path(self, sha256: str) -> Path:
        return self.evidence.path(sha256)

    async def put_evidence(self, data: bytes) -> str:
        return await self.evidence.put(data)

    async def evidence_files(self) -> dict[str, datetime]:
        return await self.evidence.listing()

    # small keyed values: conversation references, drafts, user caches

    async def get_value(self, table: str, key: str) -> dict[str, Any] | None:
        value = await self.pool.fetchval(
            "SELECT value FROM key_values WHERE tbl = $1 AND key = $2", table, key
        )
        return json.loads(value) if value is not None else None

    async def put_value(self, table: str, key: str, value: dict[str, Any]) -> None:
        await self.pool.execute(
            "INSERT INTO key_values (tbl, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value",
            table,
            key,
            json.dumps(value, ensure_ascii=False),
        )

    async def delete_value(self, table: str, key: str) -> None:
        await self.pool.execute("DELETE FROM key_values WHERE tbl = $1 AND key = $2", table, key)

    async def delete(self, reference: str) -> None:
        await self.pool.execute("DELETE FROM cases WHERE reference = $1", reference)

    async def delete_evidence(self, sha256: str) -> None:
        await self.evidence.delete(sha256)

    # access logs: a row an entry

    async def append_access(self, reference: str, entry: AccessEntry) -> None:
        body = json.dumps(to_plain(entry), ensure_ascii=False)
        try:
            status = await self.pool.execute(APPEND_ACCESS, reference, entry.seq, body)
        except asyncpg.UniqueViolationError:
            status = ""
        if status != "INSERT 0 1":
            raise Conflict(f"{reference}'s access log is not at entry {entry.seq - 1}")

    async def access_log(self, reference: str) -> list[AccessEntry]:
        rows = await self.pool.fetch(
            "SELECT entry FROM access_log WHERE reference = $1 ORDER BY seq", reference
        )
        return [entry_from(json.loads(r["entry"])) for r in rows]

    async def delete_access_log(self, reference: str) -> None:
        await self.pool.execute("DELETE FROM access_log WHERE reference = $1", reference)

    # bulk copy in (python app.py migrate)

    async def import_cases(self, files: Sequence[dict[str, Any]]) -> ImportResult:
        """Copy case files (plain data) in one transaction; one already here is left as it is."""
        wanted = {f["case"]["reference"]: f for f in files}
        result = ImportResult([], [], [])
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT reference, body FROM cases WHERE reference = ANY($1::text[])",
                list(wanted),
            )
            for row in rows:
                same = json.loads(row["body"]) == wanted.pop(row["reference"])
                (result.same if same else result.different).append(row["reference"])
            try:
                await conn.executemany(INSERT_CASE, [_row(f) for f in wanted.values()])
            except asyncpg.UniqueViolationError:
                raise Conflict("a submission key is already used by another case") from None
            await conn.executemany(RAISE_COUNTER, _highest(wanted))
        result.copied.extend(wanted)
        return result

    async def tables(self) -> list[str]:
        rows = await self.pool.fetch("SELECT DISTINCT tbl FROM key_values ORDER BY tbl")
        return [r["tbl"] for r in rows]

    async def values(self, table: str) -> dict[str, dict[str, Any]]:
        rows = await self.pool.fetch("SELECT key, value FROM key_values WHERE tbl = $1", table)
        return {r["key"]: json.loads(r["value"]) for r in rows}
