"""Every command as a technician meets it: a mistake is one line and exit 2, never a traceback;
`--help` says what each command and option does and which settings there are."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from bot.config import EXAMPLE_TRUST
from handlers import cli
from tests.e2e.harness import app_py
from tests.test_deploy import settings_read_by_the_code
from tests.test_manifest import SCHEMA, is_known_false_positive

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return app_py({"TRUST_CONFIG": str(EXAMPLE_TRUST), **env}, *args)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_a_missing_trust_file_is_named(tmp_path):
    line = one_line(run("check", TRUST_CONFIG="/missing.toml"))
    assert line == (
        "Error: TRUST_CONFIG: /missing.toml: the trust file does not exist "
        "(start from trust.example.toml)"
    )


def test_an_unwritable_export_is_one_line(tmp_path):
    line = one_line(run("export", "--out", "/nonexistent/dir/x.csv", DATA_DIR=str(tmp_path)))
    assert line == "Error: /nonexistent/dir/x.csv: no such file or directory"


def test_reversed_dates_are_refused_before_any_work(tmp_path):
    line = one_line(
        run("export", "--from", "2026-05-01", "--to", "2026-01-01", DATA_DIR=str(tmp_path))
    )
    assert line == "Error: export: --from: 2026-05-01 is after --to 2026-01-01: nothing between"


def test_teams_package_without_an_app_id_names_the_option(tmp_path):
    line = one_line(run("teams-package", "--domain", "concerns.school.example"))
    assert "--app-id" in line and "MicrosoftAppId" in line


def test_check_with_no_channel_exits_1_and_says_why(tmp_path):
    done = run("check", DATA_DIR=str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("Not ready: no channel can run.")
    assert "OK:" not in done.stdout


def test_slack_manifest_fills_the_url_or_turns_socket_mode_on():
    done = run("slack-manifest", "--url", "https://concerns.school.example")
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    ]
    assert urls == ["https://concerns.school.example/slack/events"] * 3
    assert "bot.example.org" not in done.stdout
    assert manifest["settings"]["socket_mode_enabled"] is False
    socket = json.loads(run("slack-manifest", "--socket-mode").stdout)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in json.dumps(socket["features"]["slash_commands"])
    assert "request_url" not in json.dumps(socket["settings"])
    if SCHEMA.is_file():  # both are valid Slack manifests
        schema = json.loads(SCHEMA.read_text())
        validator = jsonschema.validators.validator_for(schema)(schema)
        for each in (manifest, socket):
            errors = [e for e in validator.iter_errors(each) if not is_known_false_positive(e)]
            assert errors == []


@pytest.mark.parametrize("url", ["http://concerns.school.example", "concerns", "https://x/a"])
def test_slack_manifest_refuses_a_url_that_is_not_a_public_https_address(url):
    assert "--url" in one_line(run("slack-manifest", "--url", url))


def commands() -> dict[str, argparse.ArgumentParser]:
    top = cli.parser(lambda args: 0)
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_and_option_has_help_text():
    missing = []
    for name, command in commands().items():
        if not command.description:
            missing.append(name)
        for action in command._actions:
            if action.dest != "help" and not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_help_lists_every_setting_the_code_reads():
    done = run("--help")
    assert done.returncode == 0
    named = {n.strip() for name, _ in cli.ENVIRONMENT for n in name.split(",")}
    assert settings_read_by_the_code() - named - {"BOT_DOMAIN"} == set()
    for name in ("DATA_DIR", "SLACK_APP_TOKEN", "MicrosoftAppTenantId", "ENCRYPTION_KEY_FILE"):
        assert name in done.stdout


def test_an_unknown_trust_key_is_refused_with_the_nearest_valid_one(tmp_path):
    trust = tmp_path / "trust.toml"
    text = EXAMPLE_TRUST.read_text().replace("[trust]\n", "[trust]\nretention_year = 1\n", 1)
    trust.write_text(text)
    line = one_line(run("check", TRUST_CONFIG=str(trust)))
    assert line == (
        f"Error: {trust}: trust.retention_year: unknown key (did you mean retention_years?)"
    )
