"""`python app.py migrate --to postgresql://…`: 10,000 cases copied once, every chain verified."""

from __future__ import annotations

from pathlib import Path

from bench.store import fill, template
from bot.storage.postgres_store import PostgresStore
from bot.storage.tinydb_store import TinyDBStore
from tests.pg import run_sync
from tests.sealed_files import read_case_file, write_case_file
from tests.test_cli import run

CASES = 10_000
# Each run reads all 10,000 case files and compares them with PostgreSQL's copies; the second also
# deletes them (10,002 unlinks), which can take minutes on a loaded machine: the bound catches a
# hang, not slowness (speed is measured in bench/, not here).
HANG = 600


async def keep_a_value(data_dir: Path) -> None:
    store = TinyDBStore(data_dir)
    await store.open()
    await store.put_value("conversations", "head@oakprimary.example", {"id": "D1"})
    await store.close()


async def next_reference(url: str, data_dir: Path) -> str:
    store = PostgresStore(url, data_dir)
    await store.open()
    try:
        return await store.next_reference("OAK", 2025)
    finally:
        await store.close()


def test_migrate_copies_every_case_once_and_audit_verifies_them(tmp_path: Path, pg_url: str):
    data = tmp_path / "data"
    fill(data, run_sync(template, tmp_path), CASES)
    run_sync(keep_a_value, data)

    first = run("migrate", "--to", pg_url, "--keep-source", DATA_DIR=str(data), timeout=HANG)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "are kept (--keep-source)" in first.stdout
    assert len(list((data / "cases").glob("*.json"))) == CASES
    assert f"Copied {CASES:,} case(s)" in first.stdout
    assert f"Verified {CASES:,} hash chain(s) in PostgreSQL: 0 problem(s)." in first.stdout
    assert "copied 1, skipped 0 already there" in first.stdout

    again = run("migrate", "--to", pg_url, DATA_DIR=str(data), timeout=HANG)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Copied 0 case(s)" in again.stdout
    assert f"Skipped {CASES:,} case(s) already there with the same content." in again.stdout
    assert "copied 0, skipped 1 already there" in again.stdout
    # Verified, and without --keep-source: the TinyDB store's files go; evidence stays.
    assert f"Removed the TinyDB store's {CASES + 2:,} file(s)" in again.stdout
    assert not (data / "cases").exists() and not (data / "values").exists()
    assert not (data / "case-index.json").exists() and (data / "evidence").is_dir()

    audit = run("audit", "verify", DATA_DIR=str(data), DATABASE_URL=pg_url, timeout=HANG)
    assert audit.returncode == 0, audit.stderr[-2000:]
    assert f"Checked {CASES} case(s): 0 with a broken timeline." in audit.stdout
    # The reference counters moved past the copied cases: no reference is handed out twice.
    assert run_sync(next_reference, pg_url, data) == f"OAK-2025-{CASES + 1:04d}"


def test_check_names_the_store_without_the_password(tmp_path: Path):
    url = "postgresql://bot:s3cret@db.example:5432/cases"
    slack = {"SLACK_BOT_TOKEN": "xoxb-not-a-token", "SLACK_SIGNING_SECRET": "not-a-secret"}
    # With a channel that can run (check exits 1 when none can).
    r = run("check", DATABASE_URL=url, DATA_DIR=str(tmp_path), **slack)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Store: PostgreSQL at postgresql://bot:***@db.example:5432/cases" in r.stdout
    assert "s3cret" not in r.stdout + r.stderr
    plain = run("check", DATA_DIR=str(tmp_path))
    assert f"Store: TinyDB under {tmp_path}" in plain.stdout


def test_migrate_to_an_unreachable_database_says_so(tmp_path: Path):
    r = run("migrate", "--to", "postgresql://bot:s3cret@127.0.0.1:1/cases", DATA_DIR=str(tmp_path))
    assert r.returncode == 2
    assert "Could not connect to the database" in r.stderr
    assert "s3cret" not in r.stdout + r.stderr


def test_migrate_keeps_the_source_when_the_copy_does_not_verify(tmp_path: Path, pg_url: str):
    data = tmp_path / "data"
    fill(data, run_sync(template, tmp_path), 3)
    first = run("migrate", "--to", pg_url, "--keep-source", DATA_DIR=str(data), timeout=HANG)
    assert first.returncode == 0, first.stderr[-2000:]
    # A case changed in TinyDB since: PostgreSQL's copy differs, so nothing may be removed.
    path = sorted((data / "cases").glob("*.json"))[0]
    stored = read_case_file(path)
    stored["case"]["1"]["urgency"] = "high"
    write_case_file(path, stored)
    again = run("migrate", "--to", pg_url, DATA_DIR=str(data), timeout=HANG)
    assert again.returncode == 1
    assert f"Not copied: {path.stem} is already there with different content" in again.stdout
    assert "are kept: the copy did not verify" in again.stdout
    assert len(list((data / "cases").glob("*.json"))) == 3


def test_migrate_brings_the_access_logs_up_to_date_before_removing_the_source(
    tmp_path: Path, pg_url: str
):
    from bot.access import AccessKind
    from bot.config import EXAMPLE_TRUST, load_trust
    from bot.policy import load_policy
    from bot.service import CaseService

    data = tmp_path / "data"
    fill(data, run_sync(template, tmp_path), 2)

    async def opened(ref: str) -> None:
        store = TinyDBStore(data)
        await store.open()
        service = CaseService(store, load_trust(EXAMPLE_TRUST), load_policy())
        await service.record_access(ref, "dpo@oaktrust.example", AccessKind.CASE_VIEWED, "cli")
        await store.close()

    async def log_in_postgres(ref: str) -> list[str]:
        store = PostgresStore(pg_url, data)
        await store.open()
        try:
            return [e.actor for e in await store.access_log(ref)]
        finally:
            await store.close()

    ref = sorted(p.stem for p in (data / "cases").glob("*.json"))[0]
    run_sync(opened, ref)
    first = run("migrate", "--to", pg_url, "--keep-source", DATA_DIR=str(data), timeout=HANG)
    assert first.returncode == 0, first.stderr[-2000:]
    run_sync(opened, ref)  # opened again after the copy, before the switch
    again = run("migrate", "--to", pg_url, DATA_DIR=str(data), timeout=HANG)
    assert again.returncode == 0, again.stderr[-2000:]
    assert run_sync(log_in_postgres, ref) == ["dpo@oaktrust.example"] * 2
    assert not (data / "access").exists() and not (data / "cases").exists()
