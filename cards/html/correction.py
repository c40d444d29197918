"""The approver's form to correct a submitted answer: which one, the corrected value, why."""

from __future__ import annotations

from markupsafe import Markup

from bot.corrections import CORRECTABLE
from cards.html.base import form, heading, submit, tag
from cards.html.controls import CaseControls, errors_for
from cards.html.inputs import select_box, text_box
from cards.ids import ActionId, CasePayload, InputId
from cards.views import ApprovalCardView


def correction_form(view: ApprovalCardView, controls: CaseControls) -> Markup:
    errors = errors_for(controls, ActionId.CORRECT_ANSWER)
    choices = [(field, label) for field, (label, _) in CORRECTABLE.items()]
    body = form(
        controls.act,
        select_box(
            InputId.CORRECT_FIELD.value,
            "Which answer",
            choices,
            "",
            error=errors.get("field"),
            required=True,
        ),
        text_box(
            InputId.CORRECT_VALUE.value,
            "The corrected answer",
            hint="The report as filed is kept; the case shows the corrected answer.",
            error=errors.get("value"),
            multiline=True,
            max_length=max(limit for _, limit in CORRECTABLE.values()),
        ),
        text_box(
            InputId.CORRECT_REASON.value,
            "Why it is corrected",
            error=errors.get("reason"),
            multiline=True,
            required=True,
            max_length=2000,
        ),
        tag(
            "div",
            {"class": "buttons"},
            submit(
                "Correct the answer",
                ActionId.CORRECT_ANSWER,
                CasePayload(view.reference, view.payload.version).encode(),
            ),
        ),
    )
    return tag(
        "section",
        {},
        heading(2, "Correct an answer"),
        tag("details", {"open": bool(errors)}, tag("summary", {}, "Correct an answer"), body),
    )
