"""Pure renderers from the view models to accessible HTML pages with plain forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from bot.forms import Field, FieldId, Kind
from cards.ids import ActionId, InputId
from cards.views import (
    OUTCOME_CHOICES,
    ActionOption,
    ApprovalCardView,
    Button,
    CaseListView,
    Fact,
    FileRow,
    FormView,
    NoteView,
    ReceiptView,
    SummaryView,
    TaskRow,
)

Child = Markup | str | None
VOID = frozenset({"input", "meta", "link", "br", "hr", "img"})
ACTION = "action"  # the name of every button: its value is an ActionId
VALUE = "value"  # the payload a button carries (CasePayload, TaskPayload)
CSRF = "csrf"
NAV = "nav"  # "back" on the form's Back button
FILE_QUERY = "f"  # the FilePayload of an Open link
APP_NAME = "Post concerns"


# Building blocks: every string is escaped; only Markup passes through as it is.


def tag(name: str, attrs: Mapping[str, Any] | None = None, *children: Child) -> Markup:
    """One element; attributes that are None or False are left out, True ones are bare."""
    parts = [name]
    for key, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        parts.append(attr if value is True else f'{attr}="{escape(str(value))}"')
    opening = Markup(f"<{' '.join(parts)}>")
    if name in VOID:
        return opening
    inner = Markup("").join(escape(c) for c in children if c is not None)
    return opening + inner + Markup(f"</{name}>")


def join(items: Sequence[Child]) -> Markup:
    return Markup("\n").join(escape(i) for i in items if i is not None and i != "")


def para(text: str, cls: str | None = None) -> Markup:
    return tag("p", {"class": cls}, text)


def link(text: str, href: str, cls: str | None = None) -> Markup:
    return tag("a", {"href": href, "class": cls}, text)


def hidden(name: str, value: str) -> Markup:
    return tag("input", {"type": "hidden", "name": name, "value": value})


@dataclass(frozen=True)
class Post:
    """Where a form posts, and the CSRF token tied to the person's identity cookie."""

    url: str
    csrf: str


def form(post: Post, *children: Child, multipart: bool = False, cls: str | None = None) -> Markup:
    """A POST form; novalidate so the server's messages, next to each field, are the ones shown."""
    attrs = {
        "method": "post",
        "action": post.url,
        "novalidate": True,
        "class": cls,
        "enctype": "multipart/form-data" if multipart else None,
    }
    return tag("form", attrs, hidden(CSRF, post.csrf), *children)


def submit(label: str, action: str = "", value: str = "", primary: bool = False) -> Markup:
    attrs = {
        "type": "submit",
        "name": ACTION if action else None,
        "value": action or None,
        "class": "button primary" if primary else "button",
    }
    button = tag("button", attrs, label)
    return hidden(VALUE, value) + button if value else button


def fact_list(facts: Sequence[Fact]) -> Markup:
    rows = [tag("div", {}, tag("dt", {}, f.label), tag("dd", {}, f.value)) for f in facts]
    return tag("dl", {"class": "facts"}, join(rows))


def bullet_list(lines: Sequence[str], cls: str | None = None) -> Markup:
    return tag("ul", {"class": cls}, join([tag("li", {}, line) for line in lines]))


def heading(level: int, text: str, id_: str | None = None) -> Markup:
    return tag(f"h{level}", {"id": id_}, text)


# Errors: a summary at the top (announced), and each message next to its field.


def error_id(field_id: str) -> str:
    return f"{field_id}-error"


def hint_id(field_id: str) -> str:
    return f"{field_id}-hint"


