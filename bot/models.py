"""The records: reports, cases, decisions, timeline events and outbox messages."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.errors import InvalidTransition
from bot.recommendation import Basis as Basis
from bot.recommendation import Recommendation as Recommendation
from bot.recommendation import RecommendedAction as RecommendedAction
from bot.recommendation import Urgency as Urgency
from bot.recommendation import recommendation_from


class Status(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_DECISION = "awaiting_decision"
    MORE_INFO_REQUESTED = "more_info_requested"
    APPROVED = "approved"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        return self is not Status.CLOSED

    @property
    def awaits_decision(self) -> bool:
        return self in (Status.AWAITING_DECISION, Status.MORE_INFO_REQUESTED)

    @property
    def follows_through(self) -> bool:
        """Past the decision: tasks are worked on and the case can be closed."""
        return self in (Status.APPROVED, Status.IN_PROGRESS, Status.REOPENED, Status.DECLINED)


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.AWAITING_DECISION}),
    Status.AWAITING_DECISION: frozenset(
        {Status.APPROVED, Status.DECLINED, Status.MORE_INFO_REQUESTED}
    ),
    Status.MORE_INFO_REQUESTED: frozenset(
        {Status.AWAITING_DECISION, Status.APPROVED, Status.DECLINED}
    ),
    Status.APPROVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.DECLINED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.IN_PROGRESS: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset(
        {
            Status.AWAITING_DECISION,
            Status.APPROVED,
            Status.DECLINED,
            Status.IN_PROGRESS,
            Status.CLOSED,
        }
    ),
}


def check_transition(current: Status, wanted: Status) -> Status:
    """Return wanted if the policy's workflow allows it, else raise InvalidTransition."""
    if wanted not in TRANSITIONS[current]:
        raise InvalidTransition(current.value, wanted.value)
    return wanted


class CaseOutcome(StrEnum):
    """How a case ended."""

    POST_REMOVED = "post_removed"
    RESOLVED = "resolved_otherwise"
    POLICE = "referred_to_police"
    NO_FURTHER_ACTION = "no_further_action"

    @property
    def label(self) -> str:
        return {
            "post_removed": "Post removed",
            "resolved_otherwise": "Resolved otherwise",
            "referred_to_police": "Referred to the police",
            "no_further_action": "No further action",
        }[self.value]


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ReminderKind(StrEnum):
    OVERDUE = "overdue"  # the task is past its due date
    POST_CHECK = "post_check"  # two working days after a removal request: is the post still up?


