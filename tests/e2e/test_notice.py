"""GET /privacy and /terms: the trust's notice (or the default) as a plain accessible page,
served in production as in the demo, and the Teams package pointing at them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import aiohttp
import pytest

from bot.config import EXAMPLE_TRUST, load_trust
from bot.errors import ConfigError
from tests.cards.htmlcheck import parse, problems
from tests.e2e.harness import base_env, running_server
from tests.e2e.test_teams_package_cli import APP_ID
from tests.e2e.test_teams_package_cli import run as teams_package

NOTICE = """\
Our promise

- We keep reports for as long as our retention schedule says.
- Ask dpo@oaktrust.example about anything here.

This paragraph is the trust's own & says <nothing> surprising."""


def trust_with(tmp_path: Path, line: str) -> Path:
    trust = tmp_path / "trust.toml"
    trust.write_text(EXAMPLE_TRUST.read_text().replace("[trust]\n", f"[trust]\n{line}\n", 1))
    return trust


async def fetch(http: aiohttp.ClientSession, url: str) -> tuple[int, str, aiohttp.ClientResponse]:
    async with http.get(url) as r:
        return r.status, await r.text(), r


async def test_the_default_notice_says_what_is_kept_why_how_long_and_whom_to_ask(tmp_path):
    env = base_env(tmp_path / "data", DEMO_MODE="")  # production: no demo channel
    async with running_server(env) as server, aiohttp.ClientSession() as http:
        status, page, r = await fetch(http, f"{server.url}/privacy")
        assert status == 200 and r.content_type == "text/html"
        assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
        doc = parse(page)
        text = doc.all_text()
        for words in (
            "Privacy notice",
            "What is kept",
            "Why",
            "A case is kept for 6 years after its last activity",
            "Whom to ask",
            "Oak Multi Academy Trust's data protection officer",
            "Oak Primary School, Oak Secondary Academy",
            "A record of who opened each case, its files and its exports",
        ):
            assert words in text, words
        assert problems(page) == []
        assert "Demo identity" not in page  # not the demo's page furniture
        status, terms, _ = await fetch(http, f"{server.url}/terms")
        assert status == 200 and "Terms of use" in terms and "What is kept" in terms
        assert problems(terms) == []
        status, css, r = await fetch(http, f"{server.url}/static/style.css")
        assert status == 200 and r.content_type == "text/css" and css.strip()


async def test_the_trusts_own_notice_from_a_file(tmp_path):
    (tmp_path / "notice.txt").write_text(NOTICE, encoding="utf-8")
    env = base_env(
        tmp_path / "data", TRUST_CONFIG=str(trust_with(tmp_path, 'privacy_notice = "notice.txt"'))
    )
    async with running_server(env) as server, aiohttp.ClientSession() as http:
        for path in ("/privacy", "/terms"):
            status, page, _ = await fetch(http, server.url + path)
            assert status == 200
            assert "<h2>Our promise</h2>" in page
            assert "<li>Ask dpo@oaktrust.example about anything here.</li>" in page
            assert "own &amp; says &lt;nothing&gt; surprising." in page  # text, never markup
            assert "What is kept" not in page  # the trust's text replaces the default
            assert problems(page) == []


def test_the_notice_as_text_in_the_trust_file_and_its_mistakes(tmp_path):
    trust = load_trust(trust_with(tmp_path, 'privacy_notice = "We keep little. Ask the office."'))
    assert trust.privacy_notice == "We keep little. Ask the office."
    with pytest.raises(
        ConfigError, match=r"trust.privacy_notice: the file .*gone.md does not exist"
    ):
        load_trust(trust_with(tmp_path, 'privacy_notice = "gone.md"'))
    with pytest.raises(ConfigError, match="trust.privacy_notice: must be the notice's text"):
        load_trust(trust_with(tmp_path, "privacy_notice = 7"))


def test_the_teams_package_points_at_the_pages(tmp_path):
    out = tmp_path / "teams-app.zip"
    done = teams_package(
        "--domain", "bot.oak.example.org", "--out", str(out), MicrosoftAppId=APP_ID
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        developer = json.loads(archive.read("manifest.json"))["developer"]
    assert developer["privacyUrl"] == "https://bot.oak.example.org/privacy"
    assert developer["termsOfUseUrl"] == "https://bot.oak.example.org/terms"