def error_summary(
    errors: Mapping[str, str],
    anchors: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Markup:
    """role=alert so a screen reader reads it out; each line links to the field it is about."""
    if not errors:
        return Markup("")
    anchors, labels = anchors or {}, labels or {}
    items = [
        tag(
            "li",
            {},
            link(
                f"{labels[key]}: {message}" if key in labels else message,
                f"#{anchors.get(key, key)}",
            ),
        )
        for key, message in errors.items()
    ]
    return tag(
        "div",
        {"class": "error-summary", "role": "alert", "tabindex": "-1", "id": "errors"},
        heading(2, "There is a problem"),
        tag("ul", {}, join(items)),
    )


def field_error(field_id: str, message: str | None) -> Markup:
    if not message:
        return Markup("")
    return tag("p", {"class": "error", "id": error_id(field_id)}, "Error: ", message)


def described_by(field_id: str, hint: bool, error: bool) -> str | None:
    ids = [hint_id(field_id)] if hint else []
    ids += [error_id(field_id)] if error else []
    return " ".join(ids) or None


# Inputs: labels tied to inputs by id, groups in fieldsets with legends.


def text_box(
    field_id: str,
    label: str,
    value: str = "",
    *,
    hint: str = "",
    error: str | None = None,
    multiline: bool = False,
    required: bool = False,
    max_length: int = 0,
    kind: str = "text",
    name: str | None = None,
) -> Markup:
    attrs = {
        "id": field_id,
        "name": name or field_id,
        "aria_describedby": described_by(field_id, bool(hint), bool(error)),
        "aria_invalid": "true" if error else None,
        "aria_required": "true" if required else None,
        "maxlength": max_length or None,
    }
    if multiline:
        box = tag("textarea", {**attrs, "rows": 5}, value)
    else:
        box = tag("input", {**attrs, "type": kind, "value": value or None})
    return tag(
        "div",
        {"class": "field" + (" invalid" if error else "")},
        tag("label", {"for": field_id}, label, optional_mark(required)),
        tag("p", {"class": "hint", "id": hint_id(field_id)}, hint) if hint else None,
        field_error(field_id, error),
        box,
    )


def optional_mark(required: bool) -> Markup:
    return Markup("") if required else tag("span", {"class": "optional"}, " (optional)")


def choice_group(
    field_id: str,
    legend: str,
    choices: Sequence[tuple[str, str]],
    chosen: Sequence[str],
    *,
    multiple: bool,
    hint: str = "",
    error: str | None = None,
    required: bool = False,
    name: str | None = None,
) -> Markup:
    """Radios or tick boxes in a fieldset whose legend asks the question."""
    inputs = []
    for n, (value, text) in enumerate(choices):
        input_id = f"{field_id}-{n}"
        box = tag(
            "input",
            {
                "type": "checkbox" if multiple else "radio",
                "id": input_id,
                "name": name or field_id,
                "value": value,
                "checked": value in chosen,
                "aria_invalid": "true" if error else None,
            },
        )
        inputs.append(tag("div", {"class": "choice"}, box, tag("label", {"for": input_id}, text)))
    return tag(
        "fieldset",
        {
            "id": field_id,
            "class": "field" + (" invalid" if error else ""),
            "aria_describedby": described_by(field_id, bool(hint), bool(error)),
        },
        tag("legend", {}, legend, optional_mark(required)),
        tag("p", {"class": "hint", "id": hint_id(field_id)}, hint) if hint else None,
        field_error(field_id, error),
        join(inputs),
    )


def select_box(
    field_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    chosen: str,
    *,
    error: str | None = None,
    hint: str = "",
    required: bool = False,
    name: str | None = None,
) -> Markup:
    options = [tag("option", {"value": ""}, "Choose one")]
    options += [tag("option", {"value": v, "selected": v == chosen}, t) for v, t in choices]
    return tag(
        "div",
        {"class": "field" + (" invalid" if error else "")},
        tag("label", {"for": field_id}, label, optional_mark(required)),
        tag("p", {"class": "hint", "id": hint_id(field_id)}, hint) if hint else None,
        field_error(field_id, error),
        tag(
            "select",
            {
                "id": field_id,
                "name": name or field_id,
                "aria_describedby": described_by(field_id, bool(hint), bool(error)),
                "aria_invalid": "true" if error else None,
                "aria_required": "true" if required else None,
            },
            join(options),
        ),
    )


# The report form.


def _chosen(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(v) for v in value]


def _text_value(value: Any) -> str:
    return value if isinstance(value, str) else ""


def form_field(f: Field, values: Mapping[str, Any], error: str | None, today: date) -> Markup:
    """The input for one question of the report form, prefilled, with its hint and error."""
    fid, value = f.id.value, values.get(f.id)
    choices = [(c.id, c.label) for c in f.choices]
    common = {"hint": f.hint, "error": error, "required": f.required}
    if f.kind is Kind.SELECT:
        return select_box(fid, f.label, choices, _text_value(value), **common)
    if f.kind in (Kind.RADIO, Kind.CHECKBOXES, Kind.FLAG):
        multiple = f.kind is not Kind.RADIO
        return choice_group(fid, f.label, choices, _chosen(value), multiple=multiple, **common)
    if f.kind is Kind.DATE:
        return text_box(
            fid, f.label, _text_value(value) or today.isoformat(), kind="date", **common
        )
    if f.kind is Kind.FILES:
        return files_input(f, error)
    return text_box(
        fid,
        f.label,
        _text_value(value),
        multiline=f.kind is Kind.LONG_TEXT,
        max_length=f.max_length,
        **common,
    )


def files_input(f: Field, error: str | None) -> Markup:
    fid = f.id.value
    return tag(
        "div",
        {"class": "field" + (" invalid" if error else "")},
        tag("label", {"for": fid}, f.label),
        tag("p", {"class": "hint", "id": hint_id(fid)}, f.hint) if f.hint else None,
        field_error(fid, error),
        tag(
            "input",
            {
                "type": "file",
                "id": fid,
                "name": fid,
                "multiple": True,
                "accept": "image/*,application/pdf",
                "aria_describedby": described_by(fid, bool(f.hint), bool(error)),
                "aria_invalid": "true" if error else None,
            },
        ),
    )


def _anchor(f: Field) -> str:
    """Where an error summary line jumps to: the input, or a group's first choice."""
    if f.kind in (Kind.RADIO, Kind.CHECKBOXES, Kind.FLAG):
        return f"{f.id.value}-0"
    return f.id.value


def form_step(
    view: FormView, post: Post, today: date, kept_files: Sequence[str] = (), back: bool = False
) -> Markup:
    """One step of the report form: the step's questions, errors next to the fields."""
    fields = [f for s in view.sections for f in s.fields]
    anchors = {f.id.value: _anchor(f) for f in fields}
    labels = {f.id.value: f.label.rstrip("?.") for f in fields}
    errors = {k: v for k, v in view.errors.items() if k in anchors}
    body = [error_summary(errors, anchors, labels), para(view.intro, "intro")]
    for s in view.sections:
        items = [form_field(f, view.values, view.errors.get(f.id), today) for f in s.fields]
        if kept_files and any(f.kind is Kind.FILES for f in s.fields):
            items.append(kept_list(kept_files))
        body.append(tag("section", {}, heading(2, s.title), join(items)))
    buttons = [submit(view.submit_label, primary=True)]
    if back:
        buttons.append(tag("button", {"type": "submit", "name": NAV, "value": "back"}, "Back"))
    body.append(tag("div", {"class": "buttons"}, join(buttons)))
    return join(
        [heading(1, view.title), form(post, join(body), multipart=_has_files(view), cls="report")]
    )


def _has_files(view: FormView) -> bool:
    return any(f.kind is Kind.FILES for s in view.sections for f in s.fields)


def kept_list(names: Sequence[str]) -> Markup:
    return tag(
        "div",
        {"class": "kept"},
        para("Screenshots kept with this report so far:"),
        bullet_list(names),
    )


# Summary and receipt.


def action_item(a: ActionOption) -> Markup:
    reason = tag("span", {"class": "reason"}, a.reason) if a.reason else None
    return tag("li", {}, tag("strong", {}, a.clause), " ", a.label, reason)


def urgent_banner(text: str) -> Markup:
    return tag("div", {"class": "urgent", "role": "alert"}, tag("strong", {}, text))


def summary(
    view: SummaryView, post: Post, change_url: str, kept_files: Sequence[str] = ()
) -> Markup:
    """What will be filed and what the policy recommends; submit files the case."""
    parts = [heading(1, view.title)]
    if view.urgent:
        parts.append(urgent_banner("URGENT. If anyone is in immediate danger, call 999 now."))
    parts.append(fact_list(view.facts))
    if kept_files:
        parts.append(kept_list(kept_files))
    parts.append(tag("p", {}, tag("strong", {}, "Urgency: "), view.urgency))
    parts.append(heading(2, "What the policy recommends"))
    parts.append(tag("ul", {"class": "actions"}, join([action_item(a) for a in view.actions])))
    parts.append(para(view.note, "hint"))
    parts.append(
        form(
            post,
            tag(
                "div",
                {"class": "buttons"},
                submit(view.submit_label, ActionId.FORM_SUBMIT, primary=True),
                link("Change answers", change_url, "button"),
            ),
        )
    )
    return join(parts)


def receipt(view: ReceiptView, case_url: str) -> Markup:
    lines = list(view.lines)
    parts = [heading(1, view.headline)]
    if view.urgent:
        parts.append(urgent_banner(lines.pop(0)))
    parts.append(tag("div", {"class": "panel", "role": "status"}, join([para(x) for x in lines])))
    parts.append(tag("p", {}, link(f"Open {view.reference}", case_url)))
    return join(parts)


# The approval card, with the decision and follow-through controls this person may use.


@dataclass(frozen=True)
class CaseControls:
    """What this viewer may do on the case page, and the outcome of their last try."""

    act: Post
    approver: bool = False  # may decide, close and reopen
    task_ids: frozenset[str] = frozenset()  # tasks this person may change
    owners: tuple[tuple[str, str], ...] = ()  # (email, label) a task can be given to
    upload: Post | None = None  # where evidence is uploaded, if this person may add it
    answer: bool = False  # the reporter, with a question to answer
    file_url: str = ""  # Open links: file_url?f=<FilePayload>
    errors: Mapping[str, str] = field(default_factory=dict)
    failed: str = ""  # the form the errors belong to: an ActionId, or "task_done:t1"
    note: str = ""


def card_header(view: ApprovalCardView) -> Markup:
    parts = [heading(1, view.headline)]
    if view.urgent:
        parts.append(
            urgent_banner(
                "URGENT: the police may need to be contacted, or a child may be at risk. "
                "The safeguarding leads have been told."
            )
        )
    status = f"Status: {view.status} · Urgency: {view.urgency} · {view.school}"
    parts.append(para(status, "status"))
    return join(parts)


def card_facts(view: ApprovalCardView) -> Markup:
    parts = [heading(2, "The report", "report-h"), fact_list(view.facts)]
    parts.append(heading(3, "Inappropriate use (clause 4.2)"))
    parts.append(bullet_list(view.categories, "categories"))
    return tag("section", {"aria_labelledby": "report-h"}, join(parts))


def evidence_section(view: ApprovalCardView, controls: CaseControls) -> Markup:
    rows = view.files or ()
    items = [file_item(r, controls.file_url) for r in rows] or [para("No screenshots yet.")]
    parts = [heading(2, "Evidence and files (5.1.7)"), join(items)]
    if controls.upload:
        parts.append(upload_form(controls.upload, controls))
    return tag("section", {}, join(parts))


def file_item(row: FileRow, file_url: str) -> Markup:
    href = f"{file_url}?{FILE_QUERY}={quote(row.button.value)}" if file_url else ""
    opener = link(row.button.label, href, "button small") if href else None
    return tag("div", {"class": "file"}, tag("span", {}, row.label), " ", opener)


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
                "accept": "image/*,application/pdf",
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
    ticked = [a for a in view.actions if a.ticked]
    if not ticked:
        return Markup("")
    title = "Actions taken" if view.decision else "The policy recommends"
    return join(
        [heading(2, title), tag("ul", {"class": "actions"}, join([action_item(a) for a in ticked]))]
    )


def _errors_for(controls: CaseControls, form_key: str) -> Mapping[str, str]:
    return controls.errors if controls.failed == form_key else {}


def approve_form(view: ApprovalCardView, controls: CaseControls) -> Markup:
    errors = _errors_for(controls, ActionId.APPROVE)
    choices = [(a.id, a.text) for a in view.actions]
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
        error=errors.get("other_action"),
        max_length=2000,
    )
    button = submit("Approve ticked actions", ActionId.APPROVE, view.payload.encode(), True)
    return form(controls.act, group, other, tag("div", {"class": "buttons"}, button))


