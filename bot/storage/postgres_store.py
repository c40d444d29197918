"""The shared store: cases, references, leases and values in PostgreSQL, for several instances."""

from __future__ import annotations

import base64
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
from bot.sealing import Sealer, check_key, new_check
from bot.storage.files import EvidenceFiles
from bot.storage.tinydb_store import REFERENCE

log = logging.getLogger(__name__)

# Any fixed number will do: every instance of this bot takes the same lock to migrate.
MIGRATION_LOCK = 0x6F616B5F6D6967

# The key check's place among the values (see bot.sealing.check_key).
CHECK_TABLE, CHECK_KEY = "_sealing", "check"


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


def _summary(case: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
    """What summary_from reads of a case, and no more: the reporter's email sealed."""
    ref = case["reference"]
    return {
        "reference": ref,
        "school_id": case["school_id"],
        "status": case["status"],
        "urgency": case["urgency"],
        "reporter": {"email": sealer.seal_text(case["reporter"]["email"], f"reporter:{ref}")},
        "created_at": case["created_at"],
        "version": case["version"],
        "tasks": [
            {"status": t["status"], "due_at": t["due_at"], "remind_at": t["remind_at"]}
            for t in case.get("tasks", ())
        ],
        "closure": {"at": case["closure"]["at"]} if case.get("closure") else None,
    }


def _row(plain: dict[str, Any], sealer: Sealer) -> tuple[Any, ...]:
    """The column values of a case file (as plain data), in CASE_COLUMNS order.

    The body (the whole case file) is sealed; reporter_email is left empty (a column from
    before encryption that no query reads); the rest is what listings and queries need.
    """
    case = plain["case"]
    ref = case["reference"]
    return (
        ref,
        case["school_id"],
        case["status"],
        case["urgency"],
        "",
        datetime.fromisoformat(case["created_at"]),
        case["version"],
        plain["revision"],
        case["submission_key"],
        any(m["delivered_at"] is None for m in plain["outbox"]),
        json.dumps(_summary(case, sealer)),  # jsonb parameters go as JSON text
        json.dumps(sealer.seal_json(plain, f"case:{ref}")),
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
        sealer: Sealer | None = None,
    ) -> None:
        self.url = url
        # Without a key set, DATA_DIR's own key: fine for one instance, refused by the key
        # check for a second instance that made another (see _check_key).
        self.sealer = sealer or Sealer.for_data_dir(Path(data_dir))
        self.evidence = EvidenceFiles(Path(data_dir) / "evidence", self.sealer)
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
            await self._check_key()
        except BaseException:
            await self.close()
            raise

    async def _check_key(self) -> None:
        """Refuse a key that does not open this database's data; the first opener sets it."""
        get = "SELECT value FROM key_values WHERE tbl = $1 AND key = $2"
        stored = await self.pool.fetchval(get, CHECK_TABLE, CHECK_KEY)
        if not check_key(self.sealer, _check_bytes(stored), "the database"):
            return
        check = new_check(self.sealer)
        await self.pool.execute(
            "INSERT INTO key_values (tbl, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            CHECK_TABLE,
            CHECK_KEY,
            json.dumps(base64.b64encode(check).decode()),
        )
        # Another instance starting at the same moment with another key may have won.
        stored = await self.pool.fetchval(get, CHECK_TABLE, CHECK_KEY)
        check_key(self.sealer, _check_bytes(stored), "the database")

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
            await self.pool.execute(INSERT_CASE, *_row(to_plain(record), self.sealer))
        except asyncpg.UniqueViolationError:
            # The reference or the submission key is taken: the service retries and finds it.
            raise Conflict(f"{record.case.reference} or its submission exists already") from None

    async def save(self, record: CaseFile) -> None:
        row = _row(to_plain(record), self.sealer)
        status = await self.pool.execute(UPDATE_CASE, *row, record.revision - 1)
        if status != "UPDATE 1":
            raise Conflict(f"{record.case.reference} is not at revision {record.revision - 1}")

    async def load(self, reference: str) -> CaseFile | None:
        body = await self.pool.fetchval("SELECT body FROM cases WHERE reference = $1", reference)
        return case_file_from(self._body(reference, body)) if body is not None else None

    def _body(self, reference: str, body: str) -> dict[str, Any]:
        plain: dict[str, Any] = self.sealer.open_json(json.loads(body), f"case:{reference}")
        return plain

    async def plain_many(self, references: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Several case files as plain data, in one query (for checking a copy)."""
        rows = await self.pool.fetch(
            "SELECT reference, body FROM cases WHERE reference = ANY($1::text[])", list(references)
        )
        return {r["reference"]: self._body(r["reference"], r["body"]) for r in rows}

    async def find_submission(self, key: str) -> str | None:
        reference: str | None = await self.pool.fetchval(
            "SELECT reference FROM cases WHERE submission_key = $1", key
        )
        return reference

    async def summaries(self) -> list[CaseSummary]:
        rows = await self.pool.fetch("SELECT summary FROM cases")
        return [summary_from(self._summary_of(json.loads(r["summary"]))) for r in rows]

    def _summary_of(self, d: dict[str, Any]) -> dict[str, Any]:
        ref, email = d["reference"], d["reporter"]["email"]
        return {**d, "reporter": {"email": self.sealer.open_text(email, f"reporter:{ref}")}}

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

    def read_evidence(self, sha256: str) -> bytes:
        return self.evidence.read(sha256)

    # small keyed values: conversation references, drafts, user caches; each value sealed,
    # bound to its table and key

    async def get_value(self, table: str, key: str) -> dict[str, Any] | None:
        value = await self.pool.fetchval(
            "SELECT value FROM key_values WHERE tbl = $1 AND key = $2", table, key
        )
        return self._value(table, key, value) if value is not None else None

    def _value(self, table: str, key: str, stored: str) -> dict[str, Any]:
        value: dict[str, Any] = self.sealer.open_json(json.loads(stored), f"value:{table}:{key}")
        return value

    async def put_value(self, table: str, key: str, value: dict[str, Any]) -> None:
        await self.pool.execute(
            "INSERT INTO key_values (tbl, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value",
            table,
            key,
            json.dumps(self.sealer.seal_json(value, f"value:{table}:{key}")),
        )

    async def delete_value(self, table: str, key: str) -> None:
        await self.pool.execute("DELETE FROM key_values WHERE tbl = $1 AND key = $2", table, key)

    async def delete(self, reference: str) -> None:
        await self.pool.execute("DELETE FROM cases WHERE reference = $1", reference)

    async def delete_evidence(self, sha256: str) -> None:
        await self.evidence.delete(sha256)

    # access logs: a row an entry

    async def append_access(self, reference: str, entry: AccessEntry) -> None:
        body = json.dumps(self.sealer.seal_json(to_plain(entry), f"access:{reference}"))
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
        context = f"access:{reference}"
        return [entry_from(self.sealer.open_json(json.loads(r["entry"]), context)) for r in rows]

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
                same = self._body(row["reference"], row["body"]) == wanted.pop(row["reference"])
                (result.same if same else result.different).append(row["reference"])
            try:
                rows = [_row(f, self.sealer) for f in wanted.values()]
                await conn.executemany(INSERT_CASE, rows)
            except asyncpg.UniqueViolationError:
                raise Conflict("a submission key is already used by another case") from None
            await conn.executemany(RAISE_COUNTER, _highest(wanted))
        result.copied.extend(wanted)
        return result

    async def tables(self) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT tbl FROM key_values WHERE tbl <> $1 ORDER BY tbl", CHECK_TABLE
        )
        return [r["tbl"] for r in rows]

    async def values(self, table: str) -> dict[str, dict[str, Any]]:
        rows = await self.pool.fetch("SELECT key, value FROM key_values WHERE tbl = $1", table)
        return {r["key"]: self._value(table, r["key"], r["value"]) for r in rows}

    # keys rotate

    async def reseal(self) -> dict[str, int]:
        """Seal under the current key every body, summary and value that is not (an older key,
        or plaintext from before). Each row is rewritten only if it has not changed meanwhile,
        so instances may keep serving (with the new key first in their settings)."""
        counts = {"cases": 0, "values": 0, "evidence": 0}
        for ref in await self.references():
            for _ in range(5):  # a row that keeps changing under us: try again
                row = await self.pool.fetchrow(
                    "SELECT body, revision FROM cases WHERE reference = $1", ref
                )
                if row is None or self.sealer.is_current(json.loads(row["body"])):
                    break
                plain = self._body(ref, row["body"])
                summary, body = _row(plain, self.sealer)[10:]
                status = await self.pool.execute(
                    "UPDATE cases SET reporter_email = '', summary = $2, body = $3 "
                    "WHERE reference = $1 AND revision = $4",
                    ref,
                    summary,
                    body,
                    row["revision"],
                )
                if status == "UPDATE 1":
                    counts["cases"] += 1
                    break
        counts["access"] = await self._reseal_access()
        rows = await self.pool.fetch("SELECT tbl, key, value FROM key_values")
        for r in rows:
            tbl, key, stored = r["tbl"], r["key"], json.loads(r["value"])
            if tbl == CHECK_TABLE:
                blob = _check_bytes(r["value"])
                if blob is not None and not self.sealer.is_current(blob):
                    text = self.sealer.open(blob, "key-check")
                    again = base64.b64encode(self.sealer.seal(text, "key-check")).decode()
                    await self._replace_value(tbl, key, r["value"], json.dumps(again))
                continue
            if isinstance(stored, str) and self.sealer.is_current(stored):
                continue
            value = self.sealer.open_json(stored, f"value:{tbl}:{key}")
            again = json.dumps(self.sealer.seal_json(value, f"value:{tbl}:{key}"))
            counts["values"] += await self._replace_value(tbl, key, r["value"], again)
        counts["evidence"] = self.evidence.reseal()
        return counts

    async def _reseal_access(self) -> int:
        done = 0
        for r in await self.pool.fetch("SELECT reference, seq, entry FROM access_log"):
            stored = json.loads(r["entry"])
            if isinstance(stored, str) and self.sealer.is_current(stored):
                continue
            context = f"access:{r['reference']}"
            again = self.sealer.seal_json(self.sealer.open_json(stored, context), context)
            await self.pool.execute(
                "UPDATE access_log SET entry = $3 WHERE reference = $1 AND seq = $2",
                r["reference"],
                r["seq"],
                json.dumps(again),
            )
            done += 1
        return done

    async def _replace_value(self, tbl: str, key: str, old: str, new: str) -> int:
        status = await self.pool.execute(
            "UPDATE key_values SET value = $4 WHERE tbl = $1 AND key = $2 AND value = $3::jsonb",
            tbl,
            key,
            old,
            new,
        )
        return 1 if status == "UPDATE 1" else 0


def _check_bytes(stored: str | None) -> bytes | None:
    return None if stored is None else base64.b64decode(json.loads(stored))
