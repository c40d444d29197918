"""The case page: the approval card with the controls this viewer may use."""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup

from bot import filetypes
from bot.forms import FieldId
from cards.html.base import (
    FILE_QUERY,
    Post,
    action_item,
    error_id,
    error_summary,
    fact_list,
    field_error,
    form,
    heading,
    join,
    link,
    para,
    submit,
    tag,
    urgent_banner,
)
from cards.html.controls import CaseControls, errors_for
from cards.html.correction import correction_form
from cards.html.decision import answer_controls, decision_controls
from cards.html.follow import case_button_forms, tasks_section
from cards.html.inputs import text_box
from cards.ids import ActionId, InputId
from cards.views import LETTER_ONCE, REMOVE_BY_HINT, REMOVE_BY_LABEL, ApprovalCardView, FileRow


def card_header(view: ApprovalCardView) -> Markup:
    parts = [heading(1, view.headline)]
    if view.banner:
        parts.append(urgent_banner(view.banner))
    status = f"Status: {view.status} · Urgency: {view.urgency} · {view.school}"
    parts.append(para(status, "status"))
    return join(parts)


def card_facts(view: ApprovalCardView, collapsed: bool) -> Markup:
    """The report as filed (corrections shown); once decided it folds away under the work."""
    facts = fact_list(view.facts)
    if collapsed:
        return tag("details", {"class": "report"}, tag("summary", {}, "The report"), facts)
    return tag(
        "section", {"aria_labelledby": "report-h"}, heading(2, "The report", "report-h"), facts
    )


def evidence_section(view: ApprovalCardView, controls: CaseControls) -> Markup:
    rows = view.files or ()
    items = [
        letter_form(r, controls)
        if r.button.action is ActionId.MAKE_LETTER
        else file_item(r, controls.file_url)
        for r in rows
    ] or [para("No screenshots yet.")]
    parts = [heading(2, "Evidence and files (5.1.7)"), join(items)]
    if controls.upload:
        parts.append(upload_form(controls.upload, controls))
    return tag("section", {}, join(parts))


def file_item(row: FileRow, file_url: str) -> Markup:
    href = f"{file_url}?{FILE_QUERY}={quote(row.button.value)}" if file_url else ""
    opener = link(row.button.label, href, "button small") if href else None
    return tag("div", {"class": "file"}, tag("span", {}, row.label), " ", opener)


def letter_form(row: FileRow, controls: CaseControls) -> Markup:
    """5.1.1: make the letter once, with a remove-by date only if the head wants one."""
    label = tag("span", {}, row.label)
    if not controls.letter:
        return tag("div", {"class": "file"}, label)
    errors = errors_for(controls, ActionId.MAKE_LETTER.value)
    date_box = text_box(
        "letter-remove-by",
        REMOVE_BY_LABEL,
        hint=REMOVE_BY_HINT,
        error=errors.get("remove_by"),
        kind="date",
        name=InputId.REMOVE_BY.value,
    )
    body = form(
        controls.act,
        para(LETTER_ONCE, "hint"),
        date_box,
        tag(
            "div",
            {"class": "buttons"},
            submit(row.button.label, row.button.action, row.button.value, True),
        ),
    )
    summary = tag("summary", {}, row.button.label)
    return tag(
        "div", {"class": "file"}, label, tag("details", {"open": bool(errors)}, summary, body)
    )


def upload_form(post: Post, controls: CaseControls) -> Markup:
    error = controls.errors.get("evidence") if controls.failed == "evidence" else None
    box = tag(
        "div",
        {"class": "field" + (" invalid" if error else "")},
        tag("label", {"for": "case-evidence"}, "Add screenshots"),
        field_error("case-evidence", error),
        tag(
            "input",
            {
                "type": "file",
                "id": "case-evidence",
                "name": FieldId.EVIDENCE.value,
                "multiple": True,
                "accept": filetypes.ACCEPT,
                "aria_describedby": error_id("case-evidence") if error else None,
                "aria_invalid": "true" if error else None,
            },
        ),
    )
    return form(post, box, submit("Upload"), multipart=True, cls="inline")


def info_section(view: ApprovalCardView) -> Markup:
    if not view.info:
        return Markup("")
    return tag("section", {}, heading(2, "More information"), fact_list(view.info))


