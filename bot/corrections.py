"""Which answers an approver may correct after submission, and the answers as corrected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.forms import MAX_SHORT, MAX_TEXT, URL, FieldId
from bot.models import Answers, Correction

# The free-text answers, with the form's own limits; choices are re-asked, not corrected.
CORRECTABLE: dict[str, tuple[str, int]] = {
    FieldId.POST_TEXT.value: ("What it says", MAX_TEXT),
    FieldId.LINK.value: ("Link", MAX_SHORT * 5),
    FieldId.AUTHOR_NAME.value: ("Posted by (name)", MAX_SHORT),
    FieldId.OTHER_CATEGORY.value: ("Other category", MAX_SHORT * 2),
    FieldId.CHILD_NOTE.value: ("Child's account or age (4.3)", MAX_SHORT * 5),
}


def corrected(answers: Answers, corrections: Sequence[Correction]) -> Answers:
    """The answers with every correction applied in order (the submitted ones stay as filed)."""
    changes: dict[str, Any] = {c.field: c.after for c in corrections if c.field in CORRECTABLE}
    return replace(answers, **changes) if changes else answers


def value_errors(field: str, value: str) -> dict[str, str]:
    """Why this corrected value cannot be taken, by form key; none when it is fine."""
    if field not in CORRECTABLE:
        return {"field": "Choose the answer to correct."}
    limit = CORRECTABLE[field][1]
    if len(value) > limit:
        return {"value": f"Please keep this under {limit} characters (it has {len(value)})."}
    if field == FieldId.POST_TEXT and not value:
        return {"value": "Give the corrected words of the post."}
    if field == FieldId.LINK and value and not URL.match(value):
        return {"value": "Give a link starting with https://"}
    return {}