def reason_form(
    controls: CaseControls,
    summary_text: str,
    action: ActionId,
    value: str,
    box: tuple[str, str, str],
    button: str,
    prefix: str = "",
    expanded: bool = False,
) -> Markup:
    """A collapsed form asking one thing in words (decline, ask, answer, reopen)."""
    input_id, error_key, label = box
    key = f"{action.value}{prefix}"
    errors = _errors_for(controls, key)
    field_id = f"{input_id}{prefix}"
    body = form(
        controls.act,
        text_box(
            field_id,
            label,
            error=errors.get(error_key),
            multiline=True,
            required=True,
            max_length=2000,
            name=input_id,
        ),
        tag("div", {"class": "buttons"}, submit(button, action, value)),
    )
    return tag(
        "details", {"open": expanded or bool(errors)}, tag("summary", {}, summary_text), body
    )


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
    return tag(
        "section",
        {"class": "decide", "aria_labelledby": "decide-h"},
        heading(2, "Your decision", "decide-h"),
        approve_form(view, controls),
        ask,
        decline,
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


def task_item(row: TaskRow, controls: CaseControls) -> Markup:
    status = f"{row.status}{' (overdue)' if row.overdue and row.status == 'Open' else ''}"
    parts = [
        heading(3, row.title),
        fact_list(
            [
                Fact("Owner", row.owner),
                Fact("Due", row.due),
                Fact("Status", status),
                *([Fact("Result", row.result)] if row.result else []),
            ]
        ),
    ]
    if row.help:
        parts.append(bullet_list(row.help, "help"))
    if row.id in controls.task_ids:
        parts.extend(task_button(row, b, controls) for b in row.buttons)
    cls = "task overdue" if row.overdue and row.status == "Open" else "task"
    return tag("li", {"class": cls, "id": f"task-{row.id}"}, join(parts))


def task_button(row: TaskRow, button: Button, controls: CaseControls) -> Markup:
    if button.action is ActionId.TASK_DONE:
        return task_done_form(row, button, controls)
    if button.action is ActionId.TASK_REASSIGN:
        return reassign_form(row, button, controls)
    return form(controls.act, submit(button.label, button.action, button.value, button.primary))


def task_done_form(row: TaskRow, button: Button, controls: CaseControls) -> Markup:
    key = f"{button.action.value}:{row.id}"
    errors = _errors_for(controls, key)
    result = text_box(
        f"{InputId.TASK_RESULT.value}-{row.id}",
        "What was done?",
        error=errors.get("result"),
        multiline=True,
        required=True,
        max_length=2000,
        name=InputId.TASK_RESULT.value,
    )
    reference = text_box(
        f"{InputId.TASK_REFERENCE.value}-{row.id}",
        "Reference, such as a police incident number",
        max_length=200,
        name=InputId.TASK_REFERENCE.value,
    )
    body = form(
        controls.act,
        result,
        reference,
        tag("div", {"class": "buttons"}, submit(button.label, button.action, button.value, True)),
    )
    return tag("details", {"open": bool(errors)}, tag("summary", {}, button.label), body)


def reassign_form(row: TaskRow, button: Button, controls: CaseControls) -> Markup:
    key = f"{button.action.value}:{row.id}"
    errors = _errors_for(controls, key)
    picker = select_box(
        f"{InputId.TASK_OWNER.value}-{row.id}",
        "Give the task to",
        controls.owners,
        "",
        error=errors.get("owner"),
        required=True,
        name=InputId.TASK_OWNER.value,
    )
    body = form(
        controls.act,
        picker,
        tag("div", {"class": "buttons"}, submit(button.label, button.action, button.value)),
    )
    return tag("details", {"open": bool(errors)}, tag("summary", {}, button.label), body)


def tasks_section(view: ApprovalCardView, controls: CaseControls) -> Markup:
    if not view.tasks:
        return Markup("")
    items = [task_item(t, controls) for t in view.tasks]
    return tag("section", {}, heading(2, "Tasks"), tag("ol", {"class": "tasks"}, join(items)))


def case_button_forms(view: ApprovalCardView, controls: CaseControls) -> Markup:
    parts = []
    for b in view.case_buttons:
        if b.action is ActionId.CLOSE_CASE:
            parts.append(close_form(b, controls))
        elif b.action is ActionId.REOPEN_CASE:
            parts.append(
                reason_form(
                    controls,
                    b.label,
                    b.action,
                    b.value,
                    (InputId.REOPEN_REASON.value, "reason", "Why is the case reopened?"),
                    "Reopen the case",
                )
            )
    return join(parts)


def close_form(button: Button, controls: CaseControls) -> Markup:
    errors = _errors_for(controls, button.action)
    outcome = choice_group(
        InputId.CLOSE_OUTCOME.value,
        "How did the case end?",
        OUTCOME_CHOICES,
        [],
        multiple=False,
        error=errors.get("outcome"),
        required=True,
    )
    note = text_box(
        InputId.CLOSE_NOTE.value,
        "Closing note for the record",
        error=errors.get("note"),
        multiline=True,
        required=True,
        max_length=2000,
    )
    body = form(
        controls.act,
        outcome,
        note,
        tag("div", {"class": "buttons"}, submit("Close the case", button.action, button.value)),
    )
    return tag("details", {"open": bool(errors)}, tag("summary", {}, button.label), body)


def approval_card(view: ApprovalCardView, controls: CaseControls) -> Markup:
    """The case as the approvers see it on Slack and Teams, with this viewer's controls."""
    parts = [card_header(view)]
    if controls.note:
        parts.append(tag("div", {"class": "notice", "role": "status"}, controls.note))
    if controls.errors:
        parts.append(error_summary(controls.errors, _error_anchors(controls)))
    parts += [card_facts(view), evidence_section(view, controls), info_section(view)]
    if controls.answer:
        parts.append(answer_controls(view, controls))
    parts.append(recommended(view))
    if controls.approver and view.decidable:
        parts.append(decision_controls(view, controls))
    if view.decision:
        parts.append(
            tag("section", {}, heading(2, "Decision"), join([para(x) for x in view.decision]))
        )
    elif view.pending:
        parts.append(para(view.pending, "hint"))
    parts.append(tasks_section(view, controls))
    if view.closure:
        parts.append(
            tag("section", {}, heading(2, "Closed"), join([para(x) for x in view.closure]))
        )
    if controls.approver and view.case_buttons:
        parts.append(tag("section", {}, heading(2, "The case"), case_button_forms(view, controls)))
    return tag("article", {"class": "card" + (" is-urgent" if view.urgent else "")}, join(parts))


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
        "reason": InputId.REOPEN_REASON.value
        if action == ActionId.REOPEN_CASE
        else InputId.REASON.value,
    }
    return {k: by_key.get(k, k) for k in controls.errors}


