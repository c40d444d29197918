"""The trust's policy loaded from data, and triage: answers in, recommendation out."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.models import Answers, Basis, Recommendation, RecommendedAction, Urgency
from bot.recommendation import HELD_BACK, Finding

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")

CONDITIONS = (
    "categories_any",
    "facts_any",
    "facts_none",
    "history_in",
    "author_in",
    "about_any",
    "investigation",
    "recommended_any",
    "recommended_none",
    "always",
)
EFFECTS = ("recommend", "urgency", "alert", "hold", "decided_by")
ALERTS = ("dsl",)
DECIDERS = ("approvers", "escalation")


@dataclass(frozen=True)
class Option:
    """One choice the policy offers: a category, action, fact, platform and so on."""

    id: str
    label: str
    clause: str = ""
    needs_text: bool = False
    preselect: bool = True
    report_url: str = ""
    removal_request: bool = False  # actions: a request to take the post down (a check follows)
    referral: str = ""  # actions: a safeguarding referral the DSL considers at once ("lado")
    first_step: bool = False  # actions: the conversation with the parent that comes first (5.1)
    asked_apart: bool = False  # facts: asked as a question of its own, not in the checklist

    @property
    def referenced(self) -> str:
        """For the reporter: the words first, the clause as a small reference after them."""
        return f"{self.label} ({self.clause})" if self.clause else self.label

    @property
    def labelled(self) -> str:
        if self.referral:  # the clause is the statutory guidance's, not the policy's
            return f"{self.label} ({self.clause})"
        return f"{self.clause} {self.label}" if self.clause else self.label


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    reason: str
    recommend: str | None
    urgency: Urgency | None
    conditions: tuple[tuple[str, Any], ...]
    basis: Basis = Basis.POLICY
    alert: str = ""  # "dsl": the safeguarding leads are told at once
    hold: tuple[str, ...] = ()  # actions held back until the DSL has advised
    decided_by: str = ""  # "escalation": the trust's escalation contacts decide
    why: str = ""  # for urgent rules: the few words the urgent banner gives as the reason


@dataclass(frozen=True)
class Consideration:
    clause: str
    text: str


@dataclass(frozen=True)
class Policy:
    title: str
    version: str
    issued: date
    review_due: date
    relationships: tuple[Option, ...]
    subjects: tuple[Option, ...]
    platforms: tuple[Option, ...]
    categories: tuple[Option, ...]
    facts: tuple[Option, ...]
    histories: tuple[Option, ...]
    actions: tuple[Option, ...]
    rules: tuple[Rule, ...]
    channels_clause: str
    channels_text: str
    considerations: tuple[Consideration, ...]

    def option(self, group: str, option_id: str) -> Option:
        options: tuple[Option, ...] = getattr(self, group)
        for o in options:
            if o.id == option_id:
                return o
        raise KeyError(f"{group}: {option_id}")

    def action(self, action_id: str) -> Option:
        return self.option("actions", action_id)

    def category(self, category_id: str) -> Option:
        return self.option("categories", category_id)

    def is_past_review(self, today: date) -> bool:
        return today > self.review_due

    def warnings(self, today: date) -> list[str]:
        if self.is_past_review(today):
            return [
                (
                    f"The policy (version {self.version}) was due for review on "
                    f"{self.review_due:%d %B %Y}: ask the trust board whether it still stands."
                )
            ]
        return []


_GROUPS = {
    "relationship": "relationships",
    "subject": "subjects",
    "platform": "platforms",
    "category": "categories",
    "fact": "facts",
    "history": "histories",
    "action": "actions",
}


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """Read and check a policy file; every problem names the file, the key and what is wrong."""
    source = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, "-", "the policy file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "-", f"not valid TOML ({exc})") from None
    return parse_policy(raw, source)


def parse_policy(raw: dict[str, Any], source: str = "policy") -> Policy:
    head = raw.get("policy")
    if not isinstance(head, dict):
        raise ConfigError(source, "[policy]", "missing")
    for key in ("title", "version", "issued", "review_due"):
        if key not in head:
            raise ConfigError(source, f"policy.{key}", "missing")
    for key in ("issued", "review_due"):
        if not isinstance(head[key], date):
            raise ConfigError(source, f"policy.{key}", "must be a date such as 2020-06-30")
    groups = {attr: _options(raw, table, source) for table, attr in _GROUPS.items()}
    categories = {o.id for o in groups["categories"]}
    for o in groups["actions"]:
        if o.id in categories:
            raise ConfigError(source, f"action.{o.id}", "duplicate id (also a category)")
    for table in ("category", "action"):
        for o in groups[_GROUPS[table]]:
            if not o.clause:
                raise ConfigError(source, f"{table}.{o.id}.clause", "every entry needs its clause")
    rules = tuple(_rule(r, i, groups, source) for i, r in enumerate(raw.get("rule", [])))
    _unique([r.id for r in rules], "rule", source)
    channels = raw.get("channels", {})
    return Policy(
        title=str(head["title"]),
        version=str(head["version"]),
        issued=head["issued"],
        review_due=head["review_due"],
        rules=rules,
        channels_clause=str(channels.get("clause", "4.1")),
        channels_text=str(channels.get("text", "")),
        considerations=tuple(
            Consideration(str(c["clause"]), str(c["text"])) for c in raw.get("consideration", [])
        ),
        **groups,
    )


def _unique(ids: list[str], table: str, source: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ConfigError(source, f"{table}.{i}", "duplicate id")
        seen.add(i)


def _options(raw: dict[str, Any], table: str, source: str) -> tuple[Option, ...]:
    entries = raw.get(table)
    if not entries:
        raise ConfigError(source, f"[[{table}]]", "at least one entry is needed")
    options = []
    for n, e in enumerate(entries):
        if not e.get("id") or not e.get("label"):
            raise ConfigError(source, f"{table}[{n}]", "needs an id and a label")
        unknown = set(e) - set(Option.__dataclass_fields__)
        if unknown:
            raise ConfigError(source, f"{table}.{e['id']}", f"unknown keys {sorted(unknown)}")
        fields: dict[str, Any] = {k: (str(v) if isinstance(v, str) else v) for k, v in e.items()}
        options.append(Option(**fields))
    _unique([o.id for o in options], table, source)
    return tuple(options)


def _rule(r: dict[str, Any], n: int, groups: dict[str, tuple[Option, ...]], source: str) -> Rule:
    rid = r.get("id") or f"rule[{n}]"
    key = f"rule.{rid}"
    basis = r.get("basis")
    if basis not in Basis.__members__.values():
        raise ConfigError(
            source, f"{key}.basis", f"every rule needs its basis, one of {[b.value for b in Basis]}"
        )
    if basis == Basis.POLICY and not r.get("clause"):
        raise ConfigError(source, f"{key}.clause", "a rule of the policy needs its clause")
    if not r.get("reason"):
        raise ConfigError(source, f"{key}.reason", "every rule needs a one-line reason")
    unknown = set(r) - set(CONDITIONS) - set(EFFECTS) - {"id", "clause", "reason", "basis", "why"}
    if unknown:
        raise ConfigError(source, key, f"unknown keys {sorted(unknown)}")
    ids = {attr: {o.id for o in opts} for attr, opts in groups.items()}
    alert = r.get("alert", "")
    if alert and alert not in ALERTS:
        raise ConfigError(source, f"{key}.alert", f"must be one of {list(ALERTS)}")
    decided_by = r.get("decided_by", "")
    if decided_by and decided_by not in DECIDERS:
        raise ConfigError(source, f"{key}.decided_by", f"must be one of {list(DECIDERS)}")
    hold = r.get("hold", [])
    for h in hold:
        if h not in ids["actions"]:
            raise ConfigError(source, f"{key}.hold", f"unknown action id {h!r}")
    recommend = r.get("recommend")
    if recommend is not None:
        if recommend not in ids["actions"]:
            raise ConfigError(source, f"{key}.recommend", f"unknown action id {recommend!r}")
        action = next(a for a in groups["actions"] if a.id == recommend)
        if not action.preselect:
            raise ConfigError(
                source,
                f"{key}.recommend",
                f"{action.clause} ({recommend}) is never pre-selected",
            )
    urgency = r.get("urgency")
    if urgency is not None and urgency not in Urgency.__members__.values():
        raise ConfigError(source, f"{key}.urgency", f"must be one of {[u.value for u in Urgency]}")
    if not any(r.get(e) for e in EFFECTS):
        raise ConfigError(source, key, f"a rule must do something: one of {list(EFFECTS)}")
    vocab = {
        "categories_any": "categories",
        "facts_any": "facts",
        "facts_none": "facts",
        "history_in": "histories",
        "author_in": "relationships",
        "about_any": "subjects",
        "recommended_any": "actions",
        "recommended_none": "actions",
    }
    conditions = []
    for cond in CONDITIONS:
        if cond not in r:
            continue
        value = r[cond]
        if cond == "always":
            if value is not True:
                raise ConfigError(source, f"{key}.always", "must be true when given")
        elif cond == "investigation":
            if not isinstance(value, bool):
                raise ConfigError(source, f"{key}.investigation", "must be true or false")
        else:
            for v in value:
                if v not in ids[vocab[cond]]:
                    kind = _SINGULAR[vocab[cond]]
                    raise ConfigError(source, f"{key}.{cond}", f"unknown {kind} id {v!r}")
            value = tuple(value)
        conditions.append((cond, value))
    if not conditions:
        raise ConfigError(source, key, "a rule needs at least one condition (or always = true)")
    return Rule(
        id=rid,
        clause=str(r.get("clause", "")),
        reason=str(r["reason"]),
        recommend=recommend,
        urgency=Urgency(urgency) if urgency else None,
        conditions=tuple(conditions),
        basis=Basis(str(basis)),  # checked against Basis above
        alert=alert,
        hold=tuple(hold),
        decided_by=decided_by,
        why=str(r.get("why", "")),
    )


_SINGULAR = {
    "categories": "category",
    "facts": "fact",
    "histories": "history",
    "relationships": "author",
    "subjects": "subject",
    "actions": "action",
}


def _holds(cond: str, value: Any, answers: Answers, recommended: list[str]) -> bool:
    match cond:
        case "always":
            return True
        case "categories_any":
            return bool(set(value) & set(answers.categories))
        case "facts_any":
            return bool(set(value) & set(answers.facts))
        case "facts_none":
            return not set(value) & set(answers.facts)
        case "history_in":
            return answers.history in value
        case "author_in":
            return answers.author_relationship in value
        case "about_any":
            return bool(set(value) & set(answers.about))
        case "investigation":
            return answers.investigation_under_way is value
        case "recommended_any":
            return bool(set(value) & set(recommended))
        case "recommended_none":
            return not set(value) & set(recommended)
    raise AssertionError(cond)


def evaluate(
    policy: Policy, answers: Answers, action_urgency: Mapping[str, str] | None = None
) -> Recommendation:
    """Triage: run the rules in order over the answers; pure and deterministic.

    action_urgency: the trust's setting of the urgency each recommended action gives the case.
    """
    urgency = Urgency.STANDARD
    actions: list[RecommendedAction] = []
    fired: list[str] = []
    alerts: list[str] = []
    held: dict[str, str] = {}
    because: list[str] = []
    findings: list[Finding] = []
    decided_by = "approvers"
    for rule in policy.rules:
        recommended = [a.action_id for a in actions]
        if not all(_holds(c, v, answers, recommended) for c, v in rule.conditions):
            continue
        fired.append(rule.id)
        if rule.urgency:
            urgency = max(urgency, rule.urgency, key=lambda u: u.rank)
            if rule.urgency is Urgency.URGENT:
                because.append(rule.why or rule.reason)
        if rule.recommend and rule.recommend not in recommended:
            action = policy.action(rule.recommend)
            actions.append(
                RecommendedAction(
                    rule.recommend,
                    action.clause,
                    rule.reason,
                    rule.id,
                    basis=rule.basis,
                    preselected=action.preselect,
                )
            )
        if rule.alert and rule.alert not in alerts:
            alerts.append(rule.alert)
        raises = rule.urgency is Urgency.HIGH or (rule.alert and rule.urgency is None)
        if raises and not rule.recommend and rule.reason not in {f.reason for f in findings}:
            findings.append(Finding(rule.reason, rule.clause, rule.basis, bool(rule.alert)))
        for h in rule.hold:
            held.setdefault(h, rule.why or rule.reason)
        if rule.decided_by:
            decided_by = rule.decided_by
    actions = [
        RecommendedAction(
            a.action_id, a.clause, f"{HELD_BACK} ({held[a.action_id]})", a.rule_id, a.basis, False
        )
        if a.action_id in held
        else a
        for a in actions
    ]
    for a in actions:
        level = (action_urgency or {}).get(a.action_id)
        if a.preselected and level:
            urgency = max(urgency, Urgency(level), key=lambda u: u.rank)
    order = [a.id for a in policy.actions]
    actions.sort(key=lambda a: order.index(a.action_id))
    referral_ids = {o.id: o.referral for o in policy.actions if o.referral}
    return Recommendation(
        urgency,
        tuple(a for a in actions if a.action_id not in referral_ids),
        tuple(fired),
        alerts=tuple(alerts),
        referrals=tuple(a for a in actions if a.action_id in referral_ids),
        decided_by=decided_by,
        first_step=any(policy.action(a.action_id).first_step and a.preselected for a in actions),
        urgent_because=tuple(dict.fromkeys(because)),
        findings=tuple(findings),
    )