def recommended(view: ApprovalCardView) -> Markup:
    """Before the decision, every recommendation with its reason, held-back ones too; after it
    the decision says what was chosen."""
    ticked = [a for a in view.actions if a.reason]
    if not ticked or view.decision:
        return Markup("")
    items = tag("ul", {"class": "actions"}, join([action_item(a) for a in ticked]))
    return tag("section", {}, heading(2, "Recommended, each with its basis"), items)


def decision_section(view: ApprovalCardView) -> Markup:
    """Who decided what: the bullet lines of the view as a list."""
    if not view.decision:
        return Markup("")
    parts, items = [], []
    for line in view.decision:
        if line.startswith("• "):
            items.append(tag("li", {}, line[2:]))
        else:
            parts.append(para(line))
    if items:
        parts.append(tag("ul", {}, join(items)))
    return tag("section", {}, heading(2, "Decision"), join(parts))


def timeline_section(controls: CaseControls) -> Markup:
    if not controls.timeline:
        return Markup("")
    rows = [
        tag("li", {}, tag("span", {"class": "when"}, f.label), " ", f.value)
        for f in controls.timeline
    ]
    return tag(
        "details",
        {"class": "timeline"},
        tag("summary", {}, f"Timeline ({len(rows)} entries)"),
        tag("ol", {}, join(rows)),
    )


def approval_card(view: ApprovalCardView, controls: CaseControls) -> Markup:
    """One page for the job in hand, most important first: the decision while one is needed,
    then the tasks, the decision and the closing; beside it (below, on a phone) the report,
    the evidence and the timeline. Each fact appears once."""
    parts = [card_header(view)]
    if controls.note:
        parts.append(tag("div", {"class": "notice", "role": "status"}, controls.note))
    if controls.errors:
        parts.append(error_summary(controls.errors, _error_anchors(controls)))
    job = []
    if controls.answer:
        job.append(answer_controls(view, controls))
    if controls.approver and view.decidable:
        job.append(decision_controls(view, controls))
    elif view.pending:
        job.append(para(view.pending, "hint"))
    job.append(tasks_section(view, controls))
    job.append(decision_section(view))
    if view.closure:
        job.append(tag("section", {}, heading(2, "Closed"), join([para(x) for x in view.closure])))
    if controls.approver and view.case_buttons:
        job.append(tag("section", {}, heading(2, "The case"), case_button_forms(view, controls)))
    about = [
        recommended(view),
        card_facts(view, collapsed=bool(view.decision)),
        evidence_section(view, controls),
        info_section(view),
        timeline_section(controls),
    ]
    if controls.approver and view.correctable:
        about.append(correction_form(view, controls))
    grid = tag(
        "div",
        {"class": "case-grid"},
        tag("div", {"class": "job"}, join(job)),
        tag("div", {"class": "about"}, join(about)),
    )
    parts.append(grid)
    return tag("article", {"class": "card" + (" is-urgent" if view.urgent else "")}, join(parts))


# The forms whose reason box is not the decline's.
REASON_INPUTS = {
    ActionId.REOPEN_CASE.value: InputId.REOPEN_REASON.value,
    ActionId.CORRECT_ANSWER.value: InputId.CORRECT_REASON.value,
}


def _error_anchors(controls: CaseControls) -> dict[str, str]:
    """Error keys of the failed form to the ids of the inputs they are shown beside."""
    action, _, task = controls.failed.partition(":")
    suffix = f"-{task}" if task else ""
    by_key = {
        "actions": f"{InputId.ACTIONS.value}-0",
        "other_action": InputId.OTHER_ACTION.value,
        "question": InputId.QUESTION.value,
        "answer": InputId.ANSWER.value,
        "result": f"{InputId.TASK_RESULT.value}{suffix}",
        "owner": f"{InputId.TASK_OWNER.value}{suffix}",
        "outcome": f"{InputId.CLOSE_OUTCOME.value}-0",
        "note": InputId.CLOSE_NOTE.value,
        "evidence": "case-evidence",
        "field": InputId.CORRECT_FIELD.value,
        "value": InputId.CORRECT_VALUE.value,
        "reason": REASON_INPUTS.get(action, InputId.REASON.value),
    }
    return {k: by_key.get(k, k) for k in controls.errors}
