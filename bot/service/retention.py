"""Retention and erasure: flag, replace the cards, then remove a case and all it left behind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot.errors import FormErrors, NotAllowed, UnknownCase
from bot.models import CaseFile, Notice
from bot.retention import (
    ERASURES,
    FLAGGED,
    REMOVAL_QUEUED,
    REMOVALS,
    STUCK_DAYS,
    Basis,
    Due,
    Verdict,
    chat_platforms,
    judge,
    orphan_evidence,
    plus_years,
    removal_delivered,
    remove_case,
)
from bot.service.core import BOT, ServiceCore, check_text
from bot.timeline import append

log = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    """What a pass did (or, dry, would do), by reference: for the log and the office."""

    flagged: list[tuple[str, date]] = field(default_factory=list)  # open past retention
    waiting: list[tuple[str, date]] = field(default_factory=list)  # flagged earlier: grace runs
    removing: list[str] = field(default_factory=list)  # cards being replaced, then removed
    removed: list[str] = field(default_factory=list)
    orphans: int = 0


class Retaining(ServiceCore):
    """The daily retention pass, and the two-person erasure, on the service's clock."""

    async def _evidence_in_use(self, exclude: set[str] | frozenset[str] = frozenset()) -> set[str]:
        """The SHA-256 of every file a case refers to, reading one case at a time (a pass must
        not hold every case in memory at once)."""
        used: set[str] = set()
        for ref in await self.store.references():
            if ref in exclude:
                continue
            record = await self.store.load(ref)
            if record is not None:
                used.update(e.sha256 for e in record.case.evidence)
        return used

    def verdict(self, record: CaseFile) -> Verdict:
        t = self.trust
        return judge(record, self.today(), t.retention_years, t.retention_grace_days, t.tz)

    async def retention_pass(self, dry_run: bool = False) -> RetentionReport:
        """Flag open cases past retention, remove those due, and files nobody uses."""
        today, report = self.today(), RetentionReport()
        # No case created within the retention period can be due: only older ones are read.
        oldest = plus_years(today, -self.trust.retention_years)
        tz = self.trust.tz
        candidates = [
            s.reference
            for s in await self.store.summaries()
            if s.created_at.astimezone(tz).date() <= oldest
        ]
        for ref in candidates:
            try:
                await self._judge_one(ref, report, dry_run)
            except Exception:  # one case that cannot be read or saved must not stop the rest
                log.exception("retention: %s could not be judged; the next pass tries again", ref)
        queued = await self.store.values(REMOVALS)
        report.removing += [r for r in queued if r not in report.removing]
        if dry_run:
            try:
                report.orphans = await self._remove_orphans(dry_run=True)
            except Exception:
                log.exception("retention: unused files not counted (a case cannot be read)")
            return report
        # Both need to know every file in use: a case that cannot be read stops them (a file
        # might be its), not the flagging above; the next pass tries again.
        try:
            report.removed = await self.finish_removals()
            report.removing = [r for r in report.removing if r not in report.removed]
            report.orphans = await self._remove_orphans()
        except Exception:
            log.exception("retention: removals and unused files wait for the next pass")
        return report

    async def _judge_one(self, ref: str, report: RetentionReport, dry_run: bool) -> None:
        record = await self.store.load(ref)
        if record is None:
            return
        verdict = self.verdict(record)
        if verdict.due is Due.FLAG:
            report.flagged.append((ref, verdict.purge_on))
            if not dry_run:
                await self._flag(ref)
        elif verdict.due is Due.WAIT:
            report.waiting.append((ref, verdict.purge_on))
        elif verdict.due is Due.PURGE:
            report.removing.append(ref)
            if not dry_run:
                await self.start_removal(ref, Basis.RETENTION)

    async def _flag(self, reference: str) -> None:
        async def op() -> None:
            record = await self.get(reference)
            verdict = self.verdict(record)
            if verdict.due is not Due.FLAG:
                return  # another instance flagged it, or someone acted on it meanwhile
            now = self.clock()
            timeline = append(
                record.timeline,
                at=now,
                actor=BOT,
                kind=FLAGGED,
                summary=f"Past the retention period: to be removed on {verdict.purge_on}",
                after={"purge_on": verdict.purge_on.isoformat()},
            )
            outbox = self._queue(
                record.outbox,
                record.case.reporter.platform,
                [Notice.RETENTION_DUE],
                [f"{verdict.purge_on.isoformat()} {verdict.last_activity.isoformat()}"],
            )
            await self.store.save(CaseFile(record.case, timeline, outbox, record.revision + 1))
            self._changed()
            log.warning(
                "retention: %s is open and past retention; approvers told; removal on %s",
                reference,
                verdict.purge_on,
            )

        await self._serialised(reference, op)

    async def start_removal(self, reference: str, basis: Basis) -> None:
        """Replace the case's cards on every platform (the outbox), then it can be removed."""

        async def op() -> None:
            record = await self.store.load(reference)
            if record is None:
                return
            # Noted first: should the process die before the cards are queued, the next pass
            # (finish_removals) queues them, and nothing is removed before they are replaced.
            entry = {"basis": basis.value, "queued_at": self.clock().isoformat()}
            if await self.store.get_value(REMOVALS, reference) is None:
                await self.store.put_value(REMOVALS, reference, entry)
            queued = any(m.notice is Notice.CASE_REMOVED for m in record.outbox)
            platforms = chat_platforms(record)
            if platforms and not queued:
                now = self.clock()
                outbox = record.outbox
                for platform in platforms:
                    outbox = self._queue(outbox, platform, [Notice.CASE_REMOVED], [basis.value])
                timeline = append(
                    record.timeline,
                    at=now,
                    actor=BOT,
                    kind=REMOVAL_QUEUED,
                    summary=f"To be removed ({basis.value}): its cards are replaced first",
                    after={"basis": basis.value, "platforms": list(platforms)},
                )
                await self.store.save(CaseFile(record.case, timeline, outbox, record.revision + 1))
                self._changed()

        await self._serialised(reference, op)

    async def finish_removals(self) -> list[str]:
        """Remove every case whose cards have been replaced (or could not be for a week)."""
        pending = await self.store.values(REMOVALS)
        if not pending:
            return []
        now, ready = self.clock(), {}
        for ref, entry in pending.items():
            record = await self.store.load(ref)
            if record is None:
                await self.store.delete_value(REMOVALS, ref)
                continue
            basis = Basis(entry.get("basis", Basis.RETENTION.value))
            if chat_platforms(record) and not any(
                m.notice is Notice.CASE_REMOVED for m in record.outbox
            ):
                await self.start_removal(ref, basis)
                continue
            stuck = datetime.fromisoformat(entry["queued_at"]) < now - timedelta(days=STUCK_DAYS)
            if removal_delivered(record) or stuck:
                ready[ref] = (record, basis)
        if not ready:
            return []
        shared = await self._evidence_in_use(exclude=set(ready))
        removed = []
        for ref, (_, basis) in ready.items():
            # Under the case's lock, read afresh: a click arriving now waits, then finds no case.
            async def op(ref: str = ref, basis: Basis = basis) -> None:
                record = await self.store.load(ref)
                if record is None:
                    return
                gone = await remove_case(
                    self.store, record, shared, self.today(), self.trust.tz, basis
                )
                removed.append(ref)
                log.info(
                    "removed %s (%s): %d evidence file(s), %d kept value(s)",
                    ref,
                    basis.value,
                    gone.evidence,
                    gone.values,
                )

            try:
                await self._serialised(ref, op)
            except Exception:  # the next tick tries again; the others go on
                log.exception("retention: %s could not be removed yet", ref)
        return sorted(removed)

    async def _remove_orphans(self, dry_run: bool = False) -> int:
        orphans = await orphan_evidence(self.store, await self._evidence_in_use(), self.clock())
        if dry_run:
            return len(orphans)
        for sha in orphans:
            await self.store.delete_evidence(sha)
        if orphans:
            log.info("removed %d evidence file(s) no case uses", len(orphans))
        return len(orphans)

    # erasure before retention ends: one approver asks, another confirms

    async def request_erasure(self, reference: str, by: str, reason: str) -> None:
        by = by.strip().lower()
        check_text(reason.strip(), "reason", "Say why the case is to be erased (--reason).")

        async def op() -> None:
            record = await self._erasable(reference, by)
            pending = await self.store.get_value(ERASURES, reference)
            if pending is not None:
                raise NotAllowed(
                    f"Erasure of {reference} was already requested on "
                    f"{pending['requested_at'][:10]}; another approver confirms it with "
                    f"erase {reference} --confirm --by EMAIL."
                )
            now = self.clock()
            timeline = append(
                record.timeline,
                at=now,
                actor=by,
                kind="erasure_requested",
                summary="Erasure requested; a second approver must confirm it",
                after={"reason": reason.strip()},
            )
            await self.store.save(replace(record, timeline=timeline, revision=record.revision + 1))
            entry = {"requested_by": by, "reason": reason.strip(), "requested_at": now.isoformat()}
            await self.store.put_value(ERASURES, reference, entry)

        await self._serialised(reference, op)

    async def confirm_erasure(self, reference: str, by: str) -> list[str]:
        """The second approver's word: the case's cards are replaced and it is removed."""
        by = by.strip().lower()

        async def op() -> None:
            record = await self._erasable(reference, by)
            pending = await self.store.get_value(ERASURES, reference)
            if pending is None:
                raise NotAllowed(
                    f"Nobody has requested the erasure of {reference}: "
                    f"erase {reference} --reason TEXT --by EMAIL first."
                )
            if pending["requested_by"] == by:
                raise NotAllowed(
                    "The approver who requested an erasure cannot confirm it: "
                    "another approver of the school must."
                )
            timeline = append(
                record.timeline,
                at=self.clock(),
                actor=by,
                kind="erasure_confirmed",
                summary="Erasure confirmed by a second approver",
            )
            await self.store.save(replace(record, timeline=timeline, revision=record.revision + 1))

        await self._serialised(reference, op)
        await self.start_removal(reference, Basis.ERASURE)
        return await self.finish_removals()

    async def _erasable(self, reference: str, by: str) -> CaseFile:
        record = await self.store.load(reference)
        if record is None:
            raise UnknownCase(f"There is no case {reference}.")
        # The case's deciders: the school's approvers, or the trust's escalation contacts when
        # the post is about one of the school's deciders (school_of swaps them).
        if not self.school_of(record.case).is_approver(by):
            raise NotAllowed(
                f"Only the approvers who decide {reference} can erase it (the trust's escalation "
                "contacts when the post is about one of the school's deciders)."
            )
        if await self.store.get_value(REMOVALS, reference) is not None:
            raise FormErrors({"reference": f"{reference} is already being removed."})
        return record
