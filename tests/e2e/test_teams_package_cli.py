"""`python app.py teams-package` builds an uploadable zip whose message action the bot answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from handlers.teams.activity import REPORT_COMMAND
from tests.e2e.harness import ROOT

APP_ID = "3f2b8c1e-6d4a-4e1b-9a7c-2d5e8f0a1b2c"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "teams-package", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_builds_the_package_from_microsoft_app_id(tmp_path):
    out = tmp_path / "teams-app.zip"
    done = run("--domain", "bot.oak.example.org", "--out", str(out), MicrosoftAppId=APP_ID)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["bots"][0]["supportsFiles"] is True
    assert manifest["validDomains"] == ["bot.oak.example.org"]
    [command] = manifest["composeExtensions"][0]["commands"]
    assert command["id"] == REPORT_COMMAND and command["context"] == ["message"]


def test_the_command_says_what_is_missing(tmp_path):
    done = run("--domain", "bot.oak.example.org", "--out", str(tmp_path / "x.zip"))
    assert done.returncode == 2
    assert "MicrosoftAppId" in done.stderr
    assert not (tmp_path / "x.zip").exists()
