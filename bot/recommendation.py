"""Triage's result: urgency, the recommended actions with their basis, alerts and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Urgency(StrEnum):
    STANDARD = "standard"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return list(Urgency).index(self)


HELD_BACK = "Held back until the DSL has advised"


class Basis(StrEnum):
    """Whose a recommendation is: a clause of the policy, or the trust's own practice."""

    POLICY = "policy"
    TRUST = "trust"


def cite(basis: Basis, clause: str) -> str:
    """Whose words these are, as screens say it: "the policy (5.1.3)" or "the trust's practice"."""
    return f"the policy ({clause})" if basis is Basis.POLICY else "the trust's practice"


@dataclass(frozen=True)
class RecommendedAction:
    action_id: str
    clause: str
    reason: str
    rule_id: str
    basis: Basis = Basis.POLICY
    preselected: bool = True  # ticked for the approver (not when held back or never pre-ticked)

    @property
    def held_back(self) -> bool:
        """Held back on the DSL's route: not approved until the DSL says it may go ahead."""
        return self.reason.startswith("Held back")

    @property
    def cited(self) -> str:
        return cite(self.basis, self.clause)


@dataclass(frozen=True)
class Finding:
    """Why a rule that recommends nothing raised the case to high or told the DSL: the rule's
    reason, for the approvers' card and, when it alerts, the safeguarding leads' alert."""

    reason: str
    clause: str
    basis: Basis
    alert: bool = False

    @property
    def cited(self) -> str:
        return cite(self.basis, self.clause)


@dataclass(frozen=True)
class Recommendation:
    urgency: Urgency
    actions: tuple[RecommendedAction, ...]
    fired_rules: tuple[str, ...]
    alerts: tuple[str, ...] = ()  # "dsl": the safeguarding leads are told at once
    referrals: tuple[RecommendedAction, ...] = ()  # tasks for the DSL from the moment of filing
    decided_by: str = "approvers"  # "escalation": the case is about one of the school's deciders
    first_step: bool = False  # the conversation with the parent is recommended first
    urgent_because: tuple[str, ...] = ()  # why the case is urgent, for the banners
    findings: tuple[Finding, ...] = ()  # why it is high, or why the DSL is told, short of urgent

    @property
    def action_ids(self) -> tuple[str, ...]:
        return tuple(a.action_id for a in self.actions)

    @property
    def escalated(self) -> bool:
        return self.decided_by == "escalation"

    @property
    def alerts_dsl(self) -> bool:
        return "dsl" in self.alerts or self.urgency is Urgency.URGENT


def _recommended(a: dict[str, Any]) -> RecommendedAction:
    return RecommendedAction(**{**a, "basis": Basis(a.get("basis", "policy"))})


def recommendation_from(rec: dict[str, Any]) -> Recommendation:
    """A stored recommendation; one stored before the safeguarding route has its defaults."""
    return Recommendation(
        Urgency(rec["urgency"]),
        tuple(_recommended(a) for a in rec["actions"]),
        tuple(rec["fired_rules"]),
        alerts=tuple(rec.get("alerts", ())),
        referrals=tuple(_recommended(a) for a in rec.get("referrals", ())),
        decided_by=rec.get("decided_by", "approvers"),
        first_step=rec.get("first_step", False),
        urgent_because=tuple(rec.get("urgent_because", ())),
        findings=tuple(
            Finding(**{**f, "basis": Basis(f["basis"])}) for f in rec.get("findings", ())
        ),
    )
