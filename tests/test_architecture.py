"""Dependencies point inward: the core imports no platform SDK and no web framework."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_platform_or_web_framework():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in (ROOT / "bot").rglob("*.py")
        for name in imports(p)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == set()


def test_core_and_cards_do_not_import_handlers():
    for folder in ("bot", "cards"):
        for p in (ROOT / folder).rglob("*.py"):
            assert not any(n.split(".")[0] in ("handlers", "app") for n in imports(p)), p


def test_cards_renderers_do_not_do_io():
    for p in (ROOT / "cards").rglob("*.py"):
        assert not any(
            n.split(".")[0] in ("aiohttp", "slack_bolt", "requests") for n in imports(p)
        ), p
