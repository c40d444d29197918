"""The decision controls on the case page: approve, decline, ask; the reporter's answer."""

from __future__ import annotations

from markupsafe import Markup

from cards.html.base import form, heading, submit, tag
from cards.html.controls import CaseControls, errors_for, kept, kept_all, reason_form
from cards.html.inputs import choice_group, text_box
from cards.ids import ActionId, InputId
from cards.views import ApprovalCardView

APPROVE_FORM = "approve"


def approve_form(view: ApprovalCardView, controls: CaseControls) -> Markup:
    errors = errors_for(controls, ActionId.APPROVE)
    choices = [(a.id, a.text) for a in view.actions]
    ticked = kept_all(controls, ActionId.APPROVE, InputId.ACTIONS.value)
    if ticked is None:
        ticked = [a.id for a in view.actions if a.ticked]
    group = choice_group(
        InputId.ACTIONS.value,
        "Actions to take (untick any you do not approve, tick any you add)",
        choices,
        ticked,
        multiple=True,
        error=errors.get("actions"),
        required=True,
    )
    other = text_box(
        InputId.OTHER_ACTION.value,
        "If you tick 5.1.8, what is the other action?",
        kept(controls, ActionId.APPROVE, InputId.OTHER_ACTION.value),
        error=errors.get("other_action"),
        max_length=2000,
    )
    return form(controls.act, group, other, id_=APPROVE_FORM)


def decision_controls(view: ApprovalCardView, controls: CaseControls) -> Markup:
    value = view.payload.encode()
    decline = reason_form(
        controls,
        "Decline",
        ActionId.DECLINE,
        value,
        (InputId.REASON.value, "reason", "Why? The reporter is told."),
        "Decline the report",
    )
    ask = reason_form(
        controls,
        "Ask the reporter",
        ActionId.ASK_INFO,
        value,
        (InputId.QUESTION.value, "question", "Your question for the reporter"),
        "Send the question",
    )
    # The three decisions side by side under the actions, so all fit a laptop's first screen:
    # Approve belongs to the form above it (form=), Ask and Decline open their own forms.
    approve = submit("Approve ticked actions", ActionId.APPROVE, value, True, APPROVE_FORM)
    return tag(
        "section",
        {"class": "decide", "aria_labelledby": "decide-h"},
        heading(2, "Your decision", "decide-h"),
        approve_form(view, controls),
        tag("div", {"class": "buttons decisions"}, approve, ask, decline),
    )


def answer_controls(view: ApprovalCardView, controls: CaseControls) -> Markup:
    return tag(
        "section",
        {"class": "decide"},
        heading(2, "The head asked you a question"),
        reason_form(
            controls,
            "Answer the question",
            ActionId.ANSWER_INFO,
            view.payload.encode(),
            (InputId.ANSWER.value, "answer", "Your answer"),
            "Send the answer",
            expanded=True,
        ),
    )
