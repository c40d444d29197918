"""Slack modals that ask one thing: a reason, a task's result or owner, a case's close."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from cards.ids import InputId, ViewId
from cards.slack.base import MAX_TITLE, asking_modal, escape, option, plain, section
from cards.views import (
    LETTER_ONCE,
    MAKE_LETTER,
    OUTCOME_CHOICES,
    REMOVE_BY_HINT,
    REMOVE_BY_LABEL,
)


def text_modal(
    callback: ViewId,
    title: str,
    intro: str,
    input_id: InputId,
    label: str,
    submit: str,
    metadata: str,
    max_length: int = 2000,
) -> View:
    """A modal that asks one question in words: decline reason, question, answer."""
    return asking_modal(
        callback.value,
        title,
        submit,
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=input_id.value,
                label=plain(label, 2000),
                element=PlainTextInputElement(
                    action_id=input_id.value, multiline=True, max_length=max_length
                ),
            ),
        ],
    )


def notice_modal(title: str, text: str) -> View:
    """A modal that only says something (e.g. why the form cannot open)."""
    return View(
        type="modal",
        title=plain(title, MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=[section(escape(text))],
    )


def task_done_modal(intro: str, reference_label: str, metadata: str) -> View:
    """Mark done: what was done, and a reference where the action has one."""
    blocks: list[Block] = [
        section(escape(intro)),
        InputBlock(
            block_id=InputId.TASK_RESULT.value,
            label=plain("What was done?"),
            element=PlainTextInputElement(
                action_id=InputId.TASK_RESULT.value, multiline=True, max_length=2000
            ),
        ),
    ]
    if reference_label:
        blocks.append(
            InputBlock(
                block_id=InputId.TASK_REFERENCE.value,
                label=plain(reference_label),
                optional=True,
                element=PlainTextInputElement(
                    action_id=InputId.TASK_REFERENCE.value, max_length=200
                ),
            )
        )
    return asking_modal(
        ViewId.TASK_DONE.value,
        "Mark the task done",
        "Mark done",
        metadata,
        blocks=blocks,
    )


def letter_modal(intro: str, metadata: str) -> View:
    """5.1.1: make the letter, with a remove-by date only if the head wants one."""
    return asking_modal(
        ViewId.LETTER.value,
        "The warning letter",
        MAKE_LETTER,
        metadata,
        blocks=[
            section(escape(f"{intro} {LETTER_ONCE}")),
            InputBlock(
                block_id=InputId.REMOVE_BY.value,
                label=plain(REMOVE_BY_LABEL),
                hint=plain(REMOVE_BY_HINT, 2000),
                optional=True,
                element=DatePickerElement(action_id=InputId.REMOVE_BY.value),
            ),
        ],
    )


def reassign_modal(intro: str, metadata: str) -> View:
    """Reassign: pick any member of staff in Slack."""
    return asking_modal(
        ViewId.TASK_REASSIGN.value,
        "Reassign the task",
        "Reassign",
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=InputId.TASK_OWNER.value,
                label=plain("Give the task to"),
                element=UserSelectElement(
                    action_id=InputId.TASK_OWNER.value, placeholder=plain("Choose a person")
                ),
            ),
        ],
    )


def close_modal(intro: str, metadata: str) -> View:
    """Close the case: how it ended (radio buttons) and a note for the record."""
    return asking_modal(
        ViewId.CLOSE.value,
        "Close the case",
        "Close case",
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=InputId.CLOSE_OUTCOME.value,
                label=plain("How did it end?"),
                element=RadioButtonsElement(
                    action_id=InputId.CLOSE_OUTCOME.value,
                    options=[option(value, label) for value, label in OUTCOME_CHOICES],
                ),
            ),
            InputBlock(
                block_id=InputId.CLOSE_NOTE.value,
                label=plain("Closing note, for the record"),
                element=PlainTextInputElement(
                    action_id=InputId.CLOSE_NOTE.value, multiline=True, max_length=2000
                ),
            ),
        ],
    )


def correct_modal(intro: str, fields: list[tuple[str, str]], metadata: str) -> View:
    """Correct an answer: which one, the corrected value, and why (all on the case's record)."""
    return asking_modal(
        ViewId.CORRECT.value,
        "Correct an answer",
        "Correct",
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=InputId.CORRECT_FIELD.value,
                label=plain("Which answer"),
                element=StaticSelectElement(
                    action_id=InputId.CORRECT_FIELD.value,
                    placeholder=plain("Choose one"),
                    options=[option(value, label) for value, label in fields],
                ),
            ),
            InputBlock(
                block_id=InputId.CORRECT_VALUE.value,
                label=plain("The corrected answer"),
                optional=True,
                element=PlainTextInputElement(
                    action_id=InputId.CORRECT_VALUE.value, multiline=True, max_length=3000
                ),
            ),
            InputBlock(
                block_id=InputId.CORRECT_REASON.value,
                label=plain("Why it is corrected"),
                element=PlainTextInputElement(
                    action_id=InputId.CORRECT_REASON.value, multiline=True, max_length=2000
                ),
            ),
        ],
    )
