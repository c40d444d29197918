"""Need to know: who may see what of a case, the one rule every view and file link follows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.config import School
from bot.drafts import LETTER_SOURCE
from bot.models import Case, Evidence, Task

NOT_YOURS = "You are not one of the people who can see {reference}."
NOT_YOUR_FILE = "This file of {reference} is only for the school's leads."


class Role(StrEnum):
    """Why a person may see a case at all."""

    APPROVER = "approver"  # decides: sees everything
    SAFEGUARDING_LEAD = "safeguarding_lead"  # the school's DSLs: everything
    TASK_OWNER = "task_owner"  # the report's facts, the evidence and their own tasks
    REPORTER = "reporter"  # their report, its status and what they must do


@dataclass(frozen=True)
class Sight:
    """What one person may see of one case."""

    email: str
    roles: frozenset[Role]
    letter_task: bool = False  # owns the task of sending the warning letter (5.1.1)

    @property
    def any(self) -> bool:
        return bool(self.roles)

    @property
    def whole(self) -> bool:
        """The school's leads see the whole case: reasons, every task, references, the letter."""
        return bool(self.roles & {Role.APPROVER, Role.SAFEGUARDING_LEAD})

    @property
    def reasons(self) -> bool:
        """The decision's actions and reasons, the recommendation, the closing note."""
        return self.whole

    def task(self, task: Task) -> bool:
        """A task, its result and its reference (a police reference among them)."""
        return self.whole or task.owner.email.lower() == self.email

    def evidence(self, evidence: Evidence) -> bool:
        """A kept file: the leads and task owners work from the screenshots; a reporter has
        their own. The letter, kept as a file too, only as the letter."""
        if evidence.source == LETTER_SOURCE:
            return self.letter
        if self.whole or Role.TASK_OWNER in self.roles:
            return True
        return evidence.captured_by.email.lower() == self.email

    @property
    def letter(self) -> bool:
        """The warning letter (5.1.1): the leads, and whoever owns the letter's task."""
        return self.whole or self.letter_task


def sight(email: str, case: Case, school: School) -> Sight:
    email = email.lower()
    roles = set()
    if school.is_approver(email):
        roles.add(Role.APPROVER)
    if email in school.safeguarding_leads:
        roles.add(Role.SAFEGUARDING_LEAD)
    if any(t.owner.email.lower() == email for t in case.tasks):
        roles.add(Role.TASK_OWNER)
    if case.reporter.email.lower() == email:
        roles.add(Role.REPORTER)
    letter_task = any(
        t.action_id == "warning_letter" and t.owner.email.lower() == email for t in case.tasks
    )
    return Sight(email, frozenset(roles), letter_task)
