"""Pure renderers from the view models to Slack Block Kit, through slack_sdk.models."""

from cards.slack.base import SlackMessage
from cards.slack.case import approval_card, case_modal
from cards.slack.modals import (
    close_modal,
    correct_modal,
    letter_modal,
    notice_modal,
    reassign_modal,
    task_done_modal,
    text_modal,
)
from cards.slack.notes import file_link_message, hint_message, home_view, note_message
from cards.slack.report import (
    MESSAGE_FILES,
    OfferedFile,
    form_modal,
    receipt_message,
    receipt_modal,
    summary_modal,
)
from cards.slack.report import _form_step as _form_step  # the tests compare with it

__all__ = [
    "MESSAGE_FILES",
    "OfferedFile",
    "SlackMessage",
    "approval_card",
    "case_modal",
    "close_modal",
    "correct_modal",
    "file_link_message",
    "form_modal",
    "hint_message",
    "home_view",
    "letter_modal",
    "note_message",
    "notice_modal",
    "reassign_modal",
    "receipt_message",
    "receipt_modal",
    "summary_modal",
    "task_done_modal",
    "text_modal",
]
