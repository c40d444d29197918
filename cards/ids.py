"""Every button, field and view id the renderers emit and the handlers read, in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.forms import FieldId

__all__ = ["ActionId", "CasePayload", "FieldId", "InputId", "ViewId"]


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


class InputId(StrEnum):
    """Inputs outside the report form."""

    ACTIONS = "decision_actions"
    OTHER_ACTION = "decision_other_action"
    REASON = "decline_reason"
    QUESTION = "info_question"
    ANSWER = "info_answer"


class ViewId(StrEnum):
    """Modals and task modules (Slack callback ids, Teams verbs of a submit)."""

    REPORT = "report_form"
    DECLINE = "decline_form"
    ASK_INFO = "ask_info_form"
    ANSWER_INFO = "answer_info_form"


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
