"""The trust's practice beside the policy: each task's working days and each action's urgency."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.trust import Trust

URGENCIES = ("standard", "high", "urgent")
ACTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# The trust's practice, not the policy's: working days after the decision each task is due
# (0: the same day), and the urgency a case gets when an action is recommended. The policy sets
# no deadlines or urgency; a trust overrides these under [trust.due_working_days] and
# [trust.action_urgency].
DEFAULT_DUE_DAYS: dict[str, int] = {
    "discuss": 2,
    "discuss_pupil": 2,
    "warning_letter": 3,
    "legal_advice": 5,
    "police": 0,
    "block_access": 1,
    "report_to_platform": 1,
    "other_legal_action": 10,
    "retain_evidence": 0,
    "other_action": 5,
    "lado_referral": 1,
    "social_care_referral": 1,
}
DEFAULT_ACTION_URGENCY: dict[str, str] = {
    "police": "high",
    "warning_letter": "high",
    "legal_advice": "high",
}


def per_action(raw: Any, key: str, source: str) -> dict[str, Any]:
    """A table of values by action id (checked against the policy's actions once it is read)."""
    if not isinstance(raw, dict):
        raise ConfigError(source, key, "must be a table of action ids, such as police = 0")
    for action_id in raw:
        if not ACTION_ID.match(action_id):
            raise ConfigError(source, f"{key}.{action_id}", "not an action id")
    return dict(raw)


def check_against_policy(trust: Trust, action_ids: set[str]) -> None:
    """Every action the trust file sets a deadline or urgency for must be one of the policy's."""
    for key, table in (
        ("due_working_days", trust.due_working_days),
        ("action_urgency", trust.action_urgency),
    ):
        defaults = DEFAULT_DUE_DAYS if key == "due_working_days" else DEFAULT_ACTION_URGENCY
        for action_id, _ in table:
            if action_id not in action_ids and action_id not in defaults:
                raise ConfigError(
                    trust.source,
                    f"trust.{key}.{action_id}",
                    f"unknown action (the policy's are: {', '.join(sorted(action_ids))})",
                )
