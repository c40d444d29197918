"""Triage as JSON for the trust office: answers in, the recommendation out, and scenarios."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.errors import ConfigError
from bot.models import Answers, Recommendation
from bot.policy import Policy, evaluate

KEYS = {
    "school": str,
    "platform": str,
    "author": str,
    "about": list,
    "categories": list,
    "facts": list,
    "history": str,
    "investigation": bool,
}
DEFAULTS: dict[str, Any] = {
    "platform": "other",
    "author": "parent",
    "about": ["school"],
    "categories": ["other"],
    "facts": [],
    "history": "not_discussed",
    "investigation": False,
}


def answers_from_json(raw: Any, policy: Policy, schools: tuple[str, ...], where: str) -> Answers:
    """The answers a report would give; an unknown key or value raises ConfigError naming it.

    Categories are named by clause ("4.2.1") or id ("allegations"); "other" is 4.2's own.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(where, "-", "expected a JSON object of answers")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(where, ", ".join(unknown), f"unknown key (known: {', '.join(KEYS)})")
    values = {**DEFAULTS, **raw}
    for key, kind in KEYS.items():
        if key in values and not isinstance(values[key], kind):
            raise ConfigError(where, key, f"must be a {kind.__name__}")
    school = values.get("school") or (schools[0] if schools else "")
    if school not in schools:
        raise ConfigError(
            where, "school", f"unknown school {school!r} (known: {', '.join(schools)})"
        )

    def one(key: str, group: str) -> str:
        value = values[key]
        if value not in {o.id for o in getattr(policy, group)}:
            raise ConfigError(where, key, f"unknown value {value!r}")
        return str(value)

    def many(key: str, group: str) -> tuple[str, ...]:
        known = {o.id: o.id for o in getattr(policy, group)}
        if group == "categories":
            known |= {o.clause: o.id for o in policy.categories if o.id != "other"}
        bad = [v for v in values[key] if v not in known]
        if bad:
            raise ConfigError(where, key, f"unknown value(s) {', '.join(map(str, bad))}")
        return tuple(dict.fromkeys(known[v] for v in values[key]))

    categories = many("categories", "categories")
    return Answers(
        platform=one("platform", "platforms"),
        link="",
        seen_on=date(2000, 1, 1),
        post_text="",
        author_relationship=one("author", "relationships"),
        author_name="",
        about=many("about", "subjects"),
        categories=categories,
        other_category="(other)" if "other" in categories else "",
        facts=many("facts", "facts"),
        history=one("history", "histories"),
        investigation_under_way=bool(values["investigation"]),
        child_note="",
        school_id=school,
    )


def recommendation_json(policy: Policy, rec: Recommendation) -> dict[str, Any]:
    """The recommendation in the shape the trust's tools read."""
    return {
        "urgency": rec.urgency.value,
        "actions": [
            {
                "clause": a.clause,
                "id": a.action_id,
                "preselected": a.preselected,
                "basis": a.basis.value,
                "reason": a.reason,
            }
            for a in rec.actions
        ],
        "alerts": list(rec.alerts),
        "referrals": [policy.action(r.action_id).referral for r in rec.referrals],
        "decided_by": rec.decided_by,
        "first_step": rec.first_step,
        "urgent_because": list(rec.urgent_because),
    }


EXPECTED = ("urgency", "actions", "preselected", "alerts", "referrals", "decided_by", "first_step")


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    differences: tuple[str, ...]


def run_scenarios(
    raw: Mapping[str, Any],
    policy: Policy,
    schools: tuple[str, ...],
    action_urgency: Mapping[str, str],
    source: str,
) -> list[Outcome]:
    """Each [[scenario]]: answers, and what triage must give (any of EXPECTED; lists as sets)."""
    scenarios = raw.get("scenario")
    if not isinstance(scenarios, list) or not scenarios:
        raise ConfigError(source, "[[scenario]]", "at least one scenario is needed")
    outcomes = []
    for n, s in enumerate(scenarios):
        name = s.get("name") if isinstance(s, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(source, f"scenario[{n}].name", "every scenario needs a name")
        unknown = sorted(set(s) - {"name", "answers", *EXPECTED})
        if unknown:
            raise ConfigError(source, f"scenario.{name}", f"unknown keys {unknown}")
        answers = answers_from_json(
            s.get("answers", {}), policy, schools, f"{source}: scenario {name!r} answers"
        )
        got = recommendation_json(policy, evaluate(policy, answers, action_urgency))
        actual = {
            **got,
            "actions": sorted(a["id"] for a in got["actions"]),
            "preselected": sorted(a["id"] for a in got["actions"] if a["preselected"]),
        }
        differences = []
        for key in EXPECTED:
            if key not in s:
                continue
            want = sorted(s[key]) if isinstance(s[key], list) else s[key]
            have = sorted(actual[key]) if isinstance(actual[key], list) else actual[key]
            if want != have:
                differences.append(f"{key}: expected {want}, got {have}")
        outcomes.append(Outcome(name, not differences, tuple(differences)))
    return outcomes
