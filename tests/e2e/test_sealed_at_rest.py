"""Encryption at rest, end to end over HTTP on TinyDB and PostgreSQL: nothing personal in any
file or row, a wrong key refused with nothing changed, and keys rotate keeping every case."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import asyncpg
import pytest

from bot.sealing import Sealer, key_id, new_key
from tests.e2e.harness import ServerProcess, base_env
from tests.e2e.slack_support import World, click_card, file_report, serving, slack_world
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import HEAD, TOKEN, USERS
from tests.samples import png
from tests.test_cli import run

SENTENCE = "Sealed-at-rest sentence: the bursar's parrot marks the spelling tests"
SHOT = png(bytes(range(256)) * 4 + b"sealed-at-rest screenshot")
FILES = {"F0SEAL0001": {"name": "post.png", "mimetype": "image/png", "content": SHOT}}
REPORTER_EMAIL = "teacher@oakprimary.example"
KINDS = ["tinydb", "postgresql"]


def keyed(key: bytes) -> str:
    return base64.b64encode(key).decode()


def store_env(kind: str, request: pytest.FixtureRequest, **env: str) -> dict[str, str]:
    if kind == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("pg_url")
    return env


async def report_with_screenshot(w: World) -> str:
    """A report through Slack with the sentence and the screenshot, approved by the head."""
    post = {"platform": "facebook", "post_text": SENTENCE, "evidence": ["F0SEAL0001"]}
    ref = await file_report(w, post=post)
    await w.api.wait_for("files:download")
    for _ in range(100):
        await w.server.idle()
        if (await w.server.service.get(ref)).case.evidence:
            break
    await click_card(w, HEAD, ref, "case_approve")
    for _ in range(100):  # Bolt acks first, then decides
        await w.server.idle()
        record = await w.server.service.get(ref)
        if record.case.decision is not None:
            break
    assert record.case.decision is not None and record.case.decision.by.email.startswith("head")
    assert record.case.answers.post_text == SENTENCE  # read back whole, through the store
    assert w.server.service.store.read_evidence(record.case.evidence[0].sha256) == SHOT
    return ref


def secrets_in(blob: bytes) -> list[str]:
    """Which of the report's personal data a stored blob shows, in any plain encoding."""
    middle = SHOT[100:164]
    found = {
        "sentence": SENTENCE.encode() in blob,
        "screenshot": middle in blob or SHOT in blob,
        "screenshot as hex": middle.hex().encode() in blob,
        "screenshot as base64": base64.b64encode(SHOT).decode()[:80].encode() in blob,
        "reporter's email": REPORTER_EMAIL.encode() in blob,
    }
    return [what for what, there in found.items() if there]


def files_showing(data: Path) -> dict[str, list[str]]:
    shown = {}
    for path in data.rglob("*"):
        if path.is_file() and (what := secrets_in(path.read_bytes())):
            shown[str(path.relative_to(data))] = what
    return shown


async def database_dump(url: str) -> dict[str, list[str]]:
    """Every row of every table, as PostgreSQL prints it."""
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        dump = {}
        for t in tables:
            name = t["table_name"]
            query = f'SELECT t::text AS row FROM "{name}" t ORDER BY 1'  # noqa: S608 - a table name
            rows = await conn.fetch(query)
            dump[name] = [r["row"] for r in rows]
        return dump
    finally:
        await conn.close()


def rows_showing(dump: dict[str, list[str]]) -> list[str]:
    return [
        f"{table}: {what}"
        for table, rows in dump.items()
        for row in rows
        if (what := secrets_in(row.encode()))
    ]


def hashes(data: Path) -> dict[str, str]:
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in data.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("kind", KINDS)
async def test_no_file_or_row_holds_the_report_and_a_wrong_key_is_refused(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
):
    data = tmp_path / "data"
    key = keyed(new_key())
    env = store_env(kind, request, ENCRYPTION_KEY=key)
    async with slack_world(data, FILES, **env) as w:
        ref = await report_with_screenshot(w)
    assert files_showing(data) == {}
    if kind == "postgresql":
        dump = await database_dump(env["DATABASE_URL"])
        assert sum(len(rows) for rows in dump.values()) > 3  # the case, its counter, values
        assert rows_showing(dump) == []

    # The same server with another key: refused at start, nothing read, nothing changed.
    before = hashes(data)
    rows_before = await database_dump(env["DATABASE_URL"]) if kind == "postgresql" else {}
    settings = {"DATA_DIR": str(data), **env, "ENCRYPTION_KEY": keyed(new_key())}
    export = ("export-case", ref, "--out", str(tmp_path / "x.zip"), "--passphrase", "a" * 12)
    for command in (("serve",), ("audit", "verify"), export):
        refused = run(*command, **settings, PORT="0", HOST="127.0.0.1")
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr[-2000:])
        [line] = [x for x in refused.stderr.splitlines() if x.startswith("Error:")]
        assert f"encrypted with key id {key_id(base64.b64decode(key))}" in line
        assert "does not open it. Nothing was read or changed" in line
        assert "Traceback" not in refused.stderr
    after = hashes(data)
    assert {name: after.get(name) for name in before} == before  # nothing changed or removed
    assert set(after) - set(before) <= {".lock"}  # but the empty lock file serve takes
    if kind == "postgresql":
        assert await database_dump(env["DATABASE_URL"]) == rows_before

    # With the right key every case reads back and its timeline verifies.
    checked = run("audit", "verify", DATA_DIR=str(data), **env)
    assert checked.returncode == 0 and "Checked 1 case(s): 0 with a broken" in checked.stdout


