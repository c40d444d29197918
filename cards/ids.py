"""Every button, field and view id the renderers emit and the handlers read, in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.forms import FieldId

__all__ = ["ActionId", "CasePayload", "FieldId", "FilePayload", "InputId", "TaskPayload", "ViewId"]


class ActionId(StrEnum):
    """Buttons and interactive elements."""

    OPEN_REPORT = "report_open"  # App Home, welcome card: start a report
    FORM_NEXT = "report_next"
    FORM_BACK = "report_back"
    FORM_SUBMIT = "report_submit"
    APPROVE = "case_approve"
    DECLINE = "case_decline"
    ASK_INFO = "case_ask_info"
    ANSWER_INFO = "case_answer_info"
    VIEW_CASE = "case_view"
    TASK_DONE = "task_done"  # opens the form asking what was done
    TASK_REASSIGN = "task_reassign"
    TASK_SNOOZE = "task_snooze"
    POST_STILL_UP = "post_still_up"
    POST_REMOVED = "post_removed"
    CLOSE_CASE = "case_close"
    REOPEN_CASE = "case_reopen"
    OPEN_FILE = "case_open_file"  # evidence or a draft: answered privately with a signed link
    CORRECT_ANSWER = "case_correct_answer"  # an approver corrects a submitted answer
    MAKE_LETTER = "case_make_letter"  # 5.1.1: the form with the optional remove-by date
    ADVISE_GO_AHEAD = "dsl_advise_go_ahead"  # the DSL: the held-back conversation may go ahead
    ADVISE_HOLD = "dsl_advise_hold"  # the DSL: hold the conversation (the LADO/police involved)


class InputId(StrEnum):
    """Inputs outside the report form."""

    ACTIONS = "decision_actions"
    OTHER_ACTION = "decision_other_action"
    REASON = "decline_reason"
    QUESTION = "info_question"
    ANSWER = "info_answer"
    TASK_RESULT = "task_result"
    ADVICE_NOTE = "advice_note"  # the DSL's optional note with their advice
    TASK_REFERENCE = "task_reference"
    TASK_OWNER = "task_owner"
    CLOSE_OUTCOME = "close_outcome"
    CLOSE_NOTE = "close_note"
    REOPEN_REASON = "reopen_reason"
    CORRECT_FIELD = "correct_field"
    CORRECT_VALUE = "correct_value"
    CORRECT_REASON = "correct_reason"
    REMOVE_BY = "letter_remove_by"


class ViewId(StrEnum):
    """Modals and task modules (Slack callback ids, Teams verbs of a submit)."""

    REPORT = "report_form"
    DECLINE = "decline_form"
    ASK_INFO = "ask_info_form"
    ANSWER_INFO = "answer_info_form"
    CORRECT = "correct_form"
    TASK_DONE = "task_done_form"
    TASK_REASSIGN = "task_reassign_form"
    CLOSE = "close_form"
    REOPEN = "reopen_form"
    LETTER = "letter_form"


_PAYLOAD = re.compile(r"^([A-Z][A-Z0-9]{1,7}-\d{4}-\d{4,}):(\d{1,9})$")


@dataclass(frozen=True)
class CasePayload:
    """What a case button carries: the case and the version its card showed (stale clicks)."""

    reference: str
    version: int

    def encode(self) -> str:
        return f"{self.reference}:{self.version}"

    @classmethod
    def decode(cls, value: object) -> CasePayload:
        m = _PAYLOAD.match(value) if isinstance(value, str) else None
        if not m:
            raise ValueError("not a case button value")
        return cls(m[1], int(m[2]))


_TASK = re.compile(r"^([A-Z][A-Z0-9]{1,7}-\d{4}-\d{4,}):(t\d{1,3})$")
_FILE = re.compile(
    r"^([A-Z][A-Z0-9]{1,7}-\d{4}-\d{4,}):(evidence|letter):([0-9a-f]{64}|warning-letter)$"
)


@dataclass(frozen=True)
class TaskPayload:
    """What a task button carries: the case and the task."""

    reference: str
    task_id: str

    def encode(self) -> str:
        return f"{self.reference}:{self.task_id}"

    @classmethod
    def decode(cls, value: object) -> TaskPayload:
        m = _TASK.match(value) if isinstance(value, str) else None
        if not m:
            raise ValueError("not a task button value")
        return cls(m[1], m[2])


@dataclass(frozen=True)
class FilePayload:
    """What an open-file button carries: the case, the kind of file and its key."""

    reference: str
    kind: str
    key: str

    def encode(self) -> str:
        return f"{self.reference}:{self.kind}:{self.key}"

    @classmethod
    def decode(cls, value: object) -> FilePayload:
        m = _FILE.match(value) if isinstance(value, str) else None
        if not m:
            raise ValueError("not a file button value")
        return cls(m[1], m[2], m[3])