class DecisionKind(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"


@dataclass(frozen=True)
class Actor:
    """A person as a platform knows them; email ties them to the trust file."""

    platform: str
    user_id: str
    email: str
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Answers:
    """What the reporter said about the post: immutable once submitted."""

    platform: str
    link: str
    seen_on: date
    post_text: str
    author_relationship: str
    author_name: str
    about: tuple[str, ...]
    categories: tuple[str, ...]
    other_category: str
    facts: tuple[str, ...]
    history: str
    investigation_under_way: bool
    child_note: str
    school_id: str


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    by: Actor
    at: datetime
    actions: tuple[str, ...] = ()
    other_action: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Evidence:
    """A retained file (5.1.7): who captured it, when, and its SHA-256."""

    sha256: str
    name: str
    size: int
    media_type: str
    captured_by: Actor
    captured_at: datetime
    source: str

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


# The purpose of every other message the bot posted about a case (receipts, thread notes,
# reminders): each is kept, so that a purge can replace them all; an approval card's ref
# replaces the one it had in the same conversation.
NOTE = "note"


@dataclass(frozen=True)
class MessageRef:
    """Where a card of this case lives on a platform, so it can be updated in place."""

    platform: str
    purpose: str
    conversation: str
    message_id: str
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class InfoRequest:
    question: str
    asked_by: Actor
    asked_at: datetime
    answer: str = ""
    answered_at: datetime | None = None


class Notice(StrEnum):
    """What an outbox message tells whom; the platform's sender renders it."""

    RECEIPT = "receipt"  # to the reporter: reference, next steps, clause 4.1
    APPROVAL_CARD = "approval_card"  # to the leadership channel or each approver
    SAFEGUARDING_ALERT = "safeguarding_alert"  # urgent cases: to the safeguarding leads
    CARD_UPDATE = "card_update"  # re-render every approval card in place
    DECISION_NOTE = "decision_note"  # the decision, in the card's thread
    DECISION_TO_REPORTER = "decision_to_reporter"
    INFO_QUESTION = "info_question"  # to the reporter, with a way to answer; noted in the thread
    INFO_ANSWER = "info_answer"  # the reporter's answer, in the card's thread
    LETTER_DRAFT = "letter_draft"  # 5.1.1: the warning letter, in the thread (Slack) or linked
    TASK_ASSIGNED = "task_assigned"  # to a task's new owner; detail: the task id
    TASK_REMINDER = "task_reminder"  # to a task's owner; detail: "task id:reminder kind"
    CASE_CLOSED = "case_closed"  # to the reporter: the outcome
    FETCH_EVIDENCE = "fetch_evidence"  # download a screenshot the platform holds; detail: its id
    RETENTION_DUE = "retention_due"  # to the approvers: an open case past retention; detail: date
    CASE_REMOVED = "case_removed"  # replace the case's cards before a purge; detail: the basis


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    notice: Notice
    platform: str
    created_at: datetime
    detail: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str = ""
    # Targets already reached by a message with several (each approver, each lead), as the
    # sender records them, so a retry after a restart skips them: "target<TAB>where".
    sent: tuple[str, ...] = ()
    # When a send was first attempted (kept durably before the platform is called): a message
    # found with this set after a crash may have arrived, so the sender looks for it first.
    in_flight_at: datetime | None = None


@dataclass(frozen=True)
class TimelineEvent:
    """One append-only entry; hash covers the entry and the previous hash."""

    seq: int
    at: datetime
    actor: str
    kind: str
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str = ""

    def computed_hash(self) -> str:
        body = to_plain(replace(self, hash=""))
        return hashlib.sha256(canonical_json(body).encode()).hexdigest()


@dataclass(frozen=True)
class Task:
    """An approved action to carry out: its owner, due time and the next reminder due."""

    id: str
    action_id: str
    owner: Actor
    due_at: datetime
    created_at: datetime
    status: TaskStatus = TaskStatus.OPEN
    result: str = ""
    result_reference: str = ""
    done_by: Actor | None = None
    done_at: datetime | None = None
    remind_at: datetime | None = None
    remind_kind: ReminderKind = ReminderKind.OVERDUE
    reminders_sent: int = 0

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > self.due_at


@dataclass(frozen=True)
class Correction:
    """An approver's correction of a submitted answer: the report itself is never edited."""

    field: str  # an Answers field (bot/corrections.py: which may be corrected)
    before: str
    after: str
    reason: str
    by: Actor
    at: datetime


@dataclass(frozen=True)
class Closure:
    outcome: CaseOutcome
    note: str
    by: Actor
    at: datetime


@dataclass(frozen=True)
class Case:
    reference: str
    school_id: str
    status: Status
    urgency: Urgency
    reporter: Actor
    answers: Answers
    recommendation: Recommendation
    created_at: datetime
    submission_key: str
    version: int = 1
    decision: Decision | None = None
    evidence: tuple[Evidence, ...] = ()
    messages: tuple[MessageRef, ...] = ()
    info_requests: tuple[InfoRequest, ...] = ()
    tasks: tuple[Task, ...] = ()
    closure: Closure | None = None
    corrections: tuple[Correction, ...] = ()

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    @property
    def next_reminder_at(self) -> datetime | None:
        times = [t.remind_at for t in self.tasks if t.remind_at is not None]
        return min(times) if times else None

    def message(self, platform: str, purpose: str) -> tuple[MessageRef, ...]:
        return tuple(m for m in self.messages if m.platform == platform and m.purpose == purpose)


@dataclass(frozen=True)
class CaseFile:
    """The unit the store saves atomically: a case, its timeline and its outbox."""

    case: Case
    timeline: tuple[TimelineEvent, ...] = ()
    outbox: tuple[OutboxMessage, ...] = ()
    revision: int = 1  # bumped by every save; the store's compare-and-set key

    @property
    def pending(self) -> tuple[OutboxMessage, ...]:
        return tuple(m for m in self.outbox if m.delivered_at is None)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """What the register and listings need, kept in memory for every case."""

    reference: str
    school_id: str
    status: Status
    urgency: Urgency
    reporter_email: str
    created_at: datetime
    version: int
    task_dues: tuple[datetime, ...] = ()  # due times of open tasks
    next_reminder_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        return cls(
            case.reference,
            case.school_id,
            case.status,
            case.urgency,
            case.reporter.email.lower(),
            case.created_at,
            case.version,
            tuple(t.due_at for t in case.tasks if t.is_open),
            case.next_reminder_at,
            case.closure.at if case.closure else None,
        )

    def overdue(self, now: datetime) -> int:
        return sum(1 for due in self.task_dues if now > due)


# Serialisation: plain JSON-able dicts, and back, for every record above.


def summary_from(case: dict[str, Any]) -> CaseSummary:
    """A summary straight from a stored case dict, without building the whole record."""
    return CaseSummary(
        case["reference"],
        case["school_id"],
        Status(case["status"]),
        Urgency(case["urgency"]),
        case["reporter"]["email"].lower(),
        datetime.fromisoformat(case["created_at"]),
        case["version"],
        tuple(
            datetime.fromisoformat(t["due_at"])
            for t in case.get("tasks", ())
            if t["status"] == TaskStatus.OPEN.value
        ),
        min(
            (
                datetime.fromisoformat(t["remind_at"])
                for t in case.get("tasks", ())
                if t["remind_at"]
            ),
            default=None,
        ),
        _dt((case.get("closure") or {}).get("at")),
    )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def to_plain(record: Any) -> Any:
    """Dataclasses to dicts, datetimes and dates to ISO strings, tuples to lists."""
    if hasattr(record, "__dataclass_fields__"):
        return {f.name: to_plain(getattr(record, f.name)) for f in fields(record)}
    if isinstance(record, (datetime, date)):
        return record.isoformat()
    if isinstance(record, (list, tuple)):
        return [to_plain(v) for v in record]
    if isinstance(record, dict):
        return {k: to_plain(v) for k, v in record.items()}
    return record


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _actor(d: dict[str, Any]) -> Actor:
    return Actor(**d)


def answers_from(d: dict[str, Any]) -> Answers:
    d = dict(d)
    d["seen_on"] = date.fromisoformat(d["seen_on"])
    for k in ("about", "categories", "facts"):
        d[k] = tuple(d[k])
    return Answers(**d)


def case_from(d: dict[str, Any]) -> Case:
    rec = d["recommendation"]
    decision = d.get("decision")
    return Case(
        reference=d["reference"],
        school_id=d["school_id"],
        status=Status(d["status"]),
        urgency=Urgency(d["urgency"]),
        reporter=_actor(d["reporter"]),
        answers=answers_from(d["answers"]),
        recommendation=recommendation_from(rec),
        created_at=datetime.fromisoformat(d["created_at"]),
        submission_key=d["submission_key"],
        version=d["version"],
        decision=None
        if decision is None
        else Decision(
            kind=DecisionKind(decision["kind"]),
            by=_actor(decision["by"]),
            at=datetime.fromisoformat(decision["at"]),
            actions=tuple(decision["actions"]),
            other_action=decision["other_action"],
            reason=decision["reason"],
        ),
        evidence=tuple(
            Evidence(
                **{
                    **e,
                    "captured_by": _actor(e["captured_by"]),
                    "captured_at": datetime.fromisoformat(e["captured_at"]),
                }
            )
            for e in d["evidence"]
        ),
        messages=tuple(
            MessageRef(**{**m, "extra": tuple(tuple(pair) for pair in m["extra"])})
            for m in d["messages"]
        ),
        info_requests=tuple(
            InfoRequest(
                question=r["question"],
                asked_by=_actor(r["asked_by"]),
                asked_at=datetime.fromisoformat(r["asked_at"]),
                answer=r["answer"],
                answered_at=_dt(r["answered_at"]),
            )
            for r in d["info_requests"]
        ),
        tasks=tuple(task_from(t) for t in d.get("tasks", ())),
        corrections=tuple(
            Correction(**{**c, "by": _actor(c["by"]), "at": datetime.fromisoformat(c["at"])})
            for c in d.get("corrections", ())
        ),
        closure=None
        if not d.get("closure")
        else Closure(
            CaseOutcome(d["closure"]["outcome"]),
            d["closure"]["note"],
            _actor(d["closure"]["by"]),
            datetime.fromisoformat(d["closure"]["at"]),
        ),
    )


def task_from(d: dict[str, Any]) -> Task:
    return Task(
        **{
            **d,
            "owner": _actor(d["owner"]),
            "due_at": datetime.fromisoformat(d["due_at"]),
            "created_at": datetime.fromisoformat(d["created_at"]),
            "status": TaskStatus(d["status"]),
            "done_by": _actor(d["done_by"]) if d["done_by"] else None,
            "done_at": _dt(d["done_at"]),
            "remind_at": _dt(d["remind_at"]),
            "remind_kind": ReminderKind(d["remind_kind"]),
        }
    )


def event_from(d: dict[str, Any]) -> TimelineEvent:
    return TimelineEvent(**{**d, "at": datetime.fromisoformat(d["at"])})


def outbox_from(d: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        **{
            **d,
            "notice": Notice(d["notice"]),
            "created_at": datetime.fromisoformat(d["created_at"]),
            "next_attempt_at": _dt(d["next_attempt_at"]),
            "delivered_at": _dt(d["delivered_at"]),
            "sent": tuple(d.get("sent", ())),
            "in_flight_at": _dt(d.get("in_flight_at")),
        }
    )


def case_file_from(d: dict[str, Any]) -> CaseFile:
    return CaseFile(
        case=case_from(d["case"]),
        timeline=tuple(event_from(e) for e in d["timeline"]),
        outbox=tuple(outbox_from(m) for m in d["outbox"]),
        revision=d["revision"],
    )
