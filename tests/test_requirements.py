"""Every dependency is pinned with hashes, compiled from the short .in files by pip-tools."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def named(path: Path) -> set[str]:
    """The packages an .in file asks for (its own lines and the .in files it includes)."""
    names: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= named(path.with_name(line[3:].strip()))
        elif line and not line.startswith("-"):
            names.add(canonicalize_name(Requirement(line).name))
    return names


def pinned(path: Path) -> dict[str, list[str]]:
    """Each package the compiled file pins, with the lines that follow it (its hashes)."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = []
        elif current and line.strip().startswith("--hash="):
            pins[current].append(line.strip())
    return pins


@pytest.mark.parametrize(("source", "compiled"), PAIRS)
def test_every_package_an_in_file_names_is_pinned_in_its_compiled_file(source, compiled):
    missing = named(ROOT / source) - set(pinned(ROOT / compiled))
    assert missing == set(), f"{compiled} lacks {sorted(missing)}: run pip-compile (README)"


@pytest.mark.parametrize(("source", "compiled"), PAIRS)
def test_every_pin_carries_a_hash(source, compiled):
    pins = pinned(ROOT / compiled)
    assert len(pins) > len(named(ROOT / source))  # the indirect ones are pinned too
    assert {name for name, hashes in pins.items() if not hashes} == set()


def test_the_check_sees_a_package_missing_from_the_compiled_file(tmp_path):
    (tmp_path / "r.in").write_text("tinydb==4.9.0  # why\nnot-a-real-package>=1\n")
    (tmp_path / "r.txt").write_text("tinydb==4.9.0 \\\n    --hash=sha256:ab\n")
    assert named(tmp_path / "r.in") - set(pinned(tmp_path / "r.txt")) == {"not-a-real-package"}
