"""The report form on Slack: its steps as modals, the summary and the receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    InputInteractiveElement,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import filetypes
from bot.forms import Field, FieldId, Kind, Section
from cards.ids import ActionId, ViewId
from cards.slack.base import (
    MAX_HEADER,
    MAX_OPTIONS,
    MAX_SECTION_TEXT,
    MAX_TITLE,
    MAX_VIEW_BLOCKS,
    SlackMessage,
    asking_modal,
    clip,
    context,
    escape,
    fact_text,
    fit,
    option,
    plain,
    section,
)
from cards.views import ActionOption, FormView, ReceiptView, SummaryView

# Slack-only inputs of the report form (the platform-neutral ones are FieldId values).
MESSAGE_FILES = "message_files"


class FileInputElement(InputInteractiveElement):
    """Block Kit's `file_input` (modals only, needs files:read); slack_sdk 3.48 lacks it."""

    type = "file_input"

    @property
    def attributes(self) -> set[str]:  # type: ignore[override]
        return super().attributes.union({"filetypes", "max_files"})

    def __init__(
        self,
        *,
        action_id: str | None = None,
        filetypes: Sequence[str] | None = None,
        max_files: int | None = None,
        **others: Any,
    ) -> None:
        super().__init__(action_id=action_id, type=self.type, **others)
        self.filetypes = list(filetypes) if filetypes else None
        self.max_files = max_files


@dataclass(frozen=True)
class OfferedFile:
    """A file attached to the Slack message being reported, offered as evidence."""

    id: str
    name: str


def _selected(field_: Field, values: Mapping[str, Any]) -> list[str]:
    raw = values.get(field_.id)
    if raw in (None, ""):
        return []
    return [raw] if isinstance(raw, str) else [str(v) for v in raw]


def form_element(field_: Field, values: Mapping[str, Any], today: date) -> InputInteractiveElement:
    """The Block Kit element for one form field, prefilled from values."""
    options = [option(c.id, c.label) for c in field_.choices][:MAX_OPTIONS]
    chosen = [o for o in options if o.value in _selected(field_, values)]
    aid = field_.id.value
    if field_.kind is Kind.SELECT:
        return StaticSelectElement(
            action_id=aid,
            placeholder=plain("Choose one"),
            options=options,
            initial_option=chosen[0] if chosen else None,
        )
    if field_.kind is Kind.RADIO:
        return RadioButtonsElement(
            action_id=aid, options=options, initial_option=chosen[0] if chosen else None
        )
    if field_.kind in (Kind.CHECKBOXES, Kind.FLAG):
        return CheckboxesElement(action_id=aid, options=options, initial_options=chosen or None)
    if field_.kind is Kind.DATE:
        picked = values.get(field_.id) or today.isoformat()
        return DatePickerElement(action_id=aid, initial_date=str(picked))
    if field_.kind is Kind.FILES:
        return FileInputElement(
            action_id=aid, max_files=MAX_OPTIONS, filetypes=filetypes.EXTENSIONS
        )
    text = values.get(field_.id)
    return PlainTextInputElement(
        action_id=aid,
        multiline=field_.kind is Kind.LONG_TEXT,
        max_length=min(field_.max_length, MAX_SECTION_TEXT) if field_.max_length else None,
        placeholder=plain(field_.placeholder, 150) if field_.placeholder else None,
        initial_value=clip(text, field_.max_length or MAX_SECTION_TEXT)
        if isinstance(text, str) and text
        else None,
    )


def form_input(field_: Field, values: Mapping[str, Any], today: date) -> InputBlock:
    return InputBlock(
        block_id=field_.id.value,
        label=plain(field_.said, 2000),
        hint=plain(field_.hint, 2000) if field_.hint else None,
        optional=not field_.required,
        element=form_element(field_, values, today),
    )


def offered_files_input(files: Sequence[OfferedFile]) -> InputBlock:
    options = [option(f.id, f.name) for f in files[:MAX_OPTIONS]]
    return InputBlock(
        block_id=MESSAGE_FILES,
        label=plain("Keep the files attached to the message as evidence?"),
        hint=plain("Untick any file that is not about the post."),
        optional=True,
        element=CheckboxesElement(
            action_id=MESSAGE_FILES, options=options, initial_options=options
        ),
    )


