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
        """Whose recommendation this is, as screens say it: "the policy (5.1.3)"."""
        policy = self.basis is Basis.POLICY
        return f"the policy ({self.clause})" if policy else "the trust's practice"


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
    )
