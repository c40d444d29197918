"""kill -9 at random moments: the store always opens and every case reported saved is intact."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.models import DecisionKind, Status
from bot.storage.tinydb_store import TinyDBStore
from bot.timeline import verify

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50


def run_and_kill(data_dir: Path, rng: random.Random) -> tuple[set[str], set[str]]:
    """Start the child, let it save for a random while, SIGKILL it; what it said was durable."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.bot.crash_child", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    time.sleep(rng.uniform(0.0, 0.25))
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate()
    saved = {line.split()[1] for line in out.splitlines() if line.startswith("saved ")}
    decided = {line.split()[1] for line in out.splitlines() if line.startswith("decided ")}
    return saved, decided


async def reopen(data_dir: Path) -> TinyDBStore:
    store = TinyDBStore(data_dir)
    await store.open()
    return store


def test_sigkill_never_loses_or_corrupts_a_saved_case(tmp_path):
    rng = random.Random(20261126)
    data_dir = tmp_path / "data"
    saved: set[str] = set()
    decided: set[str] = set()
    for _ in range(KILLS):
        s, d = run_and_kill(data_dir, rng)
        saved |= s
        decided |= d
        store = asyncio.run(reopen(data_dir))
        present = set(asyncio.run(store.references()))
        missing = saved - present
        assert not missing, f"cases reported saved but lost: {sorted(missing)[:5]}"
    assert len(saved) > KILLS, "the child should have saved several cases per run"

    async def check_all() -> None:
        store = await reopen(data_dir)
        refs = await store.references()
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in refs)
        assert numbers == list(range(1, len(numbers) + 1)), "references must stay sequential"
        for ref in refs:
            record = await store.load(ref)
            assert record is not None and verify(record.timeline) == [], ref
            if ref in decided:
                assert record.case.status is Status.APPROVED
                assert record.case.decision.kind is DecisionKind.APPROVED
        assert not list((data_dir / "cases").glob(".*.tmp")), "stray temporary files remain"

    asyncio.run(check_all())
