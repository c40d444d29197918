"""The view models: one frozen dataclass per screen, the rows they hold, shared labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.forms import Section
from bot.models import CaseOutcome, Urgency
from cards.ids import ActionId, CasePayload

URGENCY_LABEL = {
    Urgency.URGENT: "URGENT",
    Urgency.HIGH: "High priority",
    Urgency.STANDARD: "Standard",
}


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class ActionOption:
    id: str
    clause: str
    label: str
    reason: str
    ticked: bool

    @property
    def text(self) -> str:
        return f"{self.clause} {self.label}"


@dataclass(frozen=True)
class FormView:
    """A step of the report form: its section, prefilled values and errors by field id."""

    title: str
    step: int
    steps: int
    sections: tuple[Section, ...]
    values: Mapping[str, Any]
    errors: Mapping[str, str]
    intro: str
    submit_label: str


@dataclass(frozen=True)
class SummaryView:
    """The last step: what will be filed and what is recommended, each with its basis."""

    title: str
    facts: tuple[Fact, ...]
    urgency: str
    urgent: bool
    actions: tuple[ActionOption, ...]
    note: str
    submit_label: str = "Submit report"


@dataclass(frozen=True)
class ReceiptView:
    reference: str
    headline: str
    urgent: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Button:
    """A button on a note or a task: its label, what it does and the payload it carries."""

    label: str
    action: ActionId
    value: str
    primary: bool = False


@dataclass(frozen=True)
class TaskRow:
    id: str
    title: str  # "5.1.3 Contact the police"
    owner: str
    due: str
    status: str
    overdue: bool
    result: str
    help: tuple[str, ...]  # the conversation guide, the platform's reporting route
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class FileRow:
    label: str
    button: Button


@dataclass(frozen=True)
class ApprovalCardView:
    reference: str
    headline: str
    notification: str  # content-free: what phones show
    urgent: bool
    urgency: str
    status: str
    school: str
    facts: tuple[Fact, ...]
    categories: tuple[str, ...]
    evidence: tuple[str, ...]
    actions: tuple[ActionOption, ...]
    info: tuple[Fact, ...]
    decision: tuple[str, ...]
    pending: str
    decidable: bool
    payload: CasePayload
    approvers: tuple[str, ...]
    tasks: tuple[TaskRow, ...] = ()
    files: tuple[FileRow, ...] = ()
    closure: tuple[str, ...] = ()
    case_buttons: tuple[Button, ...] = ()  # close, reopen: for the school's approvers
    correctable: bool = False  # an approver may correct an answer here (bot/corrections.py)
    banner: str = ""  # why an open case is urgent; none once it is closed


@dataclass(frozen=True)
class NoteView:
    """A short message about a case: a thread note, a notice to the reporter, an alert."""

    reference: str
    headline: str
    lines: tuple[str, ...]
    notification: str
    button: str = ""  # label of the one button it offers, if any
    payload: CasePayload | None = None
    buttons: tuple[Button, ...] = ()  # several buttons (reminders, file links)


@dataclass(frozen=True)
class CaseRow:
    reference: str
    school: str
    status: str
    urgency: str
    age: str
    overdue: int = 0


@dataclass(frozen=True)
class CaseListView:
    title: str
    rows: tuple[CaseRow, ...]
    empty: str
    reach_note: str = ""  # for the leads: who the platform cannot reach yet, and what to do


OUTCOME_CHOICES = tuple((o.value, o.label) for o in CaseOutcome)

# What "Mark done" asks for besides the outcome, by action: the reference that proves it was done.
REFERENCE_LABELS = {
    "police": "Police incident number",
    "warning_letter": "Date the letter was sent",
    "report_to_platform": "The platform's report reference, if it gave one",
    "legal_advice": "Adviser's reference, if any",
    "other_legal_action": "Reference, if any",
}
DATE_REFERENCES = frozenset({"warning_letter"})

# The 5.1.1 letter form: the one thing the head may add, a date; none is invented.
MAKE_LETTER = "Make the letter"
LETTER_ONCE = (
    "The letter is made once (with this button, or when its task is marked done) and kept with "
    "the case: every later open gives the same letter."
)
REMOVE_BY_LABEL = "Remove by"  # Slack and the web page mark it optional themselves
REMOVE_BY_HINT = (
    "Only if you want the letter to name a date. Left empty, the letter asks for the post to be "
    "removed on receipt, as 5.1.1 says, and names no date."
)


def when(at: datetime, tz: tzinfo) -> str:
    return f"{at.astimezone(tz):%d %b %Y, %H:%M}"


def file_size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{max(1, round(n / 1024))} KB"