# Notes (the inbox), the register, the identity picker and the page around them.


@dataclass(frozen=True)
class InboxItem:
    """A notice as it reached this person's web inbox."""

    note: NoteView
    at: str
    case_url: str


def note(item: InboxItem, act: Post | None) -> Markup:
    """One notice: its lines, a link to the case, and the buttons that need no typing."""
    view = item.note
    parts = [
        heading(2, view.headline),
        para(item.at, "hint"),
        join([para(line) for line in view.lines]),
    ]
    actions = [link(view.button or f"Open {view.reference}", item.case_url, "button")]
    for b in view.buttons:
        if b.action in (ActionId.TASK_DONE, ActionId.OPEN_FILE) or act is None:
            actions.append(link(b.label, item.case_url, "button"))
        else:
            actions.append(form(act, submit(b.label, b.action, b.value, b.primary), cls="inline"))
    parts.append(tag("div", {"class": "buttons"}, join(actions)))
    return tag("li", {"class": "note"}, join(parts))


def inbox(items: Sequence[tuple[InboxItem, Post | None]]) -> Markup:
    if not items:
        return join([heading(1, "Your notices"), para("Nothing here yet.")])
    listing = tag("ol", {"class": "notes"}, join([note(i, act) for i, act in items]))
    return join([heading(1, "Your notices"), listing])


