"""The report form in HTML: each step, the summary before filing, the receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from bot import filetypes
from bot.forms import Field, Kind
from cards.html.base import (
    NAV,
    Post,
    action_item,
    bullet_list,
    described_by,
    error_summary,
    fact_list,
    field_error,
    form,
    heading,
    hint_id,
    join,
    link,
    para,
    submit,
    tag,
    urgent_banner,
)
from cards.html.inputs import choice_group, select_box, text_box
from cards.ids import ActionId
from cards.views import FormView, ReceiptView, SummaryView


def _chosen(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(v) for v in value]


def _text_value(value: Any) -> str:
    return value if isinstance(value, str) else ""


def question(f: Field) -> Markup:
    """The question in plain words, its clause a small reference after it."""
    said = escape(f.label)
    return said + Markup(" ") + tag("span", {"class": "ref"}, f"({f.clause})") if f.clause else said


def form_field(f: Field, values: Mapping[str, Any], error: str | None, today: date) -> Markup:
    """The input for one question of the report form, prefilled, with its hint and error."""
    fid, value = f.id.value, values.get(f.id)
    label = question(f)
    choices = [(c.id, c.label) for c in f.choices]
    if f.kind is Kind.SELECT:
        return select_box(
            fid, label, choices, _text_value(value), hint=f.hint, error=error, required=f.required
        )
    if f.kind in (Kind.RADIO, Kind.CHECKBOXES, Kind.FLAG):
        multiple = f.kind is not Kind.RADIO
        return choice_group(
            fid,
            label,
            choices,
            _chosen(value),
            multiple=multiple,
            hint=f.hint,
            error=error,
            required=f.required,
        )
    if f.kind is Kind.DATE:
        return text_box(
            fid,
            label,
            _text_value(value) or today.isoformat(),
            kind="date",
            hint=f.hint,
            error=error,
            required=f.required,
        )
    if f.kind is Kind.FILES:
        return files_input(f, error)
    return text_box(
        fid,
        label,
        _text_value(value),
        multiline=f.kind is Kind.LONG_TEXT,
        max_length=f.max_length,
        hint=f.hint,
        error=error,
        required=f.required,
    )


def files_input(f: Field, error: str | None) -> Markup:
    fid = f.id.value
    return tag(
        "div",
        {"class": "field" + (" invalid" if error else "")},
        tag("label", {"for": fid}, question(f)),
        tag("p", {"class": "hint", "id": hint_id(fid)}, f.hint) if f.hint else None,
        field_error(fid, error),
        tag(
            "input",
            {
                "type": "file",
                "id": fid,
                "name": fid,
                "multiple": True,
                "accept": filetypes.ACCEPT,
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


def summary(
    view: SummaryView, post: Post, change_url: str, kept_files: Sequence[str] = ()
) -> Markup:
    """What will be filed and what is recommended, with its basis; submit files the case."""
    parts = [heading(1, view.title)]
    if view.urgent:
        parts.append(urgent_banner("URGENT. If anyone is in immediate danger, call 999 now."))
    parts.append(fact_list(view.facts))
    if kept_files:
        parts.append(kept_list(kept_files))
    parts.append(tag("p", {}, tag("strong", {}, "Urgency: "), view.urgency))
    parts.append(heading(2, "Recommended, each with its basis"))
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