def key_ids_stored(kind: str, data: Path, dump: dict[str, list[str]]) -> set[str | None]:
    """The key id of each sealed blob the store holds (None for anything plaintext)."""
    found: set[str | None] = set()
    for path in data.rglob("*"):
        top = path.relative_to(data).parts[0]
        if path.is_file() and top in ("cases", "values", "evidence", "key-check"):
            found.add(Sealer.key_id_of(path.read_bytes()))
    for table in ("cases", "key_values", "access_log"):
        for row in dump.get(table, ()):
            found |= {row[i + 8 : i + 16] for i in _all(row, "sealed1:")}
    return found


def _all(text: str, part: str) -> list[int]:
    found, at = [], text.find(part)
    while at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


@pytest.mark.parametrize("kind", KINDS)
async def test_keys_rotate_keeps_every_case_and_the_old_key_works_until_it_finishes(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
):
    data = tmp_path / "data"
    old, new = new_key(), new_key()
    env = store_env(kind, request, ENCRYPTION_KEY=keyed(old))
    url = env.get("DATABASE_URL", "")
    async with FakeSlackApi(users=USERS, files=FILES, token=TOKEN) as api:
        async with serving(api, data, **env) as w:
            first = await report_with_screenshot(w)
            second = await file_report(w, post={"platform": "facebook", "post_text": SENTENCE})
            await w.server.idle()
        dump = await database_dump(url) if url else {}
        assert key_ids_stored(kind, data, dump) == {key_id(old)}

        # Mid-rotation: NEW,OLD. What the old key sealed still opens; new writes use the new.
        env["ENCRYPTION_KEY"] = f"{keyed(new)},{keyed(old)}"
        async with serving(api, data, **env) as w:
            assert (await w.server.service.get(first)).case.answers.post_text == SENTENCE
            await click_card(w, HEAD, second, "case_approve")
            for _ in range(100):
                await w.server.idle()
                if (await w.server.service.get(second)).case.decision is not None:
                    break
    dump = await database_dump(url) if url else {}
    assert key_ids_stored(kind, data, dump) == {key_id(old), key_id(new)}

    rotated = run("keys", "rotate", "--only", "data", DATA_DIR=str(data), **env)
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    assert f"Sealed again under key id {key_id(new)}" in rotated.stdout
    assert "Read back 2 case(s): 0 with a problem" in rotated.stdout
    dump = await database_dump(url) if url else {}
    assert key_ids_stored(kind, data, dump) == {key_id(new)}
    assert files_showing(data) == {} and rows_showing(dump) == []

    # The new key alone reads every case, with intact timelines; the old key alone no more.
    env["ENCRYPTION_KEY"] = keyed(new)
    checked = run("audit", "verify", DATA_DIR=str(data), **env)
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
    assert "Checked 2 case(s): 0 with a broken timeline." in checked.stdout
    async with slack_world(data, FILES, **env) as w:
        for ref in (first, second):
            assert (await w.server.service.get(ref)).case.answers.post_text == SENTENCE
        [evidence] = (await w.server.service.get(first)).case.evidence
        assert w.server.service.store.read_evidence(evidence.sha256) == SHOT
    env["ENCRYPTION_KEY"] = keyed(old)
    refused = run("audit", "verify", DATA_DIR=str(data), **env)
    assert refused.returncode == 2 and "does not open it" in refused.stderr


async def test_keys_rotate_with_a_key_file_makes_the_new_key_and_drops_the_old(tmp_path: Path):
    data, keys = tmp_path / "data", tmp_path / "keys" / "bot.key"
    env = {"ENCRYPTION_KEY_FILE": str(keys)}
    async with slack_world(data, FILES, **env) as w:
        ref = await report_with_screenshot(w)
    [old_key] = [base64.b64decode(x) for x in keys.read_text().split()]
    assert keys.stat().st_mode & 0o777 == 0o600
    assert key_ids_stored("tinydb", data, {}) == {key_id(old_key)}

    rotated = run("keys", "rotate", DATA_DIR=str(data), **env)
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    [new_key_] = [base64.b64decode(x) for x in keys.read_text().split()]
    assert new_key_ != old_key and keys.stat().st_mode & 0o777 == 0o600
    assert f"Removed the old key(s) {key_id(old_key)}" in rotated.stdout
    assert "Link-signing key rotated" in rotated.stdout  # the same command rotates both
    assert key_ids_stored("tinydb", data, {}) == {key_id(new_key_)}
    checked = run("audit", "verify", DATA_DIR=str(data), **env)
    assert checked.returncode == 0 and "Checked 1 case(s): 0 with a broken" in checked.stdout
    async with slack_world(data, FILES, **env) as w:
        assert (await w.server.service.get(ref)).case.answers.post_text == SENTENCE


def test_a_key_file_inside_data_dir_is_refused(tmp_path: Path):
    data = tmp_path / "data"
    r = run("check", DATA_DIR=str(data), ENCRYPTION_KEY_FILE=str(data / "keys" / "k"))
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()
    assert "ENCRYPTION_KEY_FILE" in line and "inside DATA_DIR" in line
    assert not data.exists()


async def test_folders_are_0700_and_files_0600(tmp_path: Path):
    data = tmp_path / "data"
    async with slack_world(data, FILES) as w:
        await report_with_screenshot(w)
    server = ServerProcess(base_env(data, DEMO_MODE=""))  # python app.py: the folder's lock too
    await server.start()
    assert (data / ".lock-owner.json").stat().st_mode & 0o777 == 0o600
    server.stop()
    assert run("audit", "verify", DATA_DIR=str(data)).returncode == 0
    for path in [data, *data.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