def case_list(view: CaseListView, case_url: str = "/cases/") -> Markup:
    """The register as a table (a caption, header cells with scope) that scrolls on a phone."""
    if not view.rows:
        return join([heading(1, view.title), para(view.empty)])
    head = tag(
        "tr",
        {},
        join(
            [
                tag("th", {"scope": "col"}, c)
                for c in ("Case", "School", "Status", "Urgency", "Age", "Overdue tasks")
            ]
        ),
    )
    rows = [
        tag(
            "tr",
            {"class": "overdue" if r.overdue else None},
            tag("th", {"scope": "row"}, link(r.reference, f"{case_url}{r.reference}")),
            join([tag("td", {}, v) for v in (r.school, r.status, r.urgency, r.age)]),
            tag("td", {}, str(r.overdue)),
        )
        for r in view.rows
    ]
    table = tag(
        "table",
        {},
        tag("caption", {}, view.title),
        tag("thead", {}, head),
        tag("tbody", {}, join(rows)),
    )
    return join([heading(1, "Cases"), tag("div", {"class": "scroll", "tabindex": "0"}, table)])


@dataclass(frozen=True)
class Person:
    """Someone from the trust file the demo can act as."""

    email: str
    name: str
    role: str


def identity_picker(people: Sequence[Person], current: str, post: Post) -> Markup:
    choices = [(p.email, f"{p.name}: {p.role} ({p.email})") for p in people]
    group = choice_group(
        "email", "Who are you in this demo?", choices, [current], multiple=False, required=True
    )
    return form(post, group, tag("div", {"class": "buttons"}, submit("Continue", primary=True)))


