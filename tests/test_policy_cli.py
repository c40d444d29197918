"""`python app.py triage` and `python app.py policy test` as the trust office runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from bot.config import EXAMPLE_TRUST
from bot.policy import DEFAULT_POLICY, load_policy

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "bot" / "policy-scenarios.toml"


def run(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "DEMO_"))
    }
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env={**clean, "TRUST_CONFIG": str(EXAMPLE_TRUST), **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_shipped_scenarios_pass_and_fire_every_rule():
    r = run("policy", "test", str(SCENARIOS))
    assert r.returncode == 0, r.stdout + r.stderr
    raw = tomllib.loads(SCENARIOS.read_text())
    assert r.stdout.count("pass: ") == len(raw["scenario"]) and "FAIL" not in r.stdout
    # Every rule of the policy file fires in at least one scenario.
    from bot.policy import evaluate
    from bot.practice import DEFAULT_ACTION_URGENCY
    from bot.triage_io import answers_from_json

    policy = load_policy()
    fired = set()
    for s in raw["scenario"]:
        answers = answers_from_json(s["answers"], policy, ("oak-primary",), s["name"])
        fired |= set(evaluate(policy, answers, DEFAULT_ACTION_URGENCY).fired_rules)
    assert {r.id for r in policy.rules} - fired == set()


def test_a_changed_rule_in_a_copy_of_the_policy_fails_naming_the_scenario(tmp_path):
    copy = tmp_path / "policy.toml"
    text = DEFAULT_POLICY.read_text()
    # The board makes a threat of violence "high" instead of urgent.
    changed = text.replace(
        'categories_any = ["violence"]\nurgency = "urgent"',
        'categories_any = ["violence"]\nurgency = "high"',
    )
    assert changed != text
    copy.write_text(changed)
    r = run("policy", "test", str(SCENARIOS), "--policy", str(copy))
    assert r.returncode == 1
    assert "FAIL: A threat of violence: urgent, DSL told, the police now (5.1.3)" in r.stdout
    assert "urgency: expected urgent, got high" in r.stdout
    assert "1 failed" in r.stdout


def test_triage_reads_answers_and_prints_the_recommendation():
    answers = {
        "school": "oak-primary",
        "platform": "facebook",
        "author": "parent",
        "about": ["staff"],
        "categories": ["4.2.1"],
        "facts": ["allegation_against_staff"],
        "history": "not_discussed",
        "investigation": False,
    }
    r = run("triage", stdin=json.dumps(answers))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["urgency"] == "urgent" and out["alerts"] == ["dsl"]
    assert out["referrals"] == ["lado"] and out["decided_by"] == "approvers"
    assert out["first_step"] is False
    discuss = next(a for a in out["actions"] if a["id"] == "discuss")
    assert discuss["preselected"] is False and discuss["basis"] == "policy"
    assert discuss["reason"].startswith("Held back until the DSL has advised")
    keep = next(a for a in out["actions"] if a["id"] == "retain_evidence")
    assert keep == {
        "clause": "5.1.7",
        "id": "retain_evidence",
        "preselected": True,
        "basis": "policy",
        "reason": "The school may keep copies of posts, images and comments as evidence (5.1.7)",
    }
    r = run("triage", stdin=json.dumps({"author": "unknown", "about": ["head"]}))
    out = json.loads(r.stdout)
    assert out["decided_by"] == "escalation" and out["first_step"] is False
    assert [a["id"] for a in out["actions"]] == ["report_to_platform", "retain_evidence"]
    assert out["actions"][0]["basis"] == "trust"


def test_triage_names_an_unknown_key_or_value_and_exits_2():
    r = run("triage", stdin=json.dumps({"author": "parent", "colour": "red"}))
    assert r.returncode == 2 and "colour: unknown key" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    r = run("triage", stdin=json.dumps({"categories": ["4.2.9"]}))
    assert r.returncode == 2 and "categories: unknown value(s) 4.2.9" in r.stderr
    r = run("triage", stdin="{not json")
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    r = run("policy", "test", "nowhere.toml")
    assert r.returncode == 2 and "the scenarios file does not exist" in r.stderr


def test_export_case_is_refused_for_the_head_when_the_post_is_about_a_decider(tmp_path):
    import asyncio

    from bot.config import load_trust
    from bot.forms import report_form, to_answers
    from bot.service import CaseService
    from bot.storage.tinydb_store import TinyDBStore
    from tests.conftest import REPORTER, Clock
    from tests.samples import answers_values

    data = tmp_path / "data"

    async def file() -> str:
        store = TinyDBStore(data)
        await store.open()
        clock = Clock()
        policy = load_policy()
        service = CaseService(store, load_trust(EXAMPLE_TRUST), policy, clock)
        values = answers_values(about=["head"], seen_on=clock.now.date().isoformat())
        answers = to_answers(report_form(policy), values, clock.now.date(), "oak-primary")
        case, _ = await service.submit(REPORTER, answers, "about-the-head")
        await store.close()
        return case.reference

    ref = asyncio.run(file())
    out = tmp_path / "case.zip"
    r = run(
        "export-case",
        ref,
        "--out",
        str(out),
        "--by",
        "head@oakprimary.example",
        "--passphrase",
        "correct horse battery",
        DATA_DIR=str(data),
    )
    assert r.returncode == 2 and "one of the school's deciders" in r.stderr
    assert not out.exists() and "Traceback" not in r.stderr
    r = run(
        "export-case",
        ref,
        "--out",
        str(out),
        "--by",
        "chair@oaktrust.example",
        "--passphrase",
        "correct horse battery",
        DATA_DIR=str(data),
    )
    assert r.returncode == 0, r.stderr
    assert out.exists()
