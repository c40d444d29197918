"""The web channel's outbox sender: each notice becomes a note in its recipients' web inbox."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import School
from bot.models import Case, CaseFile, MessageRef, Notice, OutboxMessage, ReminderKind
from bot.service import CaseService
from cards import views
from cards.ids import ActionId, CasePayload
from cards.views import Button, NoteView

INBOX = "web_inbox"
KEEP = 200  # notes kept per person, newest first


def note_to_plain(note: NoteView) -> dict[str, Any]:
    return {
        "reference": note.reference,
        "headline": note.headline,
        "lines": list(note.lines),
        "notification": note.notification,
        "button": note.button,
        "payload": note.payload.encode() if note.payload else "",
        "buttons": [
            {"label": b.label, "action": b.action.value, "value": b.value, "primary": b.primary}
            for b in note.buttons
        ],
    }


def note_from_plain(raw: Mapping[str, Any]) -> NoteView:
    return NoteView(
        reference=str(raw["reference"]),
        headline=str(raw["headline"]),
        lines=tuple(str(x) for x in raw["lines"]),
        notification=str(raw["notification"]),
        button=str(raw.get("button", "")),
        payload=CasePayload.decode(raw["payload"]) if raw.get("payload") else None,
        buttons=tuple(
            Button(str(b["label"]), ActionId(b["action"]), str(b["value"]), bool(b["primary"]))
            for b in raw.get("buttons", [])
        ),
    )


def approval_notice(case: Case, school: School) -> NoteView:
    """Content-free, like a phone's push preview: the details are on the case page."""
    headline = views.notification_text(case)
    return NoteView(
        case.reference,
        headline,
        (
            f"{school.name}: {views.URGENCY_LABEL[case.urgency]}.",
            "Open the approval card to decide.",
        ),
        headline,
        button="Open the approval card",
    )


def receipt_note(case: Case, service: CaseService) -> NoteView:
    receipt = views.receipt_view(case, service.policy, service.school_of(case))
    return NoteView(case.reference, receipt.headline, receipt.lines, receipt.headline)


class WebSender:
    """Renders each notice from the stored case and files it in the people's inboxes."""

    def __init__(self, service: CaseService) -> None:
        self.service = service
        # Two cases delivering to one person at once must not lose a note (read-modify-write).
        self._locks: dict[str, asyncio.Lock] = {}

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> Sequence[MessageRef]:
        for email, note in self.notes(record.case, message):
            await self.file(email, message, note)
        return []  # the approval card is rendered live on the case page: nothing to update

    def notes(self, case: Case, message: OutboxMessage) -> list[tuple[str, NoteView]]:
        """Who gets what for this notice; CARD_UPDATE needs nothing, the card page is live."""
        school = self.service.school_of(case)
        policy, tz = self.service.policy, self.service.trust.tz
        leads = list(dict.fromkeys((*school.approvers, *school.safeguarding_leads)))
        reporter = case.reporter.email
        notice = message.notice
        if notice is Notice.RECEIPT:
            return [(reporter, receipt_note(case, self.service))]
        if notice is Notice.APPROVAL_CARD:
            return [(e, approval_notice(case, school)) for e in school.approvers]
        if notice is Notice.SAFEGUARDING_ALERT:
            alert = views.safeguarding_alert(case, school)
            return [(e, alert) for e in school.safeguarding_leads]
        if notice is Notice.DECISION_NOTE:
            return [(e, views.decision_note(case, policy, tz)) for e in leads]
        if notice is Notice.DECISION_TO_REPORTER:
            return [(reporter, views.reporter_update(case, policy, tz))]
        if notice is Notice.INFO_QUESTION:
            return [(reporter, views.info_question(case))]
        if notice is Notice.INFO_ANSWER:
            return [(e, views.info_note(case)) for e in school.approvers]
        if notice is Notice.LETTER_DRAFT:
            return [(e, views.letter_note(case)) for e in leads]
        if notice is Notice.CASE_CLOSED:
            return [(reporter, views.case_closed(case, tz))]
        if notice in (Notice.TASK_ASSIGNED, Notice.TASK_REMINDER):
            return self.task_notes(case, message)
        if notice is Notice.RETENTION_DUE:
            years = self.service.trust.retention_years
            return [(e, views.retention_due(case, message.detail, years)) for e in school.approvers]
        return []  # CARD_UPDATE, CASE_REMOVED (the card page is live), the chat platforms' own

    def task_notes(self, case: Case, message: OutboxMessage) -> list[tuple[str, NoteView]]:
        policy, tz = self.service.policy, self.service.trust.tz
        task_id, _, kind = message.detail.partition(":")
        task = case.task(task_id)
        if task is None:
            return []
        if message.notice is Notice.TASK_ASSIGNED:
            return [(task.owner.email, views.task_assigned(case, task, policy, tz))]
        if message.notice is Notice.TASK_REMINDER:
            note = views.reminder(case, task, ReminderKind(kind), policy, tz)
            return [(task.owner.email, note)]
        return []

    async def file(self, email: str, message: OutboxMessage, note: NoteView) -> None:
        """Add the note once: a retried delivery finds it there already."""
        email = email.lower()
        store = self.service.store
        async with self._locks.setdefault(email, asyncio.Lock()):
            box = await store.get_value(INBOX, email) or {"items": []}
            item_id = f"{message.id}:{email}"
            if any(i["id"] == item_id for i in box["items"]):
                return
            item = {
                "id": item_id,
                "at": self.service.clock().isoformat(),
                "notice": message.notice.value,  # so the inbox can say what has been done since
                **note_to_plain(note),
            }
            await store.put_value(INBOX, email, {"items": [item, *box["items"]][:KEEP]})


async def inbox_of(service: CaseService, email: str) -> list[dict[str, Any]]:
    box = await service.store.get_value(INBOX, email.lower())
    return list(box["items"]) if box else []
