"""Pure renderers from the view models to accessible HTML pages with plain forms."""

from cards.html.base import (
    ACTION,
    CSRF,
    FAVICON,
    FILE_QUERY,
    NAV,
    STYLESHEET,
    VALUE,
    Person,
    Post,
    message,
    page,
    tag,
)
from cards.html.case import approval_card
from cards.html.controls import CaseControls
from cards.html.home import home, identity_picker
from cards.html.inbox import InboxItem, inbox
from cards.html.notice import error_page, notice_page
from cards.html.register import case_list
from cards.html.report import form_step, receipt, summary

__all__ = [
    "ACTION",
    "CSRF",
    "CaseControls",
    "FILE_QUERY",
    "InboxItem",
    "NAV",
    "Person",
    "Post",
    "FAVICON",
    "STYLESHEET",
    "VALUE",
    "approval_card",
    "case_list",
    "form_step",
    "home",
    "identity_picker",
    "inbox",
    "message",
    "error_page",
    "notice_page",
    "page",
    "receipt",
    "summary",
    "tag",
]
