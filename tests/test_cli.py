"""`python app.py check` as an admin runs it: exit 0 on the example, precise errors otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import EXAMPLE_TRUST
from bot.policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """`python app.py ARGS` with env added; timeout only catches a hang (speed is bench/'s)."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "DEMO_"))
    }
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        stdin=subprocess.DEVNULL,  # no terminal: a command that would ask says what to give
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_passes_on_the_example_and_reports_platforms_and_warnings(tmp_path):
    r = run("check", TRUST_CONFIG=str(EXAMPLE_TRUST), DEMO_MODE="1")
    assert r.returncode == 0, r.stderr
    assert "Slack: disabled (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set)" in r.stdout
    assert "Teams: enabled" in r.stdout and "Web: enabled" in r.stdout
    assert r.stdout.splitlines()[-1] == "OK: the trust file and the policy are valid."
    assert "Warning: The policy (version 1.0) was due for review on 30 June 2020" in r.stdout


def test_check_fails_on_a_broken_trust_file(tmp_path):
    bad = tmp_path / "trust.toml"
    bad.write_text(EXAMPLE_TRUST.read_text().replace('"Europe/London"', '"Europe/Lundun"'))
    r = run("check", TRUST_CONFIG=str(bad))
    assert r.returncode != 0
    assert f"{bad}: trust.timezone: unknown time zone 'Europe/Lundun'" in r.stderr


def test_check_fails_on_a_broken_policy_file(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        DEFAULT_POLICY.read_text().replace('recommend = "police"', 'recommend = "polise"', 1)
    )
    trust = tmp_path / "trust.toml"
    trust.write_text(
        EXAMPLE_TRUST.read_text().replace("[trust]\n", '[trust]\npolicy_file = "policy.toml"\n', 1)
    )
    r = run("check", TRUST_CONFIG=str(trust))
    assert r.returncode != 0
    assert f"{policy}: rule.police_for_violence.recommend: unknown action id 'polise'" in r.stderr


def test_audit_verify_on_an_empty_store(tmp_path):
    r = run("audit", "verify", DATA_DIR=str(tmp_path / "data"), TRUST_CONFIG=str(EXAMPLE_TRUST))
    assert r.returncode == 0
    assert "Checked 0 case(s): 0 with a broken timeline." in r.stdout


def test_start_up_runs_without_the_cyclic_collector_and_serving_turns_it_back_on():
    """`python app.py` turns the collector off before its imports (and keeps trio, which only
    msrest's optional support would load, out); the server collects again once it is up, and
    every other command from its start."""
    import asyncio
    import gc

    from aiohttp import web

    import app

    gc.disable()
    try:
        asyncio.run(app.serving(web.Application()))
        assert gc.isenabled()
    finally:
        gc.enable()
    script = (
        "import gc, runpy, sys\n"
        "sys.argv = ['app.py', 'check']\n"
        "try:\n"
        "    runpy.run_path('app.py', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    print(done.code, gc.isenabled(), sys.modules.get('trio', 'absent'))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DEMO_MODE": "1"},
    )
    assert r.stdout.splitlines()[-1].split() == ["0", "True", "None"], r.stdout + r.stderr
