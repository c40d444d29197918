"""The approval card as each person may see it on Teams: who gets which controls, who refreshes."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import School
from bot.models import Actor, Case
from bot.service import CaseService
from bot.sight import NOT_YOURS, Sight
from cards import teams
from cards.teams import Card
from cards.views import ApprovalCardView, approval_card
from handlers.teams.people import People


class CaseCards:
    """Renders a case's card for a person, a channel, or an approver's personal copy."""

    def __init__(self, service: CaseService, people: People) -> None:
        self.service = service
        self.people = people

    def view(self, case: Case, sight: Sight | None = None) -> ApprovalCardView:
        """The card as the leads see it, or as one person may (sight: need to know)."""
        school = self.service.school_of(case)
        return approval_card(
            case, self.service.policy, school, self.service.trust.tz, self.service.clock(), sight
        )

    async def refresh_ids(self, school: School) -> list[str]:
        """Everyone whose copy Teams refreshes: the leads, who may work the tasks, and above
        all the approvers (first, so the 60-person cap never drops them)."""
        leads = [
            *school.approvers,
            *[e for e in school.safeguarding_leads if e not in school.approvers],
        ]
        return await self.people.teams_ids(leads)

    async def shared(self, case: Case, for_approver: bool) -> Card:
        """The copy the outbox posts: the channel's (no controls; refresh brings them) or an
        approver's personal one (every control)."""
        view = self.view(case)
        school = self.service.school_of(case)
        tasks = [t.id for t in view.tasks] if for_approver else []
        return teams.approval_card(
            view,
            for_approver=for_approver,
            approver_ids=await self.refresh_ids(school),
            task_ids=tasks,
        )

    async def for_person(
        self,
        case: Case,
        actor: Actor,
        errors: Mapping[str, str] | None = None,
        note: str = "",
        link: tuple[str, str] | None = None,
    ) -> Card:
        """The card with what this person may use; a message instead if they may not see it."""
        sight = self.service.sight(actor, case)
        if not sight.any:
            refusal = note or NOT_YOURS.format(reference=case.reference)
            return teams.message_card(f"Report {case.reference}", [refusal], True)
        school = self.service.school_of(case)
        view = self.view(case, sight)
        email = actor.email.lower()
        tasks = [t.id for t in case.tasks if school.is_lead(email) or t.owner.email == email]
        return teams.approval_card(
            view,
            for_approver=school.is_approver(email),
            approver_ids=await self.refresh_ids(school),
            errors=errors,
            note=note,
            task_ids=tasks,
            link=link,
        )