def form_modal(
    view: FormView,
    metadata: str,
    today: date,
    offered: Sequence[OfferedFile] = (),
    source: str = "",
) -> dict[str, Any]:
    """One step of the report form, as the view JSON Slack takes; block ids are the field ids,
    so errors land on them.

    A step is mostly shown before anyone has typed in it, and then it is the same for every
    reporter of the same schools on the same day: such a step is rendered once and reused with
    this draft's metadata (Block Kit rendering costs more than the rest of a step's handling).
    The dict returned shares its blocks with the kept copy: serialise it, never change it.
    """
    if offered or source or any(view.values.get(f.id) for s in view.sections for f in s.fields):
        step = _form_step(view, today, offered, source)
    else:
        step = _unanswered_step(
            view.title, view.step, view.steps, view.sections, view.intro, view.submit_label, today
        )
    return {**step, "private_metadata": metadata}


@lru_cache(maxsize=64)
def _unanswered_step(
    title: str,
    step: int,
    steps: int,
    sections: tuple[Section, ...],
    intro: str,
    submit_label: str,
    today: date,
) -> dict[str, Any]:
    blank = FormView(title, step, steps, sections, {}, {}, intro, submit_label)
    return _form_step(blank, today, (), "")


def _form_step(
    view: FormView, today: date, offered: Sequence[OfferedFile], source: str
) -> dict[str, Any]:
    blocks: list[Block] = [context(escape(view.intro))]
    if source:
        blocks.append(context(f"Reported from this Slack message: {source}"))
    for s in view.sections:
        for f in s.fields:
            blocks.append(form_input(f, view.values, today))
            if f.id is FieldId.EVIDENCE and offered:
                blocks.append(offered_files_input(offered))
    if view.step > 0:
        blocks.append(
            ActionsBlock(
                block_id="form_nav",
                elements=[ButtonElement(text=plain("Back"), action_id=ActionId.FORM_BACK.value)],
            )
        )
    modal = asking_modal(
        ViewId.REPORT.value,
        view.title,
        view.submit_label,
        "",
        notify_on_close=True,
        blocks=blocks,
    )
    return modal.to_dict()


def action_line(a: ActionOption) -> str:
    reason = f"\n    _{escape(a.reason)}_" if a.reason else ""
    return f"• *{escape(a.clause)}* {escape(a.label)}{reason}"


def summary_modal(view: SummaryView, metadata: str) -> View:
    """The last step: the report as it will be filed and what is recommended, with its basis."""
    blocks: list[Block] = []
    if view.urgent:
        blocks.append(
            section(":rotating_light: *URGENT.* If anyone is in immediate danger, call 999 now.")
        )
    blocks.extend(section(fact_text(f)) for f in view.facts)
    blocks.append(DividerBlock())
    blocks.append(section(f"*Urgency:* {escape(view.urgency)}"))
    actions = "\n".join(action_line(a) for a in view.actions)
    blocks.append(section(f"*Recommended, each with its basis*\n{actions}"))
    blocks.append(context(escape(view.note)))
    return asking_modal(
        ViewId.REPORT.value,
        view.title,
        view.submit_label,
        metadata,
        notify_on_close=True,
        blocks=fit(blocks, MAX_VIEW_BLOCKS),
    )


def receipt_blocks(view: ReceiptView) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=plain(view.headline, MAX_HEADER))]
    for n, line in enumerate(view.lines):
        urgent_line = view.urgent and n == 0
        blocks.append(
            section(f":rotating_light: *{escape(line)}*" if urgent_line else escape(line))
        )
    return blocks


def receipt_modal(view: ReceiptView) -> View:
    """What the reporter sees in place of the form once the case is stored."""
    return View(
        type="modal",
        callback_id="report_done",
        title=plain("Report filed", MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=receipt_blocks(view),
    )


def receipt_message(view: ReceiptView) -> SlackMessage:
    return SlackMessage(view.headline, receipt_blocks(view))
