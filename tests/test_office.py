"""The office's commands on a real store: register without names, case bundle, audit verify."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import pyzipper

from bot.config import EXAMPLE_TRUST, load_trust
from bot.forms import report_form, to_answers
from bot.office import term_of
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from tests.conftest import HEAD, REPORTER, Clock
from tests.samples import answers_values, png
from tests.sealed_files import opened_text, read_case_file, write_case_file
from tests.test_cli import run

SECRET_TEXT = "Mrs Example is a disgrace"


def fill_store(data_dir: Path) -> list[str]:
    async def go() -> list[str]:
        store = TinyDBStore(data_dir)
        await store.open()
        clock = Clock()
        policy = load_policy()
        service = CaseService(store, load_trust(EXAMPLE_TRUST), policy, clock)
        refs = []
        for n, (when, categories) in enumerate(
            [
                (datetime(2026, 10, 5, 10, tzinfo=UTC), ["racist"]),
                (datetime(2026, 11, 20, 10, tzinfo=UTC), ["complaints", "offensive"]),
                (datetime(2027, 2, 3, 10, tzinfo=UTC), ["defamatory"]),
            ]
        ):
            clock.now = when
            values = answers_values(
                categories=categories,
                post_text=SECRET_TEXT,
                author_name="Jo Bloggs",
                seen_on=when.date().isoformat(),
            )
            answers = to_answers(report_form(policy), values, when.date(), "oak-primary")
            case, _ = await service.submit(REPORTER, answers, f"k{n}")
            await service.attach_evidence(
                case.reference, REPORTER, "shot.png", "image/png", png(f"png-{n}"), "test"
            )
            await service.approve(
                case.reference, HEAD, case.version, ["warning_letter", "retain_evidence"]
            )
            await service.make_letter(case.reference, HEAD)
            refs.append(case.reference)
        await store.close()
        return refs

    return asyncio.run(go())


def test_terms():
    assert term_of(date(2026, 10, 5)) == "Autumn 2026/27"
    assert term_of(date(2027, 2, 3)) == "Spring 2026/27"
    assert term_of(date(2027, 6, 1)) == "Summer 2026/27"


def test_export_register_has_no_names_or_post_text(tmp_path):
    data = tmp_path / "data"
    refs = fill_store(data)
    out = tmp_path / "register.csv"
    r = run(
        "export",
        "--school",
        "oak-primary",
        "--from",
        "2026-09-01",
        "--to",
        "2026-12-31",
        "--format",
        "csv",
        "--out",
        str(out),
        DATA_DIR=str(data),
        TRUST_CONFIG=str(EXAMPLE_TRUST),
    )
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["reference"] for row in rows] == refs[:2]
    assert rows[0]["categories"] == "4.2.5" and rows[0]["approved_actions"] == "5.1.1 5.1.7"
    # issue 13: a racist post is high (serious), urgent only when someone may be in danger
    assert rows[0]["term"] == "Autumn 2026/27" and rows[0]["urgency"] == "high"
    for forbidden in (SECRET_TEXT, "Jo Bloggs", "teacher@", "Tess", "head@"):
        assert forbidden not in text
    totals = list(csv.DictReader(io.StringIO((tmp_path / "register-totals.csv").read_text())))
    assert {"by": "school", "value": "oak-primary", "cases": "2"} in totals
    assert {"by": "term", "value": "Autumn 2026/27", "cases": "2"} in totals
    assert "Reading cases" in r.stderr  # the progress bar

    r = run("export", "--format", "json", DATA_DIR=str(data), TRUST_CONFIG=str(EXAMPLE_TRUST))
    body = json.loads(r.stdout)
    assert len(body["register"]) == 3
    assert body["totals"]["by_term"] == {"Autumn 2026/27": 2, "Spring 2026/27": 1}

    bad = run("export", "--school", "nowhere", DATA_DIR=str(data), TRUST_CONFIG=str(EXAMPLE_TRUST))
    assert bad.returncode != 0 and "no such school" in bad.stderr
    bad = run("export", "--from", "yesterday", DATA_DIR=str(data), TRUST_CONFIG=str(EXAMPLE_TRUST))
    assert bad.returncode != 0 and "not a date" in bad.stderr


PASSPHRASE = "correct horse battery"


def test_export_case_needs_a_passphrase_of_some_length(tmp_path):
    data = tmp_path / "data"
    ref = fill_store(data)[0]
    out = tmp_path / "bundle.zip"
    env = {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    r = run("export-case", ref, "--out", str(out), **env)  # no terminal here to ask on
    assert r.returncode == 2 and "--passphrase: give one" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run("export-case", ref, "--out", str(out), "--passphrase", "short", **env)
    assert r.returncode == 2 and "at least 10 characters" in r.stderr
    assert not out.exists()


def test_case_bundle_manifest_matches_and_audit_finds_tampering(tmp_path):
    data = tmp_path / "data"
    ref = fill_store(data)[0]
    out = tmp_path / "bundle.zip"
    env = {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    r = run("export-case", ref, "--out", str(out), "--passphrase", PASSPHRASE, **env)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert SECRET_TEXT.encode() not in out.read_bytes()
    with zipfile.ZipFile(out) as plain_zip, pytest.raises(RuntimeError, match="encrypted"):
        plain_zip.read(f"{ref}/summary.txt")  # AES: no reading it without the passphrase
    with pyzipper.AESZipFile(out) as z:
        z.setpassword(b"not the passphrase")
        with pytest.raises(RuntimeError):
            z.read(f"{ref}/summary.txt")
    with pyzipper.AESZipFile(out) as z:
        z.setpassword(PASSPHRASE.encode())
        names = z.namelist()
        manifest = z.read(f"{ref}/MANIFEST-SHA256.txt").decode().splitlines()
        for line in manifest:
            digest, name = line.split("  ")
            assert hashlib.sha256(z.read(f"{ref}/{name}")).hexdigest() == digest, name
        listed = {line.split("  ")[1] for line in manifest}
        summary = z.read(f"{ref}/summary.txt").decode()
        case = json.loads(z.read(f"{ref}/case.json"))
    [letter_sha] = [e["sha256"] for e in case["evidence"] if e["source"] == "warning_letter"]
    assert {"case.json", "timeline.json", "summary.txt"} <= listed
    # The letter as it was made, kept with the evidence, not made again for the bundle.
    assert f"evidence/{letter_sha[:12]}-{ref}-warning-letter.docx" in listed
    assert any(n.startswith(f"{ref}/evidence/") for n in names)
    assert "hash chain intact" in summary and SECRET_TEXT in summary

    assert (
        run("audit", "verify", DATA_DIR=str(data), TRUST_CONFIG=str(EXAMPLE_TRUST)).returncode == 0
    )
    path = data / "cases" / f"{ref}.json"
    stored = read_case_file(path)
    stored["timeline"]["3"]["summary"] = "Approved by nobody"
    write_case_file(path, stored)
    r = run("audit", "verify", DATA_DIR=str(data), TRUST_CONFIG=str(EXAMPLE_TRUST))
    assert r.returncode == 1
    assert f"{ref}: event 3: its content does not match its hash (edited)" in r.stdout


def test_purge_removes_old_closed_cases_and_their_files_only_and_flags_old_open_ones(tmp_path):
    data = tmp_path / "data"

    async def build() -> dict[str, str]:
        store = TinyDBStore(data)
        await store.open()
        clock = Clock()
        policy = load_policy()
        service = CaseService(store, load_trust(EXAMPLE_TRUST), policy, clock)
        refs = {}
        plan = [
            ("old_closed", datetime(2019, 3, 4, 10, tzinfo=UTC), True, png("old only")),
            ("old_open", datetime(2019, 3, 5, 10, tzinfo=UTC), False, png("shared")),
            ("recent_closed", datetime(2025, 3, 6, 10, tzinfo=UTC), True, png("recent")),
            ("old_closed_shared", datetime(2019, 3, 7, 10, tzinfo=UTC), True, png("shared")),
        ]
        for name, when, close, content in plan:
            clock.now = when
            answers = to_answers(
                report_form(policy),
                answers_values(seen_on=when.date().isoformat()),
                when.date(),
                "oak-primary",
            )
            case, _ = await service.submit(REPORTER, answers, name)
            await service.attach_evidence(
                case.reference, REPORTER, "s.png", "image/png", content, "t"
            )
            await service.approve(case.reference, HEAD, case.version, ["retain_evidence"])
            await service.complete_task(case.reference, HEAD, "t1", "Kept")
            if close:
                await service.close(case.reference, HEAD, "resolved_otherwise", "Sorted")
            refs[name] = case.reference
        await store.close()
        return refs

    refs = asyncio.run(build())
    env = {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    sha = {c: hashlib.sha256(png(c)).hexdigest() for c in ("old only", "shared", "recent")}

    dry = run("purge", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    for gone in (refs["old_closed"], refs["old_closed_shared"]):
        assert f"Would remove: {gone}" in dry.stdout
    assert f"Would flag {refs['old_open']}: open past retention; to be removed on" in dry.stdout
    assert refs["recent_closed"] not in dry.stdout
    assert "Would remove 0 evidence file(s) no case uses" in dry.stdout
    assert len(list((data / "cases").glob("*.json"))) == 4

    r = run("purge", **env)
    assert r.returncode == 0, r.stderr
    left = {p.stem for p in (data / "cases").glob("*.json")}
    assert left == {refs["old_open"], refs["recent_closed"]}
    evidence = {p.name for p in (data / "evidence").rglob("*") if p.is_file()}
    assert evidence == {sha["shared"], sha["recent"]}
    for gone in (refs["old_closed"], refs["old_closed_shared"]):
        assert not any(gone in opened_text(p) for p in (data / "cases").glob("*.json"))
    directory = opened_text(data / "values" / "purged.json")
    assert refs["old_closed"] in directory and "teacher@" not in directory
    assert run("audit", "verify", **env).returncode == 0
    assert "Done: 2 case(s) removed, 1 flagged" in r.stdout
    again = run("purge", **env)
    assert "Done: 0 case(s) removed, 0 flagged" in again.stdout
    assert f"Flagged earlier: {refs['old_open']}" in again.stdout
