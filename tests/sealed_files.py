"""For tests that look at or tamper with a TinyDB case file on disk: opened and sealed again
with the key of its DATA_DIR (as an insider holding the key could), so the hash chain is what
must catch the edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.sealing import Sealer


def _sealer(path: Path) -> Sealer:
    return Sealer.for_data_dir(path.parent.parent)  # DATA_DIR/cases/REF.json


def read_case_file(path: Path) -> dict[str, Any]:
    return json.loads(_sealer(path).open(path.read_bytes(), f"case:{path.stem}"))


def write_case_file(path: Path, data: dict[str, Any]) -> None:
    sealed = _sealer(path).seal(json.dumps(data).encode(), f"case:{path.stem}")
    path.write_bytes(sealed)


def opened_text(path: Path) -> str:
    """A sealed file under DATA_DIR as its plaintext (a case file or a value table)."""
    data_dir = next(p for p in path.parents if (p / "key-check").exists())
    kind = "case" if path.parent.name == "cases" else "values"
    return Sealer.for_data_dir(data_dir).open(path.read_bytes(), f"{kind}:{path.stem}").decode()
