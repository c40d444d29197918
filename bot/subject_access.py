"""Subject access: every case that names a person, and who else each names (to redact)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.models import Actor, Case, CaseFile, to_plain

# A match must not run into a neighbouring word (a name) or address (an email).
NAME_EDGE = r"(?<![\w])({})(?![\w])"
EMAIL_EDGE = r"(?<![\w.+-])({})(?![\w.-])"


@dataclass(frozen=True)
class Subject:
    """The person asked about: by email address, or by a name as written in the case."""

    email: str = ""
    name: str = ""

    @property
    def label(self) -> str:
        return self.email or f'the name "{self.name}"'

    def pattern(self) -> re.Pattern[str]:
        if self.email:
            return re.compile(EMAIL_EDGE.format(re.escape(self.email.strip())), re.IGNORECASE)
        words = [re.escape(w) for w in self.name.split()]
        return re.compile(NAME_EDGE.format(r"\s+".join(words)), re.IGNORECASE)


def text_of(record: CaseFile) -> dict[str, str]:
    """The case's parts as searchable text: where a person may be named."""
    case = record.case
    answers = to_plain(case.answers)
    notes = {
        "decision": to_plain(case.decision) if case.decision else None,
        "info_requests": to_plain(case.info_requests),
        "tasks": to_plain(case.tasks),
        "closure": to_plain(case.closure) if case.closure else None,
        "evidence": to_plain(case.evidence),
    }
    return {
        "as reporter": json.dumps(to_plain(case.reporter), ensure_ascii=False),
        "in the answers": json.dumps(answers, ensure_ascii=False),
        "in the decision, tasks, notes and files": json.dumps(notes, ensure_ascii=False),
        "in the timeline": json.dumps(to_plain(record.timeline), ensure_ascii=False),
    }


def roles(case: Case, subject: Subject) -> list[str]:
    """The parts the person plays by their email (reporter, approver, task owner)."""
    if not subject.email:
        return []
    email = subject.email.strip().lower()
    found = []
    if case.reporter.email.lower() == email:
        found.append("reporter")
    if case.decision and case.decision.by.email.lower() == email:
        found.append("approver (decided)")
    if any(t.owner.email.lower() == email for t in case.tasks):
        found.append("task owner")
    if case.closure and case.closure.by.email.lower() == email:
        found.append("closed the case")
    return found


def where_named(record: CaseFile, subject: Subject) -> list[str]:
    """Where in the case the person appears; empty when they do not."""
    pattern = subject.pattern()
    places = [where for where, text in text_of(record).items() if pattern.search(text)]
    return [*roles(record.case, subject), *places] if places else []


def matching(records: Iterable[CaseFile], subject: Subject) -> list[tuple[CaseFile, list[str]]]:
    found = [(r, where_named(r, subject)) for r in records]
    return [(r, w) for r, w in found if w]


def _actor(actor: Actor, role: str) -> str:
    return f"{actor.name} <{actor.email}> ({role})" if actor.name else f"{actor.email} ({role})"


def third_parties(record: CaseFile, subject: Subject) -> list[str]:
    """Everyone else the case names, to consider redacting before it is disclosed."""
    case, pattern = record.case, subject.pattern()
    people = [_actor(case.reporter, "reporter")]
    if case.decision:
        people.append(_actor(case.decision.by, "decided"))
    people += [_actor(t.owner, "task owner") for t in case.tasks]
    people += [_actor(r.asked_by, "asked for more information") for r in case.info_requests]
    people += [_actor(e.captured_by, "kept evidence") for e in case.evidence]
    if case.closure:
        people.append(_actor(case.closure.by, "closed the case"))
    if case.answers.author_name:
        people.append(f"{case.answers.author_name} (named as the post's author)")
    others = [p for p in dict.fromkeys(people) if not pattern.search(p)]
    return [
        *others,
        (
            "Anyone named or shown in the post's text, the history, the facts and the notes: "
            "read them before disclosure."
        ),
        *(
            [f"{len(case.evidence)} screenshot(s): may show other people's names and pictures."]
            if case.evidence
            else []
        ),
    ]


def checklist(found: list[tuple[CaseFile, list[str]]], subject: Subject) -> str:
    """The redaction checklist that goes at the top of a subject access export."""
    lines = [
        f"Subject access export for {subject.label}: {len(found)} case(s).",
        "",
        "Before disclosure, check each case below and redact the third parties listed,",
        "unless they agreed to disclosure or it is reasonable to disclose without their",
        "consent (UK GDPR Article 15(4); Data Protection Act 2018, Schedule 2, paragraph 16).",
        "",
    ]
    for record, where in found:
        lines.append(f"{record.case.reference}: named {', '.join(where)}")
        lines += [f"  [ ] {p}" for p in third_parties(record, subject)]
        lines.append("")
    return "\n".join(lines)
