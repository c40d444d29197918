"""Two real processes on one PostgreSQL: one reference sequence, and one decision per case."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bot.models import Status
from bot.storage.postgres_store import PostgresStore
from tests.pg import run_sync

ROOT = Path(__file__).resolve().parents[2]
EACH = 100


def race(url: str, data_dir: Path, *jobs: list[str]) -> list[list[str]]:
    """Start a child per job, let them all go at once, and return what each printed."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.bot.pg_child", url, str(data_dir), *job],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for job in jobs
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", (
            child.stderr.read() if child.stderr else ""
        )
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        lines = out.splitlines()
        assert lines[-1] == "done", err[-2000:]
        outputs.append(lines[:-1])
    return outputs


async def decisions(url: str, data_dir: Path) -> dict[str, tuple[Status, int]]:
    """Per case: its status and how many decision events its timeline holds."""
    store = PostgresStore(url, data_dir)
    await store.open()
    try:
        found = {}
        for ref in await store.references():
            record = await store.load(ref)
            assert record is not None
            kinds = [e.kind for e in record.timeline]
            found[ref] = (record.case.status, kinds.count("decision_approved"))
        return found
    finally:
        await store.close()


def test_two_processes_share_one_sequence_and_decide_each_case_once(pg_url: str, tmp_path):
    data = tmp_path / "data"
    a, b = race(pg_url, data, ["submit", "a", str(EACH)], ["submit", "b", str(EACH)])
    refs = [line.split()[1] for line in a + b]
    assert sorted(refs) == [f"OAK-2026-{n:04d}" for n in range(1, 2 * EACH + 1)]

    chosen = sorted(refs)[:EACH]
    a, b = race(pg_url, data, ["approve", *chosen], ["approve", *chosen])
    applied = Counter(line.split()[1] for line in a + b if line.startswith("applied "))
    assert sorted(applied) == chosen and set(applied.values()) == {1}
    assert len(a) == len(b) == EACH  # every click answered: applied, or already decided

    found = run_sync(decisions, pg_url, data)
    assert all(found[ref] == (Status.APPROVED, 1) for ref in chosen)
    assert all(found[ref][1] == 0 for ref in sorted(refs)[EACH:])
