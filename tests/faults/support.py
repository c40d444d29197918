"""Shared by the fault tests: how many iterations, and the checks every fault ends with."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.e2e.harness import ROOT
from tests.sealed_files import read_case_file

# CI runs the bounded counts; FULL_FAULTS=1 runs the full ones (e.g. before a release).
FULL = os.environ.get("FULL_FAULTS", "") not in ("", "0")


def audit(env: Mapping[str, str]) -> str:
    """`python app.py audit verify` on the server's data: passes, or the test fails with why."""
    done = subprocess.run(
        [sys.executable, "app.py", "audit", "verify"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def duplicates(messages: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """Messages that arrived more than once (each given as a tuple that identifies it)."""
    return {m: n for m, n in Counter(messages).items() if n > 1}


def no_stray_files(data_dir: Path) -> None:
    cases = data_dir / "cases"
    assert not list(cases.glob(".*.tmp")), "a half-written case file was left behind"
    for path in cases.glob("*.json"):
        read_case_file(path)  # every case file is whole (sealed) JSON
