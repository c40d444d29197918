"""The trust office's exports: the governors' register with totals, and one case's bundle."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.access import AccessEntry
from bot.access import verify as verify_access
from bot.corrections import CORRECTABLE
from bot.models import CaseFile, to_plain
from bot.policy import Policy
from bot.service import CaseService
from bot.timeline import verify

REGISTER_COLUMNS = (
    "reference",
    "school",
    "reported_on",
    "term",
    "status",
    "urgency",
    "categories",
    "decision",
    "approved_actions",
    "outcome",
    "closed_on",
    "evidence_files",
)


def term_of(day: date) -> str:
    """The school term a day falls in, such as "Autumn 2026/27"."""
    start = day.year if day.month >= 9 else day.year - 1
    name = "Autumn" if day.month >= 9 else "Spring" if day.month <= 4 else "Summer"
    return f"{name} {start}/{str(start + 1)[2:]}"


def register_row(record: CaseFile, policy: Policy, service: CaseService) -> dict[str, Any]:
    """One case for governors: clauses and statuses, never names or the post's words."""
    case = record.case
    tz = service.trust.tz
    reported = case.created_at.astimezone(tz).date()
    decision = case.decision
    return {
        "reference": case.reference,
        "school": case.school_id,
        "reported_on": reported.isoformat(),
        "term": term_of(reported),
        "status": case.status.value,
        "urgency": case.urgency.value,
        "categories": " ".join(policy.category(c).clause for c in case.answers.categories),
        "decision": decision.kind.value if decision else "pending",
        "approved_actions": " ".join(policy.action(a).clause for a in decision.actions)
        if decision
        else "",
        "outcome": case.closure.outcome.value if case.closure else "",
        "closed_on": case.closure.at.astimezone(tz).date().isoformat() if case.closure else "",
        "evidence_files": len(case.evidence),
    }


def totals(rows: Sequence[dict[str, Any]], policy: Policy) -> dict[str, dict[str, int]]:
    by_category: Counter[str] = Counter()
    for row in rows:
        by_category.update(row["categories"].split())
    labels = {c.clause: f"{c.clause} {c.label}" for c in policy.categories}
    return {
        "by_category": {labels.get(k, k): v for k, v in sorted(by_category.items())},
        "by_school": dict(sorted(Counter(r["school"] for r in rows).items())),
        "by_term": dict(sorted(Counter(r["term"] for r in rows).items())),
    }


def register_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REGISTER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def totals_csv(summary: dict[str, dict[str, int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("by", "value", "cases"))
    for by, counts in summary.items():
        for value, n in counts.items():
            writer.writerow((by.removeprefix("by_"), value, n))
    return out.getvalue()


@dataclass(frozen=True)
class Bundle:
    data: bytes
    files: int
    chain_ok: bool


def case_bundle(
    record: CaseFile, service: CaseService, access: Sequence[AccessEntry] = (), *, passphrase: str
) -> Bundle:
    """Everything about one case for the police or a lawyer, with a SHA-256 manifest, in a
    zip encrypted with AES-256 (WinZip AES: 7-Zip, WinZip and macOS's Archive Utility open it)."""
    import pyzipper

    case = record.case
    problems = verify(record.timeline) + verify_access(access)
    contents = case_contents(record, service, problems, access)
    manifest = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in contents.items())
    out = io.BytesIO()
    with pyzipper.AESZipFile(
        out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as z:
        z.setpassword(passphrase.encode())
        for name, body in contents.items():
            z.writestr(f"{case.reference}/{name}", body)
        z.writestr(f"{case.reference}/MANIFEST-SHA256.txt", manifest)
    return Bundle(out.getvalue(), len(contents) + 1, not problems)


def case_contents(
    record: CaseFile,
    service: CaseService,
    problems: Iterable[str] = (),
    access: Sequence[AccessEntry] = (),
) -> dict[str, bytes]:
    """The files of one case's bundle by name: case, timeline, access log, summary, evidence,
    letter (export-case, subject-access)."""
    case = record.case
    contents: dict[str, bytes] = {
        "case.json": json.dumps(to_plain(case), indent=2, ensure_ascii=False).encode(),
        "timeline.json": json.dumps(
            to_plain(record.timeline), indent=2, ensure_ascii=False
        ).encode(),
        "access-log.json": json.dumps(
            to_plain(list(access)), indent=2, ensure_ascii=False
        ).encode(),
        "summary.txt": "\n".join(summary_lines(record, service, problems, access)).encode(),
    }
    for e in case.evidence:
        contents[f"evidence/{e.sha256[:12]}-{safe_name(e.name)}"] = service.store.read_evidence(
            e.sha256
        )
    return contents


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:80] or "file"


def summary_lines(
    record: CaseFile,
    service: CaseService,
    problems: Iterable[str],
    access: Sequence[AccessEntry] = (),
) -> list[str]:
    case, policy, tz = record.case, service.policy, service.trust.tz
    a = case.answers
    lines = [
        f"Case {case.reference}, {service.school_of(case).name}",
        f"Status: {case.status.label}; urgency: {case.urgency.value}",
        (
            f"Reported by {case.reporter.name or case.reporter.email} ({case.reporter.email}) "
            f"on {case.created_at.astimezone(tz):%d %B %Y %H:%M}"
        ),
        f"Post: {policy.option('platforms', a.platform).label}, seen on {a.seen_on:%d %B %Y}"
        + (f", {a.link}" if a.link else ""),
        f"What it says: {a.post_text}",
        *(
            f"Corrected ({CORRECTABLE[c.field][0]}) by {c.by.email} on "
            f"{c.at.astimezone(tz):%d %B %Y %H:%M}: was “{c.before}”, now “{c.after}”; "
            f"reason: {c.reason}"
            for c in case.corrections
        ),
        "Categories: " + "; ".join(policy.category(c).labelled for c in a.categories),
        "Recommended: "
        + "; ".join(
            f"{r.clause} {policy.action(r.action_id).label} ({r.reason})"
            for r in case.recommendation.actions
        ),
    ]
    if case.decision:
        d = case.decision
        lines.append(
            f"Decision: {d.kind.value} by {d.by.email} on {d.at.astimezone(tz):%d %B %Y %H:%M}"
        )
        lines += [f"  {policy.action(x).clause} {policy.action(x).label}" for x in d.actions]
        if d.reason:
            lines.append(f"  Reason: {d.reason}")
    for t in case.tasks:
        lines.append(
            f"Task {t.id}: {policy.action(t.action_id).label}; {t.owner.email}; "
            f"due {t.due_at.astimezone(tz):%d %B %Y}; {t.status.value}"
            + (f"; {t.result}" if t.result else "")
            + (f" (ref {t.result_reference})" if t.result_reference else "")
        )
    for e in case.evidence:
        lines.append(
            f"Evidence: {e.name}, {e.size} bytes, SHA-256 {e.sha256}, captured by "
            f"{e.captured_by.email} on {e.captured_at.astimezone(tz):%d %B %Y %H:%M}"
        )
    if case.closure:
        c = case.closure
        lines.append(f"Closed: {c.outcome.label} by {c.by.email}: {c.note}")
    broken = list(problems)
    lines.append(
        "Timeline: "
        + (
            f"{len(record.timeline)} events, hash chain intact"
            if not broken
            else "BROKEN: " + "; ".join(broken)
        )
    )
    lines.append(f"Access log: {len(access)} entries (access-log.json)")
    lines.append("The files in this bundle are listed with their SHA-256 in MANIFEST-SHA256.txt.")
    return lines