def home(person: Person | None, picker: Markup, report_url: str) -> Markup:
    intro = (
        "Seen a parent's social-media post about the school, a colleague or a pupil that "
        "worries you? Report it here: the head decides what to do under the trust's policy. "
        "This is the same bot as in Slack and Teams, in your browser."
    )
    parts = [heading(1, "Report a worrying post"), para(intro)]
    if person:
        parts.append(
            tag(
                "p",
                {"class": "buttons"},
                link("Report a post", report_url, "button primary"),
                link("Your notices", "/inbox", "button"),
                link("Cases", "/cases", "button"),
            )
        )
    parts.append(tag("section", {}, heading(2, "Choose who you are"), picker))
    return join(parts)


def message(title: str, text: str, back: str = "/") -> Markup:
    return join([heading(1, title), para(text), tag("p", {}, link("Back", back))])


def page(title: str, main: Markup, person: Person | None) -> str:
    """The whole document: skip link, the demo banner, navigation, then the main content."""
    who = (
        f"You are acting as {person.name} ({person.email})."
        if person
        else "Choose who you are below."
    )
    banner = tag(
        "div",
        {"class": "demo", "role": "note"},
        tag("strong", {}, "Demo identity: this is not sign-in."),
        " ",
        who,
        " ",
        link("Change", "/#email-0") if person else None,
    )
    nav = tag(
        "nav",
        {"aria_label": "Main"},
        tag(
            "ul",
            {},
            join(
                [
                    tag("li", {}, link(text, href))
                    for text, href in (
                        ("Home", "/"),
                        ("Report a post", "/report"),
                        ("Notices", "/inbox"),
                        ("Cases", "/cases"),
                    )
                ]
            ),
        ),
    )
    head = join(
        [
            tag("meta", {"charset": "utf-8"}),
            tag("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            tag("title", {}, f"{title} · {APP_NAME}"),
            tag("link", {"rel": "stylesheet", "href": "/web.css"}),
        ]
    )
    body = join(
        [
            link("Skip to main content", "#main", "skip"),
            banner,
            tag("header", {}, para(APP_NAME, "brand"), nav),
            tag("main", {"id": "main", "tabindex": "-1"}, main),
        ]
    )
    document = tag("html", {"lang": "en-GB"}, tag("head", {}, head), tag("body", {}, body))
    return "<!doctype html>\n" + str(document) + "\n"


CSS = """
:root { --ink: #0b0c0c; --muted: #484949; --link: #1d4f91; --bad: #b00020; --line: #b1b4b6;
  --focus: #ffdd00; --paper: #ffffff; --soft: #f3f2f1; --ok: #00703c; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  font-size: 100%; line-height: 1.5; color: var(--ink); background: var(--paper); }
body { margin: 0; }
main, header, .demo { max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
main { padding-bottom: 3rem; }
a { color: var(--link); text-underline-offset: .15em; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
textarea:focus-visible, summary:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid var(--ink); outline-offset: 0; box-shadow: 0 0 0 6px var(--focus); }
.skip { position: absolute; left: -999rem; }
.skip:focus { position: static; display: block; padding: .5rem 1rem; background: var(--focus);
  color: var(--ink); }
.demo { background: #fff4c2; border: 2px solid #8a6d00; padding: .5rem 1rem; margin-top: .5rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1.5rem;
  border-bottom: 4px solid var(--link); margin-bottom: 1rem; }
.brand { font-weight: 700; margin: .75rem 0; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0;
  padding: 0; }
nav a { display: inline-block; padding: .5rem 0; }
h1 { font-size: 1.75rem; line-height: 1.2; margin: 1rem 0; }
h2 { font-size: 1.3rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.1rem; margin: 1rem 0 .25rem; }
.hint, .status { color: var(--muted); }
.field .hint { margin: 0 0 .4rem; }
.intro { font-weight: 600; }
.field { margin: 0 0 1.25rem; padding: 0; border: 0; min-width: 0; }
.field.invalid { border-left: 5px solid var(--bad); padding-left: .75rem; }
label, legend { display: block; font-weight: 600; margin-bottom: .25rem; }
legend { padding: 0; }
.optional { font-weight: 400; color: var(--muted); }
input[type=text], input[type=date], input[type=url], select, textarea {
  width: 100%; font: inherit; padding: .5rem; border: 2px solid var(--ink); border-radius: 0;
  background: var(--paper); color: var(--ink); min-height: 2.75rem; }
input[type=file] { font: inherit; max-width: 100%; }
.invalid input, .invalid select, .invalid textarea { border-color: var(--bad); }
.choice { display: flex; align-items: flex-start; gap: .5rem; margin: .35rem 0; }
.choice input { width: 1.5rem; height: 1.5rem; margin: .1rem 0 0; flex: none; }
.choice label { font-weight: 400; margin: 0; }
.error { color: var(--bad); font-weight: 700; margin: .25rem 0; }
.error-summary { border: 4px solid var(--bad); padding: .5rem 1rem; margin: 1rem 0; }
.error-summary h2 { margin-top: .25rem; }
.error-summary a { color: var(--bad); font-weight: 700; }
.buttons { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; align-items: center; }
.button, button { font: inherit; font-weight: 600; display: inline-block; min-height: 2.75rem;
  padding: .5rem 1rem; border: 2px solid var(--ink); background: var(--soft); color: var(--ink);
  text-decoration: none; cursor: pointer; }
.button.primary, button.primary { background: var(--ok); border-color: #004e2a; color: #fff; }
.button.small { min-height: 2.25rem; padding: .25rem .75rem; }
.urgent { background: var(--bad); color: #fff; padding: .75rem 1rem; margin: 1rem 0; }
.notice, .panel { background: var(--soft); border-left: 5px solid var(--link); padding: .5rem 1rem;
  margin: 1rem 0; }
dl.facts { margin: 0; }
dl.facts div { padding: .4rem 0; border-bottom: 1px solid var(--line); }
dt { font-weight: 700; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
ul.actions li, ul.categories li { margin: .25rem 0; }
.reason { display: block; color: var(--muted); font-style: italic; }
details { margin: .75rem 0; border: 2px solid var(--line); padding: .25rem .75rem; }
summary { font-weight: 600; cursor: pointer; min-height: 2.75rem; display: flex;
  align-items: center; }
.card.is-urgent { border-top: 8px solid var(--bad); }
.decide { border: 3px solid var(--link); padding: 0 1rem; margin: 1.5rem 0; }
ol.tasks, ol.notes { list-style: none; padding: 0; }
li.task, li.note { border: 2px solid var(--line); padding: 0 1rem; margin: 1rem 0; }
li.task.overdue { border-color: var(--bad); }
.file { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0;
  overflow-wrap: anywhere; }
form.inline { display: inline; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .5rem 0; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid var(--line); }
tr.overdue td:last-child { color: var(--bad); font-weight: 700; }
"""
