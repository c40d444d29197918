"""The report form on Teams: one small function per kind of field, summary, receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.forms import Field, Kind
from cards.ids import ActionId
from cards.teams.base import (
    FORM,
    VALUES,
    Card,
    Element,
    Mode,
    action_line,
    alert,
    bullets,
    button,
    card,
    error_text,
    fact_set,
    heading,
    lines_block,
    subheading,
    text,
)
from cards.views import FormView, ReceiptView, SummaryView


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _input_base(kind: str, field: Field, label: str | None = None) -> Element:
    element: Element = {"type": kind, "id": field.id.value, "label": label or field.said}
    if field.required:
        element["isRequired"] = True
        element["errorMessage"] = "Please answer this question."
    return element


def choice_input(field: Field, value: Any) -> Element:
    element = _input_base("Input.ChoiceSet", field)
    element["choices"] = [{"title": c.label, "value": c.id} for c in field.choices]
    element["style"] = "compact" if field.kind is Kind.SELECT else "expanded"
    element["wrap"] = True  # long answers (the policy's categories) in full on a phone
    if field.kind is Kind.CHECKBOXES:
        element["isMultiSelect"] = True
    if field.kind is Kind.SELECT:
        element["placeholder"] = "Choose one"
    if _as_text(value):
        element["value"] = _as_text(value)
    return element


def text_input(field: Field, value: Any) -> Element:
    element = _input_base("Input.Text", field)
    if field.kind is Kind.LONG_TEXT:
        element["isMultiline"] = True
    if field.max_length:
        element["maxLength"] = field.max_length
    if field.placeholder or field.hint:
        element["placeholder"] = field.placeholder or field.hint
    if _as_text(value):
        element["value"] = _as_text(value)
    return element


def date_input(field: Field, value: Any) -> Element:
    element = _input_base("Input.Date", field)
    if _as_text(value):
        element["value"] = _as_text(value)
    return element


def toggle_input(field: Field, value: Any) -> Element:
    choice = field.choices[0]
    element = _input_base("Input.Toggle", field)
    element.update(title=choice.label, valueOn=choice.id, valueOff="")
    element["value"] = choice.id if choice.id in _as_text(value).split(",") else ""
    return element


def files_note(field: Field) -> Element:
    return text(
        f"{field.label}: after you submit, send them to me in this chat. {field.hint}",
        subtle=True,
    )


def field_elements(field: Field, value: Any, error: str | None) -> list[Element]:
    """The input for one question, its hint, and the server's error for it in red."""
    if field.kind is Kind.FILES:
        return [files_note(field)]
    render = {
        Kind.SELECT: choice_input,
        Kind.RADIO: choice_input,
        Kind.CHECKBOXES: choice_input,
        Kind.TEXT: text_input,
        Kind.LONG_TEXT: text_input,
        Kind.DATE: date_input,
        Kind.FLAG: toggle_input,
    }[field.kind]
    out = [render(field, value)]
    if field.hint and field.kind not in (Kind.TEXT, Kind.LONG_TEXT):
        out.append(text(field.hint, subtle=True, spacing="None"))
    if error:
        out.append(error_text(error))
    return out


def form_card(view: FormView, mode: Mode, form_key: str) -> Card:
    """The report form: every section's questions, errors beside the fields they belong to."""
    body: list[Element] = [heading(view.title), text(view.intro, subtle=True)]
    if view.errors:
        body.append(error_text("Some answers need another look: see the notes in red below."))
    for section in view.sections:
        body.append(subheading(section.title))
        for field in section.fields:
            body.extend(field_elements(field, view.values.get(field.id), view.errors.get(field.id)))
    action = button(mode, view.submit_label, ActionId.FORM_NEXT, {FORM: form_key}, "positive")
    return card(body, [action])


def summary_card(view: SummaryView, mode: Mode, form_key: str, values: Mapping[str, Any]) -> Card:
    """What will be filed and what is recommended, with its basis; the answers travel in the
    buttons."""
    body: list[Element] = []
    if view.urgent:
        body.append(alert(f"{view.urgency}: if anyone is in immediate danger, call 999 now."))
    body += [heading(view.title), fact_set(view.facts), subheading(f"Priority: {view.urgency}")]
    if view.actions:
        body.append(subheading("Recommended, each with its basis"))
        body.append(bullets(action_line(a.text, a.reason) for a in view.actions))
    body.append(text(view.note, subtle=True))
    data = {FORM: form_key, VALUES: dict(values)}
    actions = [
        button(mode, view.submit_label, ActionId.FORM_SUBMIT, data, "positive"),
        button(mode, "Change answers", ActionId.FORM_BACK, data),
    ]
    return card(body, actions)


def receipt_card(view: ReceiptView, extra: Sequence[str] = ()) -> Card:
    body: list[Element] = []
    if view.urgent:
        body.append(alert(view.lines[0]))
        lines: Sequence[str] = view.lines[1:]
    else:
        lines = view.lines
    body += [heading(view.headline), *lines_block(lines), *lines_block(extra)]
    return card(body)
