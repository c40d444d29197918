"""Triage, table-driven over every row of design section 2, and the policy loader's checks."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from bot.errors import ConfigError
from bot.models import Urgency
from bot.policy import DEFAULT_POLICY, evaluate, load_policy, parse_policy
from bot.practice import DEFAULT_ACTION_URGENCY

POLICE_OPTIONS = ["police", "report_to_platform", "retain_evidence"]
CASES = [
    # (what the row of section 2 and issue 13 say, answers, recommended actions, urgency)
    ("5.1 first step: nothing done yet", {}, ["discuss", "retain_evidence"], Urgency.STANDARD),
    (
        "5.1 first step is not repeated once the post was removed",
        {"history": "removed"},
        ["retain_evidence"],
        Urgency.STANDARD,
    ),
    (
        "5.1.1 letter when the parent refused",
        {"history": "refused"},
        ["warning_letter", "report_to_platform", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "5.1.1 letter when the parent carried on",
        {"history": "continued"},
        ["warning_letter", "report_to_platform", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "issue 13: defamation (4.2.3) is high, legal advice (5.1.2) waits for a refusal",
        {"categories": ["defamatory"]},
        ["discuss", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "5.1.2 legal advice for defamation after a refusal",
        {"categories": ["defamatory"], "history": "refused"},
        ["warning_letter", "legal_advice", "report_to_platform", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "5.1.3 police now for a threat of violence (4.2.6): urgent, someone may be in danger",
        {"categories": ["violence"]},
        ["discuss", "police", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "issue 13: a racist element (4.2.5) is high, not urgent; the conversation first",
        {"categories": ["racist"]},
        ["discuss", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "issue 13: grossly obscene is high, not urgent; the conversation first",
        {"facts": ["grossly_obscene"]},
        ["discuss", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "5.1.3 police now for a possible crime such as harassment: high, not urgent",
        {"facts": ["possible_crime"]},
        ["discuss", "police", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "issue 13: 5.1.4 blocking waits until the comments continue",
        {"facts": ["school_site"]},
        ["discuss", "retain_evidence"],
        Urgency.STANDARD,
    ),
    (
        "a child at risk is urgent, with a referral to children's social care",
        {"facts": ["child_at_risk"]},
        ["discuss", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "combination: refused + racist: letter, police, platform, evidence; high",
        {"history": "refused", "categories": ["racist"]},
        ["warning_letter", "police", "report_to_platform", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "combination: school forum + refused: block, letter, no platform report",
        {"history": "refused", "facts": ["school_site"]},
        ["warning_letter", "block_access", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "every 4.2 category without aggravation, first step: talk to the parent first",
        {"categories": ["allegations", "complaints", "offensive"]},
        ["discuss", "retain_evidence"],
        Urgency.STANDARD,
    ),
    (
        "4.2.8 (a matter under investigation) is high: comments may prejudice the enquiry",
        {"categories": ["investigation"]},
        ["discuss", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "other (4.2 is non-exhaustive) with text",
        {"categories": ["other"], "other_category": "Filming in the playground"},
        ["discuss", "retain_evidence"],
        Urgency.STANDARD,
    ),
]


def triage(policy, answers):
    return evaluate(policy, answers, DEFAULT_ACTION_URGENCY)


@pytest.mark.parametrize(("row", "answers", "actions", "urgency"), CASES, ids=[c[0] for c in CASES])
def test_triage(policy, make_answers, row, answers, actions, urgency):
    rec = triage(policy, make_answers(**answers))
    assert list(rec.action_ids) == actions
    assert rec.urgency is urgency
    for a in rec.actions:
        assert a.clause == policy.action(a.action_id).clause
        assert a.reason and a.rule_id in rec.fired_rules


def test_evidence_always_and_other_legal_action_never(policy, make_answers):
    for _, answers, _, _ in CASES:
        rec = triage(policy, make_answers(**answers))
        assert "retain_evidence" in rec.action_ids
        assert "other_legal_action" not in rec.action_ids
        assert "other_action" not in rec.action_ids
    keep = next(a for a in rec.actions if a.action_id == "retain_evidence")
    assert keep.reason.startswith("The school may keep copies") and "(5.1.7)" in keep.reason


def test_allegation_against_staff_goes_to_the_dsl_and_the_lado(policy, make_answers):
    rec = triage(policy, make_answers(allegation_against_staff=["yes"], about=["staff"]))
    assert rec.urgency is Urgency.URGENT and rec.alerts == ("dsl",)
    assert [r.action_id for r in rec.referrals] == ["lado_referral"]
    discuss = next(a for a in rec.actions if a.action_id == "discuss")
    assert not discuss.preselected and discuss.reason.startswith("Held back until the DSL")
    assert not rec.first_step
    assert rec.urgent_because == ("an allegation against a member of staff or volunteer",)


def test_every_rule_has_a_basis_and_policy_rules_a_clause(policy):
    for rule in policy.rules:
        assert rule.basis in ("policy", "trust")
        if rule.basis == "policy":
            assert rule.clause


def test_every_policy_clause_is_covered(policy):
    assert [c.clause for c in policy.categories] == [f"4.2.{n}" for n in range(1, 9)] + ["4.2"]
    clauses = [a.clause for a in policy.actions if not a.referral]
    assert clauses == ["5.1", "4.3"] + [f"5.1.{n}" for n in range(1, 9)]
    assert [c.clause for c in policy.considerations] == [f"3.2.{n}" for n in range(1, 6)]
    assert policy.channels_clause == "4.1"
    assert policy.review_due == date(2020, 6, 30)
    assert policy.warnings(date(2026, 11, 26))
    assert not policy.warnings(date(2020, 1, 1))


def raw_policy() -> dict:
    return tomllib.loads(DEFAULT_POLICY.read_text())


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (
            lambda r: r["rule"][0].update(recommend="phone_home"),
            "rule.allegation_against_staff.recommend",
            "unknown action id 'phone_home'",
        ),
        (
            lambda r: r["rule"][0].update(categories_any=["rude"]),
            "rule.allegation_against_staff.categories_any",
            "unknown category id 'rude'",
        ),
        (
            lambda r: next(x for x in r["rule"] if x["basis"] == "policy").pop("clause"),
            "rule.first_step_discuss.clause",
            "needs its clause",
        ),
        (lambda r: r["rule"][0].pop("basis"), "rule.allegation_against_staff.basis", "its basis"),
        (
            lambda r: r["category"].append(dict(r["category"][0])),
            "category.allegations",
            "duplicate id",
        ),
        (lambda r: r["action"].append(dict(r["action"][0])), "action.discuss", "duplicate id"),
        (
            lambda r: r["rule"].append(dict(r["rule"][0])),
            "rule.allegation_against_staff",
            "duplicate id",
        ),
        (
            lambda r: r["rule"][0].update(recommend="other_legal_action"),
            "rule.allegation_against_staff.recommend",
            "never pre-selected",
        ),
        (
            lambda r: r["category"][0].pop("clause"),
            "category.allegations.clause",
            "needs its clause",
        ),
        (lambda r: r["policy"].update(review_due="soon"), "policy.review_due", "must be a date"),
        (
            lambda r: r["rule"][0].update(urgency="panic"),
            "rule.allegation_against_staff.urgency",
            "must be one of",
        ),
    ],
)
def test_loader_rejects_with_a_message_naming_it(mutate, key, problem):
    raw = raw_policy()
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        parse_policy(raw, "policy.toml")
    assert err.value.key == key
    assert problem in err.value.problem


def test_loader_names_the_file_for_broken_toml(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text("[policy\n")
    with pytest.raises(ConfigError) as err:
        load_policy(bad)
    assert str(bad) in str(err.value) and "not valid TOML" in str(err.value)


def test_triage_is_pure(policy, make_answers):
    answers = make_answers(categories=["racist"], history="refused")
    assert evaluate(policy, answers) == evaluate(policy, answers)
