"""Triage, table-driven over every row of design section 2, and the policy loader's checks."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from bot.errors import ConfigError
from bot.models import Urgency
from bot.policy import DEFAULT_POLICY, evaluate, load_policy, parse_policy

CASES = [
    # (what the row of section 2 says, answers, recommended actions, urgency)
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
        "5.1.2 legal advice for defamation (4.2.3)",
        {"categories": ["defamatory"]},
        ["discuss", "legal_advice", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "5.1.3 police for a threat of violence (4.2.6), without waiting for the first step",
        {"categories": ["violence"]},
        ["police", "report_to_platform", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "5.1.3 police for a racist element (4.2.5)",
        {"categories": ["racist"]},
        ["police", "report_to_platform", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "5.1.3 police for grossly obscene content",
        {"facts": ["grossly_obscene"]},
        ["police", "report_to_platform", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "5.1.3 police for a possible crime such as harassment",
        {"facts": ["possible_crime"]},
        ["police", "report_to_platform", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "5.1.4 block on the school's own website or forum",
        {"facts": ["school_site"]},
        ["discuss", "block_access", "retain_evidence"],
        Urgency.STANDARD,
    ),
    (
        "a child at risk is urgent",
        {"facts": ["child_at_risk"]},
        ["discuss", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "combination: refused + racist: letter, police, platform, evidence",
        {"history": "refused", "categories": ["racist"]},
        ["warning_letter", "police", "report_to_platform", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "combination: school forum + refused: block, letter, no platform report",
        {"history": "refused", "facts": ["school_site"]},
        ["warning_letter", "block_access", "retain_evidence"],
        Urgency.HIGH,
    ),
    (
        "combination: threat on the school forum: police and block, no platform report",
        {"categories": ["violence"], "facts": ["school_site"]},
        ["police", "block_access", "retain_evidence"],
        Urgency.URGENT,
    ),
    (
        "every 4.2 category without aggravation, first step: talk to the parent first",
        {
            "categories": [
                "allegations",
                "complaints",
                "offensive",
                "personal_data",
                "investigation",
            ]
        },
        ["discuss", "retain_evidence"],
        Urgency.STANDARD,
    ),
    (
        "other (4.2 is non-exhaustive) with text",
        {"categories": ["other"], "other_category": "Filming in the playground"},
        ["discuss", "retain_evidence"],
        Urgency.STANDARD,
    ),
]


@pytest.mark.parametrize(("row", "answers", "actions", "urgency"), CASES, ids=[c[0] for c in CASES])
def test_triage(policy, make_answers, row, answers, actions, urgency):
    rec = evaluate(policy, make_answers(**answers))
    assert list(rec.action_ids) == actions
    assert rec.urgency is urgency
    for a in rec.actions:
        assert a.clause == policy.action(a.action_id).clause
        assert a.reason and a.rule_id in rec.fired_rules


def test_evidence_always_and_other_legal_action_never(policy, make_answers):
    for _, answers, _, _ in CASES:
        rec = evaluate(policy, make_answers(**answers))
        assert "retain_evidence" in rec.action_ids
        assert "other_legal_action" not in rec.action_ids
        assert "other_action" not in rec.action_ids


def test_every_policy_clause_is_covered(policy):
    assert [c.clause for c in policy.categories] == [f"4.2.{n}" for n in range(1, 9)] + ["4.2"]
    assert [a.clause for a in policy.actions] == ["5.1"] + [f"5.1.{n}" for n in range(1, 9)]
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
            "rule.police_for_violence_or_racism.recommend",
            "unknown action id 'phone_home'",
        ),
        (
            lambda r: r["rule"][0].update(categories_any=["rude"]),
            "rule.police_for_violence_or_racism.categories_any",
            "unknown category id 'rude'",
        ),
        (
            lambda r: r["rule"][1].pop("clause"),
            "rule.police_for_obscenity_or_crime.clause",
            "every rule needs the clause",
        ),
        (
            lambda r: r["category"].append(dict(r["category"][0])),
            "category.allegations",
            "duplicate id",
        ),
        (lambda r: r["action"].append(dict(r["action"][0])), "action.discuss", "duplicate id"),
        (
            lambda r: r["rule"].append(dict(r["rule"][0])),
            "rule.police_for_violence_or_racism",
            "duplicate id",
        ),
        (
            lambda r: r["rule"][0].update(recommend="other_legal_action"),
            "rule.police_for_violence_or_racism.recommend",
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
            "rule.police_for_violence_or_racism.urgency",
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
