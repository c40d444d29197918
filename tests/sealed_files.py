"""For tests that look at or tamper with what a store wrote under DATA_DIR: opened (and sealed
again) with the data folder's key, as an insider holding the key could, so that what must
catch an edit (a hash chain) or find a leftover (a scan for a reference) still can."""

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


def read_access_lines(path: Path) -> list[str]:
    """DATA_DIR/access/REF.jsonl as its JSON lines."""
    sealer = _sealer(path)
    return [sealer.open_text(x, f"access:{path.stem}") for x in path.read_text().splitlines()]


def write_access_lines(path: Path, lines: list[str]) -> None:
    sealer = _sealer(path)
    path.write_text("".join(sealer.seal_text(x, f"access:{path.stem}") + "\n" for x in lines))


def plaintext(path: Path, data_dir: Path, sealer: Sealer | None = None) -> bytes:
    """What any file under DATA_DIR holds, opened where the store sealed it."""
    sealer = sealer or Sealer.for_data_dir(data_dir)
    raw = path.read_bytes()
    parts = path.relative_to(data_dir).parts
    if parts[0] == "cases" and path.suffix == ".json":
        return sealer.open(raw, f"case:{path.stem}")
    if parts[0] == "values":
        return sealer.open(raw, f"values:{path.stem}")
    if parts[0] == "evidence" and len(parts) == 3:
        return sealer.open(raw, f"evidence:{path.name}")
    if parts[0] == "access":
        lines = raw.decode().splitlines()
        return "\n".join(sealer.open_text(x, f"access:{path.stem}") for x in lines).encode()
    if parts == ("case-index.json",):
        data = json.loads(raw)
        data["summaries"] = [sealer.open_text(t, "case-index") for t in data["summaries"]]
        return json.dumps(data).encode()
    if parts == ("key-check",):
        return sealer.open(raw, "key-check")
    return raw


def opened_text(path: Path) -> str:
    """A sealed file under DATA_DIR as its plaintext (a case file, a value table...)."""
    data_dir = next(p for p in path.parents if (p / "key-check").exists())
    return plaintext(path, data_dir).decode()
