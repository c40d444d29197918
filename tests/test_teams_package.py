"""The Teams app package: a valid 1.19 manifest with the bot id filled in, and proper icons."""

from __future__ import annotations

import importlib.util
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from handlers.teams.package import (
    DEFAULT_PACKAGE_DIR,
    build_teams_package,
    check_icons,
    read_png_header,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
MANIFEST_SCHEMA = SCHEMAS / "MicrosoftTeams.schema.v1.19.json"
APP_ID = "3f2b8c1e-6d4a-4e1b-9a7c-2d5e8f0a1b2c"
DOMAIN = "bot.oak.example.org"


@pytest.fixture
def package(tmp_path: Path) -> Iterator[zipfile.ZipFile]:
    """Build the package from the real template and open it."""
    path = build_teams_package(APP_ID, DOMAIN, tmp_path / "out" / "teams-app.zip")
    archive = zipfile.ZipFile(path)
    yield archive
    archive.close()


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(archive.read("manifest.json"))


def test_zip_holds_manifest_and_icons_at_its_root(package: zipfile.ZipFile) -> None:
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]


def test_manifest_is_valid_against_the_official_schema(package: zipfile.ZipFile) -> None:
    if not MANIFEST_SCHEMA.exists():
        pytest.skip(
            f"official Teams manifest schema not found at {MANIFEST_SCHEMA} (../shared/schemas)"
        )
    schema = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))
    # The schema declares draft-04 but relies on `const` (draft-06+), so validate as draft-07.
    error = best_match(Draft7Validator(schema).iter_errors(_manifest(package)))
    assert error is None, f"{'/'.join(map(str, error.absolute_path))}: {error.message}"


def test_schema_check_is_not_toothless() -> None:
    if not MANIFEST_SCHEMA.exists():
        pytest.skip(
            f"official Teams manifest schema not found at {MANIFEST_SCHEMA} (../shared/schemas)"
        )
    schema = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))
    wrong = json.loads((DEFAULT_PACKAGE_DIR / "manifest.json").read_text(encoding="utf-8"))
    wrong["manifestVersion"] = "1.17"
    assert not Draft7Validator(schema).is_valid(wrong)


def test_manifest_names_the_bot_and_the_message_action(package: zipfile.ZipFile) -> None:
    manifest = _manifest(package)
    assert manifest["manifestVersion"] == "1.19"
    assert manifest["$schema"].endswith("/teams/v1.19/MicrosoftTeams.schema.json")
    assert manifest["id"] == APP_ID
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["supportsFiles"] is True
    assert bot["isNotificationOnly"] is False
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    (commands,) = bot["commandLists"]
    assert [c["title"] for c in commands["commands"]] == ["report", "cases"]
    (extension,) = manifest["composeExtensions"]
    assert extension["botId"] == APP_ID
    (command,) = extension["commands"]
    assert command["id"] == "reportPost"
    assert command["type"] == "action"
    assert command["context"] == ["message"]
    assert command["fetchTask"] is True
    assert manifest["validDomains"] == [DOMAIN]
    assert "${{" not in json.dumps(manifest)


def test_icons_in_the_package_have_the_sizes_teams_requires(package: zipfile.ZipFile) -> None:
    color = read_png_header(package.read("color.png"))
    outline = read_png_header(package.read("outline.png"))
    assert (color.width, color.height) == (192, 192)
    assert (outline.width, outline.height) == (32, 32)
    assert outline.has_alpha
    assert check_icons(DEFAULT_PACKAGE_DIR) == []


@pytest.mark.parametrize(
    "bad", ["", "not-a-guid", "3f2b8c1e6d4a4e1b9a7c2d5e8f0a1b2c", "${{BOT_ID}}"]
)
def test_an_app_id_that_is_not_a_guid_is_refused(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "teams-app.zip"
    with pytest.raises(ValueError, match="GUID"):
        build_teams_package(bad, DOMAIN, out)
    assert not out.exists()


def test_a_url_is_reduced_to_its_host_and_a_path_is_refused(tmp_path: Path) -> None:
    path = build_teams_package(APP_ID, f"https://{DOMAIN}/", tmp_path / "a.zip")
    with zipfile.ZipFile(path) as archive:
        assert _manifest(archive)["validDomains"] == [DOMAIN]
    with pytest.raises(ValueError, match="host name"):
        build_teams_package(APP_ID, f"https://{DOMAIN}/api/messages", tmp_path / "b.zip")


def test_check_icons_reports_wrong_sizes_and_a_missing_alpha_channel(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_PACKAGE_DIR / "manifest.json", tmp_path / "manifest.json")
    # Swap the icons: the colour one is now 32x32 and the outline one 192x192 without alpha.
    shutil.copy(DEFAULT_PACKAGE_DIR / "outline.png", tmp_path / "color.png")
    shutil.copy(DEFAULT_PACKAGE_DIR / "color.png", tmp_path / "outline.png")
    problems = check_icons(tmp_path)
    assert any("color icon" in p and "32x32" in p for p in problems), problems
    assert any("outline icon" in p and "192x192" in p for p in problems), problems
    assert any("alpha" in p for p in problems), problems
    with pytest.raises(ValueError, match="icons are not valid"):
        build_teams_package(APP_ID, DOMAIN, tmp_path / "teams-app.zip", package_dir=tmp_path)


def test_check_icons_reports_a_missing_icon(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_PACKAGE_DIR / "manifest.json", tmp_path / "manifest.json")
    shutil.copy(DEFAULT_PACKAGE_DIR / "color.png", tmp_path / "color.png")
    assert check_icons(tmp_path) == [f"outline icon outline.png is missing from {tmp_path}"]


def test_the_committed_icons_match_the_generator() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_icons", DEFAULT_PACKAGE_DIR / "make_icons.py"
    )
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    assert (DEFAULT_PACKAGE_DIR / "color.png").read_bytes() == make_icons.draw_color()
    assert (DEFAULT_PACKAGE_DIR / "outline.png").read_bytes() == make_icons.draw_outline()


def test_the_manifest_points_at_the_notice_the_server_serves(package: zipfile.ZipFile) -> None:
    developer = _manifest(package)["developer"]
    assert developer["privacyUrl"] == f"https://{DOMAIN}/privacy"
    assert developer["termsOfUseUrl"] == f"https://{DOMAIN}/terms"
    assert developer["websiteUrl"].startswith(f"https://{DOMAIN}/")
