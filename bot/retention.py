"""Retention: when a case is due to go, and everything a case left that goes with it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.models import CaseFile, Notice, Status
from bot.storage.port import Store

BOT = "bot"  # the timeline's actor for the bot's own housekeeping (as bot.service.core)
FLAGGED = "retention_flagged"
REMOVAL_QUEUED = "removal_queued"
PURGED = "purged"  # value table: the anonymous record of each removed case, by reference
REMOVALS = "removals"  # value table: cases whose cards are being replaced before removal
ERASURES = "erasures"  # value table: erasures requested by one approver, awaiting a second
KEEP_TABLES = frozenset({PURGED})
ORPHAN_DAYS = 8  # an unattached file older than the drafts that might still claim it (7 days)
STUCK_DAYS = 7  # a card replacement not delivered in a week does not hold a removal up longer


class Basis(StrEnum):
    RETENTION = "retention"
    ERASURE = "erasure"


class Due(StrEnum):
    """What retention asks of a case today."""

    KEEP = "keep"
    FLAG = "flag"  # open, past retention, not yet flagged: tell the approvers and the office
    WAIT = "wait"  # flagged: the grace period runs
    PURGE = "purge"


def last_activity(record: CaseFile) -> datetime:
    """The last thing a person did on the case: the bot's own notes do not keep it alive."""
    times = [e.at for e in record.timeline if e.actor != BOT]
    return max([record.case.created_at, *times])


def plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def flagged_on(record: CaseFile, tz: tzinfo) -> date | None:
    """The day the case was flagged, if no person has acted on it since."""
    active = last_activity(record)
    for event in reversed(record.timeline):
        if event.kind == FLAGGED and event.at >= active:
            return event.at.astimezone(tz).date()
    return None


@dataclass(frozen=True)
class Verdict:
    due: Due
    last_activity: date
    purge_on: date  # the day it goes (or would, were it flagged today)


def judge(record: CaseFile, today: date, years: int, grace_days: int, tz: tzinfo) -> Verdict:
    """A closed case goes when retention ends; any other is flagged, then goes after the grace."""
    last = last_activity(record).astimezone(tz).date()
    ends = plus_years(last, years)
    if record.case.status is Status.CLOSED:
        return Verdict(Due.PURGE if today >= ends else Due.KEEP, last, ends)
    if today < ends:
        return Verdict(Due.KEEP, last, ends + timedelta(days=grace_days))
    flagged = flagged_on(record, tz)
    if flagged is None:
        return Verdict(Due.FLAG, last, today + timedelta(days=grace_days))
    purge_on = flagged + timedelta(days=grace_days)
    return Verdict(Due.PURGE if today >= purge_on else Due.WAIT, last, purge_on)


def chat_platforms(record: CaseFile) -> tuple[str, ...]:
    """Platforms where the bot's cards for this case live (the web channel renders live)."""
    return tuple(sorted({m.platform for m in record.case.messages}))


def removal_delivered(record: CaseFile) -> bool:
    """Every card replacement queued for the case went out."""
    return all(m.delivered_at is not None for m in record.outbox if m.notice is Notice.CASE_REMOVED)


def anonymous_record(record: CaseFile, today: date, tz: tzinfo, basis: Basis) -> dict[str, Any]:
    """What stays after a case goes: reference, school, dates and category totals; nobody."""
    case = record.case
    return {
        "reference": case.reference,
        "school": case.school_id,
        "reported_on": case.created_at.astimezone(tz).date().isoformat(),
        "last_activity_on": last_activity(record).astimezone(tz).date().isoformat(),
        "closed_on": case.closure.at.astimezone(tz).date().isoformat() if case.closure else "",
        "status": case.status.value,
        "categories": dict(sorted(Counter(case.answers.categories).items())),
        "evidence_files": len(case.evidence),
        "timeline_events": len(record.timeline),
        "removed_on": today.isoformat(),
        "basis": basis.value,
    }


def mentions(value: Any, reference: str) -> bool:
    return reference in json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Removed:
    evidence: int
    values: int


async def remove_case(
    store: Store,
    record: CaseFile,
    shared: Iterable[str],
    today: date,
    tz: tzinfo,
    basis: Basis,
) -> Removed:
    """Remove everything the case left anywhere the bot wrote, keeping the anonymous record.

    shared: SHA-256s that other cases still use. The record of the removal is written first and
    the case last, so a rerun after a crash finishes the job.
    """
    ref = record.case.reference
    await store.put_value(PURGED, ref, anonymous_record(record, today, tz, basis))
    keep = set(shared)
    files = 0
    for e in record.case.evidence:
        if e.sha256 not in keep:
            await store.delete_evidence(e.sha256)
            files += 1
    values = await scrub_values(store, ref, {m.id for m in record.outbox})
    await store.delete_access_log(ref)
    await store.delete(ref)
    return Removed(files, values)


async def scrub_values(store: Store, reference: str, message_ids: set[str]) -> int:
    """Every kept value that names the case (inbox notes, drafts, delivery progress, pending
    erasures): a list of items loses those items, any other value goes."""
    changed = 0
    for table in await store.tables():
        if table in KEEP_TABLES:
            continue
        for key, value in (await store.values(table)).items():
            if key == reference or key in message_ids:
                await store.delete_value(table, key)
                changed += 1
            elif mentions(value, reference):
                items = value.get("items")
                if isinstance(items, list):
                    kept = [i for i in items if not mentions(i, reference)]
                    await store.put_value(table, key, {**value, "items": kept})
                else:
                    await store.delete_value(table, key)
                changed += 1
    return changed


async def orphan_evidence(
    store: Store, used: set[str], now: datetime, days: int = ORPHAN_DAYS
) -> list[str]:
    """Files no case uses (uploads rejected or abandoned), older than any draft that might."""
    cutoff = now - timedelta(days=days)
    return sorted(
        sha
        for sha, stored in (await store.evidence_files()).items()
        if sha not in used and stored < cutoff
    )
