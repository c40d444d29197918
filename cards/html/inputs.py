"""HTML form inputs: labels tied to inputs by id, groups in fieldsets with legends."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from cards.html.base import described_by, field_error, hint_id, join, tag


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
        tag("label", {"for": field_id}, label, optional_mark(required, label)),
        tag("p", {"class": "hint", "id": hint_id(field_id)}, hint) if hint else None,
        field_error(field_id, error),
        box,
    )


def optional_mark(required: bool, label: str = "") -> Markup:
    """Said once: not where the question already says so ("optional", "if you have it")."""
    said = any(words in label.lower() for words in ("optional", "if you have", "if any"))
    return Markup("") if required or said else tag("span", {"class": "optional"}, " (optional)")


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
        tag("legend", {}, legend, optional_mark(required, legend)),
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
        tag("label", {"for": field_id}, label, optional_mark(required, label)),
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
