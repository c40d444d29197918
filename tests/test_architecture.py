"""The rules of the house (docs/architecture.md), checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp")
STORE_IMPLEMENTATIONS = (
    "bot.storage.tinydb_store",
    "bot.storage.postgres_store",
    "bot.storage.migration",
)
CHANNELS = ("handlers.slack", "handlers.teams", "handlers.web")
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module this file imports, at any depth (lazy imports inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_core_imports_no_platform_sdk_or_web_framework():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in sources("bot")
        for name in imports(p)
        if name.split(".")[0] in PLATFORM
    }
    assert offenders == set()


def test_only_the_composition_root_and_the_command_line_pick_a_store():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in [*sources("bot", "handlers", "cards"), ROOT / "app.py"]
        if p != ROOT / "app.py"
        and not within(module_name(p), "handlers.cli")
        and not within(module_name(p), "bot.storage")
        for name in imports(p)
        if any(within(name, impl) for impl in STORE_IMPLEMENTATIONS)
    }
    assert offenders == set()


def test_handlers_see_the_store_port_only():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in sources("handlers")
        if not within(module_name(p), "handlers.cli")
        for name in imports(p)
        if within(name, "bot.storage") and not within(name, "bot.storage.port")
    }
    assert offenders == set()


def test_no_channel_package_imports_another():
    offenders = set()
    for channel in CHANNELS:
        folder = ROOT / Path(*channel.split("."))
        for p in folder.rglob("*.py"):
            for name in imports(p):
                others = [c for c in CHANNELS if c != channel and within(name, c)]
                if others:
                    offenders.add(f"{p.relative_to(ROOT)}: {name}")
    assert offenders == set()


def test_core_and_cards_do_not_import_handlers_or_the_app():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in sources("bot", "cards")
        for name in imports(p)
        if name.split(".")[0] in ("handlers", "app")
    }
    assert offenders == set()


def test_cards_renderers_do_no_io():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in sources("cards")
        for name in imports(p)
        if name.split(".")[0] in ("aiohttp", "slack_bolt", "requests")
        or within(name, "bot.storage")
    }
    assert offenders == set()


def test_every_channel_package_says_what_enters_it():
    for channel in CHANNELS:
        init = ROOT / Path(*channel.split(".")) / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), init


def test_no_module_over_600_lines_outside_tests():
    long = {
        f"{p.relative_to(ROOT)}: {n}"
        for p in ROOT.rglob("*.py")
        if p.relative_to(ROOT).parts[0] not in ("tests", "build", "data", "node_modules")
        and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
        and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == set()


def test_the_rules_catch_a_breach(tmp_path):
    """The checks above can fail: a channel module that imports another is seen."""
    breach = tmp_path / "bad.py"
    breach.write_text("from handlers.teams.people import People\nimport aiohttp\n")
    names = imports(breach)
    assert "handlers.teams.people.People" in names and "aiohttp" in names
    assert within("handlers.teams.people", "handlers.teams")
