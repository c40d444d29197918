"""The access log from the command line: `access REF`, export-case's copy, audit verify."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pyzipper

from bot.access import AccessKind
from bot.config import EXAMPLE_TRUST, load_trust
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from tests.conftest import HEAD
from tests.sealed_files import read_access_lines, write_access_lines
from tests.test_cli import run
from tests.test_office import PASSPHRASE, fill_store

HEAD_AS_LOGGED = "head@oakprimary.example (slack:UHEAD01)"


def record(data: Path, ref: str, *accesses: tuple[AccessKind, str, str]) -> None:
    async def go() -> None:
        store = TinyDBStore(data)
        await store.open()
        service = CaseService(store, load_trust(EXAMPLE_TRUST), load_policy())
        for kind, channel, what in accesses:
            await service.record_access(ref, HEAD, kind, channel, what)
        await store.close()

    asyncio.run(go())


def test_access_lists_who_opened_the_case_a_file_and_the_export(tmp_path):
    data = tmp_path / "data"
    ref, other = fill_store(data)[:2]
    env = {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    r = run("access", ref, **env)
    assert r.returncode == 0, r.stderr
    assert f"Access log of {ref}: 0 entries" in r.stdout

    record(
        data,
        ref,
        (AccessKind.CASE_VIEWED, "slack", ""),
        (AccessKind.FILE_OPENED, "web", "evidence shot.png"),
    )
    out = tmp_path / "bundle.zip"
    by = ("--by", "Head@oakprimary.example", "--passphrase", PASSPHRASE)
    r = run("export-case", ref, "--out", str(out), *by, **env)
    assert r.returncode == 0, r.stderr

    r = run("access", ref, **env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"Access log of {ref}: 3 entries"
    entries = lines[1:4]
    assert f"slack  {HEAD_AS_LOGGED} opened the case" in entries[0]
    assert f"web    {HEAD_AS_LOGGED} opened a file: evidence shot.png" in entries[1]
    assert "cli    head@oakprimary.example (cli:" in entries[2]
    assert "exported the case: bundle.zip" in entries[2]
    assert lines[4] == "Hash chain intact."
    # the other case was never opened
    assert "0 entries" in run("access", other, **env).stdout

    with pyzipper.AESZipFile(out) as z:
        z.setpassword(PASSPHRASE.encode())
        log = json.loads(z.read(f"{ref}/access-log.json"))
        summary = z.read(f"{ref}/summary.txt").decode()
    assert [e["kind"] for e in log] == ["case_viewed", "file_opened", "case_exported"]
    assert {e["actor"].split(" ")[0] for e in log} == {"head@oakprimary.example"}
    assert "Access log: 3 entries" in summary

    bad = run("access", "OAK-2026-9999", **env)
    assert bad.returncode == 2 and "no such case" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_audit_verify_catches_an_edited_access_log_entry(tmp_path):
    data = tmp_path / "data"
    ref = fill_store(data)[0]
    env = {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    record(
        data,
        ref,
        (AccessKind.CASE_VIEWED, "web", ""),
        (AccessKind.FILE_OPENED, "web", "letter"),
        (AccessKind.CASE_VIEWED, "teams", ""),
    )
    r = run("audit", "verify", **env)
    assert r.returncode == 0, r.stdout
    assert "Access logs: 0 with a broken hash chain." in r.stdout

    # Someone hides who opened the letter: the entry no longer matches its hash.
    path = data / "access" / f"{ref}.jsonl"
    lines = read_access_lines(path)
    entry = json.loads(lines[1])
    entry["actor"] = "nobody@oakprimary.example (web:nobody)"
    lines[1] = json.dumps(entry)
    write_access_lines(path, lines)
    r = run("audit", "verify", **env)
    assert r.returncode == 1
    assert f"{ref}: access 2: its content does not match its hash (edited)" in r.stdout
    assert "Access logs: 1 with a broken hash chain." in r.stdout
    assert "Checked 3 case(s): 0 with a broken timeline." in r.stdout
    r = run("access", ref, **env)
    assert r.returncode == 1 and "Hash chain BROKEN." in r.stdout

    # Removing an entry breaks the chain as well.
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    r = run("audit", "verify", **env)
    assert r.returncode == 1
    assert f"{ref}: access 2: numbered 3 (an entry was removed or inserted)" in r.stdout


def test_migrate_copies_the_access_logs_and_removes_the_source_files(tmp_path, pg_url):
    data = tmp_path / "data"
    ref = fill_store(data)[0]
    env = {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    record(data, ref, (AccessKind.CASE_VIEWED, "web", ""), (AccessKind.FILE_OPENED, "web", "x"))
    before = run("access", ref, **env).stdout
    done = run("migrate", "--to", pg_url, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (data / "access").exists()  # copied, then gone with the TinyDB store's files
    after = run("access", ref, **env, DATABASE_URL=pg_url)
    assert after.returncode == 0 and after.stdout == before
    assert "Hash chain intact." in after.stdout and "2 entries" in after.stdout
