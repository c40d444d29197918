"""What a viewer may do on the case page, and the one-question form several controls use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from cards.html.base import Post, form, submit, tag
from cards.html.inputs import text_box
from cards.ids import ActionId
from cards.views import Fact


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
    letter: bool = False  # may make the 5.1.1 letter (its task's owner or a lead)
    errors: Mapping[str, str] = field(default_factory=dict)
    failed: str = ""  # the form the errors belong to: an ActionId, or "task_done:t1"
    note: str = ""
    values: Mapping[str, Sequence[str]] = field(default_factory=dict)  # of the refused form
    timeline: tuple[Fact, ...] = ()  # who did what, when: for the school's leads


def kept(controls: CaseControls, form_key: str, name: str) -> str:
    """What was typed in a refused form, so nobody types it twice."""
    if controls.failed != form_key:
        return ""
    return next(iter(controls.values.get(name) or ()), "")


def kept_all(controls: CaseControls, form_key: str, name: str) -> list[str] | None:
    """The ticks of a refused form; None where this form was not the one refused."""
    return list(controls.values.get(name) or ()) if controls.failed == form_key else None


def errors_for(controls: CaseControls, form_key: str) -> Mapping[str, str]:
    return controls.errors if controls.failed == form_key else {}


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
    errors = errors_for(controls, key)
    field_id = f"{input_id}{prefix}"
    body = form(
        controls.act,
        text_box(
            field_id,
            label,
            kept(controls, key, input_id),
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
