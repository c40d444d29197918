"""`subject-access` and `erase` as the trust office runs them, on a real store."""

from __future__ import annotations

import asyncio
import json
import stat
import zipfile
from pathlib import Path

import pytest
import pyzipper

from bot.config import EXAMPLE_TRUST, load_trust
from bot.forms import report_form, to_answers
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from tests.conftest import HEAD, REPORTER, Clock
from tests.samples import answers_values
from tests.sealed_files import plaintext
from tests.test_cli import run

NAME = "Jo Bloggs"
PASSPHRASE = "correct horse battery"


def fill(data: Path, cases: list[dict[str, str]]) -> list[str]:
    async def go() -> list[str]:
        store = TinyDBStore(data)
        await store.open()
        policy = load_policy()
        service = CaseService(store, load_trust(EXAMPLE_TRUST), policy, Clock())
        refs = []
        for n, overrides in enumerate(cases):
            answers = to_answers(
                report_form(policy), answers_values(**overrides), service.today(), "oak-primary"
            )
            case, _ = await service.submit(REPORTER, answers, f"k{n}")
            refs.append(case.reference)
        await service.approve(refs[0], HEAD, 1, ["retain_evidence"])
        await store.close()
        return refs

    return asyncio.run(go())


def env(data: Path) -> dict[str, str]:
    return {"DATA_DIR": str(data), "TRUST_CONFIG": str(EXAMPLE_TRUST)}


def test_subject_access_by_name_finds_the_two_cases_that_name_them_and_no_other(tmp_path):
    data = tmp_path / "data"
    refs = fill(
        data,
        [
            {"post_text": f"Everyone knows {NAME} at the gate is a liar"},
            {"author_name": "Pat Other", "post_text": "The head is useless"},
            {"author_name": NAME},
            {"post_text": "Ask jo bloggsworth, she saw it"},  # another person: not a match
        ],
    )
    out = tmp_path / "sar.zip"
    r = run(
        "subject-access",
        "--name",
        NAME,
        "--out",
        str(out),
        "--by",
        "dpo@oaktrust.example",
        "--passphrase",
        PASSPHRASE,
        **env(data),
    )
    assert r.returncode == 0, r.stderr
    assert f"2 case(s) ({refs[0]}, {refs[2]})" in r.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as plain_zip, pytest.raises(RuntimeError, match="encrypted"):
        plain_zip.read("CHECKLIST.txt")  # AES: nothing readable without the passphrase
    with pyzipper.AESZipFile(out) as z:
        z.setpassword(PASSPHRASE.encode())
        names = z.namelist()
        checklist = z.read("CHECKLIST.txt").decode()
        case = json.loads(z.read(f"{refs[0]}/case.json"))
        access = json.loads(z.read(f"{refs[0]}/access-log.json"))
    assert {n.split("/")[0] for n in names} == {"CHECKLIST.txt", refs[0], refs[2]}
    assert NAME in case["answers"]["post_text"]
    assert f"{refs[0]}: named in the answers" in checklist
    assert f"{refs[2]}: named in the answers" in checklist
    assert "Tess Teacher <teacher@oakprimary.example> (reporter)" in checklist
    assert "Hana Head <head@oakprimary.example> (decided)" in checklist
    assert f"{NAME} (named as the post's author)" not in checklist  # the subject is not redacted
    assert access[-1]["kind"] == "subject_access_exported"
    assert "dpo@oaktrust.example" in access[-1]["actor"]


def test_subject_access_by_email_finds_the_reporters_cases(tmp_path):
    data = tmp_path / "data"
    refs = fill(data, [{}, {}])
    out = tmp_path / "sar.zip"
    secret = ("--passphrase", PASSPHRASE)
    r = run(
        "subject-access",
        "--email",
        "HEAD@oakprimary.example",
        "--out",
        str(out),
        *secret,
        **env(data),
    )
    assert r.returncode == 0, r.stderr
    with pyzipper.AESZipFile(out) as z:
        z.setpassword(PASSPHRASE.encode())
        checklist = z.read("CHECKLIST.txt").decode()
    assert f"{refs[0]}: named approver (decided)" in checklist and refs[1] not in checklist
    bad = run("subject-access", "--name", " ", "--out", str(out), *secret, **env(data))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    short = run(
        "subject-access", "--name", NAME, "--out", str(out), "--passphrase", "short", **env(data)
    )
    assert short.returncode == 2 and "use at least 10 characters" in short.stderr
    none = run("subject-access", "--name", NAME, "--out", str(out), **env(data))
    assert none.returncode == 2 and "--passphrase: give one" in none.stderr


def test_erase_needs_two_approvers_and_leaves_the_anonymous_record(tmp_path):
    data = tmp_path / "data"
    [ref, other] = fill(data, [{}, {}])
    e = env(data)

    def lines(r) -> list[str]:  # noqa: ANN001
        return r.stderr.strip().splitlines()

    no_reason = run("erase", ref, "--by", "head@oakprimary.example", **e)
    assert no_reason.returncode == 2 and lines(no_reason) == [
        "Error: erase: --reason: say why the case is to be erased"
    ]
    not_approver = run("erase", ref, "--reason", "x", "--by", "teacher@oakprimary.example", **e)
    assert not_approver.returncode == 2
    refused = (
        f"Error: Only the approvers who decide {ref} can erase it (the trust's escalation "
        "contacts when the post is about one of the school's deciders)."
    )
    assert lines(not_approver) == [refused]

    asked = run(
        "erase", ref, "--reason", "The subject asked", "--by", "head@oakprimary.example", **e
    )
    assert asked.returncode == 0, asked.stderr
    assert f"erase {ref} --confirm --by EMAIL" in asked.stdout
    assert (data / "cases" / f"{ref}.json").exists()

    same = run("erase", ref, "--confirm", "--by", "head@oakprimary.example", **e)
    assert same.returncode == 2 and "cannot confirm it" in same.stderr
    assert len(lines(same)) == 1 and (data / "cases" / f"{ref}.json").exists()
    unknown = run("erase", "OAK-2026-0999", "--confirm", "--by", "deputy@oakprimary.example", **e)
    assert unknown.returncode == 2 and lines(unknown) == ["Error: There is no case OAK-2026-0999."]

    done = run("erase", ref, "--confirm", "--by", "deputy@oakprimary.example", **e)
    assert done.returncode == 0, done.stderr
    assert f"Erased {ref}; an anonymous record of the removal is kept." in done.stdout
    assert not (data / "cases" / f"{ref}.json").exists()
    assert (data / "cases" / f"{other}.json").exists()
    kept = json.loads(plaintext(data / "values" / "purged.json", data))["values"]
    [record] = [d["value"] for d in kept.values() if d["key"] == ref]
    assert record["basis"] == "erasure" and "subject asked" not in json.dumps(record)
    for path in data.rglob("*"):
        if path.is_file() and path.name != "purged.json":
            assert ref.encode() not in plaintext(path, data), path  # opened where sealed
