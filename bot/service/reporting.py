"""Reporting: the form, the triage preview, filing a report and its evidence, form drafts."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot import filetypes
from bot.errors import (
    EvidenceRejected,
    FormErrors,
    NotAllowed,
)
from bot.follow_through import new_task
from bot.forms import Section, report_form
from bot.models import (
    Actor,
    Answers,
    Case,
    CaseFile,
    Evidence,
    Notice,
    Recommendation,
    Status,
    Task,
    Urgency,
    check_transition,
    to_plain,
)
from bot.policy import evaluate
from bot.service.core import (
    BOT,
    DRAFT_DAYS,
    ESCALATED,
    ServiceCore,
    task_facts,
    who,
)
from bot.timeline import append


class Reporting(ServiceCore):
    """A member of staff reports a post."""

    def form(self, actor: Actor) -> tuple[Section, ...]:
        schools = self.schools_for(actor)
        if schools not in self._forms:  # the form depends on the schools alone: make it once
            self._forms[schools] = report_form(self.policy, schools)
        return self._forms[schools]

    def triage(self, answers: Answers) -> Recommendation:
        return evaluate(self.policy, answers, dict(self.trust.action_urgency))

    def preview(self, answers: Answers) -> Recommendation:
        return self.triage(answers)

    async def submit(
        self,
        reporter: Actor,
        answers: Answers,
        submission_key: str,
        files_to_fetch: Sequence[str] = (),
    ) -> tuple[Case, bool]:
        """File a report as a new case; a repeated submission returns the first case.

        files_to_fetch: the platform's ids of screenshots still to download, queued in the same
        save as the case so that a crash before the download cannot lose them.
        """
        schools = {s.id for s in self.schools_for(reporter)}
        if not schools:
            raise NotAllowed(
                "Only the trust's staff can report a post, and your account's email address is "
                "not one of the trust's staff domains. Please ask your IT admin."
            )
        if answers.school_id not in schools:
            raise FormErrors({"school_id": "Choose one of your own schools."})

        async def op() -> tuple[Case, bool]:
            existing = await self.store.find_submission(submission_key)
            if existing:
                return (await self.get(existing)).case, False
            now = self.clock()
            recommendation = self.triage(answers)
            reference = await self.store.next_reference(self.trust.reference_prefix, now.year)
            if recommendation.escalated:
                # Kept before the case, so that no listing shows it to the school's deciders.
                await self.store.put_value(ESCALATED, reference, {"school": answers.school_id})
            case = Case(
                reference=reference,
                school_id=answers.school_id,
                status=Status.SUBMITTED,
                urgency=recommendation.urgency,
                reporter=reporter,
                answers=answers,
                recommendation=recommendation,
                created_at=now,
                submission_key=submission_key,
            )
            timeline = append(
                (),
                at=now,
                actor=who(reporter),
                kind="report_submitted",
                summary=f"Report submitted by {reporter.email}",
                after={"status": Status.SUBMITTED.value, "answers": to_plain(answers)},
            )
            status = check_transition(case.status, Status.AWAITING_DECISION)
            timeline = append(
                timeline,
                at=now,
                actor=BOT,
                kind="triaged",
                summary=f"Triage: {recommendation.urgency.value}; "
                f"recommended {', '.join(recommendation.action_ids)}",
                before={"status": case.status.value},
                after={
                    "status": status.value,
                    "urgency": recommendation.urgency.value,
                    "recommendation": to_plain(recommendation),
                    "rules_fired": list(recommendation.fired_rules),
                    "policy_version": self.policy.version,
                },
            )
            tasks = self._referral_tasks(case, now)
            case = replace(case, status=status, tasks=tasks)
            if tasks:
                timeline = append(
                    timeline,
                    at=now,
                    actor=BOT,
                    kind="tasks_created",
                    summary=f"{len(tasks)} safeguarding task(s) for {tasks[0].owner.email}",
                    after={"tasks": [task_facts(t) for t in tasks]},
                )
            notices = [Notice.RECEIPT, Notice.APPROVAL_CARD]
            details = ["", ""] + list(files_to_fetch)
            notices += [Notice.FETCH_EVIDENCE] * len(files_to_fetch)
            notices += [Notice.TASK_ASSIGNED] * len(tasks)
            details += [t.id for t in tasks]
            outbox = self._queue((), reporter.platform, notices, details)
            if recommendation.alerts_dsl:
                # The safeguarding leads are told at once on every platform the bot runs on.
                others = [p for p in self.platforms if p != reporter.platform]
                for platform in (reporter.platform, *others):
                    outbox = self._queue(outbox, platform, [Notice.SAFEGUARDING_ALERT])
            record = CaseFile(case, timeline, outbox)
            await self.store.create(record)
            self._changed()
            return case, True

        return await self._serialised(f"submit:{submission_key}", op)

    def _referral_tasks(self, case: Case, now: datetime) -> tuple[Task, ...]:
        """The safeguarding referrals to consider, the DSL's tasks from the moment of filing."""
        school = self.school_of(case)
        lead = (*school.safeguarding_leads, *school.approvers)[0]
        owner = Actor(case.reporter.platform, "", lead)
        return tuple(
            new_task(
                f"t{n}",
                r.action_id,
                owner,
                now,
                self.trust.due_days(r.action_id),
                self.trust.hours,
                urgent=case.urgency is Urgency.URGENT,
            )
            for n, r in enumerate(case.recommendation.referrals, start=1)
        )

    async def attach_evidence(
        self,
        reference: str,
        actor: Actor,
        name: str,
        media_type: str,
        data: bytes,
        source: str,
    ) -> Evidence:
        """Keep a screenshot (5.1.7): stored by SHA-256, with who captured it and when.

        Its type is what its bytes say, not `media_type` (what the platform or browser
        claimed, which is not kept); anything
        refused (type, size, count) is refused before it is written anywhere."""
        if not data:
            raise EvidenceRejected(f"{name or 'The file'} is empty.")
        limit = self.trust.evidence_max_bytes
        if len(data) > limit:
            raise EvidenceRejected(
                f"{name} is {len(data) / 1048576:.1f} MB; "
                f"files can be at most {limit // 1048576} MB."
            )
        detected = filetypes.detect(data)
        if detected is None:
            raise EvidenceRejected(filetypes.refusal(name))
        sha = hashlib.sha256(data).hexdigest()

        async def op() -> Evidence:
            record = await self.get(reference)
            case = record.case
            if not self.can_view(actor, case):
                raise NotAllowed("Only the reporter and the school's leads can add evidence.")
            for e in case.evidence:
                if e.sha256 == sha:
                    return e
            if len(case.evidence) >= self.trust.evidence_max_files:
                raise EvidenceRejected(
                    f"A case can keep at most {self.trust.evidence_max_files} files; "
                    f"{name} was not added."
                )
            await self.store.put_evidence(data)
            now = self.clock()
            evidence = Evidence(sha, name[:200], len(data), detected, actor, now, source)
            await self._commit(
                record,
                replace(case, evidence=(*case.evidence, evidence)),
                [Notice.CARD_UPDATE],
                at=now,
                actor=who(actor),
                kind="evidence_retained",
                summary=f"Evidence kept: {evidence.name} (SHA-256 {sha[:12]}…)",
                after={k: v for k, v in to_plain(evidence).items() if k != "captured_by"},
            )
            return evidence

        return await self._serialised(reference, op)

    async def keep_draft(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Save a form's answers so far, stamped so that an abandoned form can be forgotten."""
        await self.store.put_value(table, key, {**value, "saved_at": self.clock().isoformat()})

    async def forget_old_drafts(self, tables: Sequence[str], days: int = DRAFT_DAYS) -> int:
        """Drop the drafts of forms left for `days` days; how many. A draft without a readable
        stamp (one kept before drafts were stamped) is stamped now, and forgotten `days` days
        later, not at once."""
        cutoff = self.clock() - timedelta(days=days)
        forgotten = 0
        for table in tables:
            for key, value in (await self.store.values(table)).items():
                try:
                    saved = datetime.fromisoformat(value["saved_at"])
                except (KeyError, TypeError, ValueError):
                    await self.keep_draft(table, key, value)
                    continue
                if saved < cutoff:
                    await self.store.delete_value(table, key)
                    forgotten += 1
        return forgotten
