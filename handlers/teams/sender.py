"""Delivers the outbox on Teams: cards to people and channels, updates in place, thread notes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientException, HttpOperationError

from bot.config import School
from bot.models import (
    NOTE,
    Case,
    CaseFile,
    MessageRef,
    Notice,
    OutboxMessage,
    ReminderKind,
    Task,
)
from bot.outbox import RetryLater
from bot.service import CaseService
from bot.storage.port import Store
from cards import teams
from cards.teams import Card
from cards.views import (
    case_closed,
    case_removed,
    decision_note,
    info_note,
    info_question,
    letter_note,
    notification_text,
    receipt_view,
    reminder,
    reporter_update,
    retention_due,
    safeguarding_alert,
    task_assigned,
)
from handlers.teams.activity import card_message
from handlers.teams.case import CaseCards
from handlers.teams.people import PLATFORM, People, Reach

log = logging.getLogger(__name__)

CHANNEL_ID = "msteams"
APPROVAL = "approval"
NOBODY_YET = 300.0  # seconds before trying again when no approver has opened the bot yet
SENT = "teams_sent"  # outbox message id -> the targets it has already reached
# What one delivery posted, whichever helper posted it: kept on the case as its messages.
POSTED: ContextVar[list[Sent] | None] = ContextVar("teams_posted", default=None)


@dataclass(frozen=True)
class Sent:
    conversation_id: str
    activity_id: str
    service_url: str
    bot_id: str


def retry_after(exc: BaseException) -> float | None:
    """The connector's Retry-After (429, 503), if it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def status_of(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(getattr(response, "status_code", "") or type(exc).__name__)


@dataclass
class Progress:
    """Which targets of one outbox message were already served, kept in the store as each
    send succeeds: when a later target fails, the retry skips those (no duplicate cards)."""

    store: Store
    message_id: str
    done: dict[str, dict[str, str]] | None = field(default=None, init=False)

    async def once(self, target: str, send: Callable[[], Awaitable[Sent | None]]) -> Sent | None:
        if self.done is None:
            kept = await self.store.get_value(SENT, self.message_id)
            self.done = dict((kept or {}).get("targets") or {})
        if target in self.done:
            earlier = Sent(**self.done[target])
            posts = POSTED.get()
            if posts is not None:
                posts.append(earlier)  # sent before a restart: still one of the case's messages
            return earlier
        sent = await send()
        if sent is not None:
            self.done[target] = asdict(sent)
            await self.store.put_value(SENT, self.message_id, {"targets": self.done})
        return sent

    async def forget(self) -> None:
        """Delivered: the outbox will not ask again."""
        if self.done:
            await self.store.delete_value(SENT, self.message_id)


@dataclass(frozen=True)
class Job:
    """One delivery attempt of an outbox message."""

    detail: str
    progress: Progress


def message_ref(sent: Sent, kind: str, purpose: str = APPROVAL) -> MessageRef:
    extra = (("service_url", sent.service_url), ("bot_id", sent.bot_id), ("kind", kind))
    return MessageRef(PLATFORM, purpose, sent.conversation_id, sent.activity_id, extra)


def replacing(ref: MessageRef, activity: Activity) -> Callable[[Any], Awaitable[Any]]:
    """The connector call that puts an activity in place of a posted message (botbuilder's
    connector client has no type information, hence Any)."""
    return lambda client: client.conversations.update_activity(
        ref.conversation, ref.message_id, activity
    )


def reference_of(ref: MessageRef) -> ConversationReference:
    extra = dict(ref.extra)
    return ConversationReference(
        channel_id=CHANNEL_ID,
        service_url=extra["service_url"],
        conversation=ConversationAccount(id=ref.conversation),
        bot=ChannelAccount(id=extra.get("bot_id")),
    )


class TeamsSender:
    """The outbox's Teams sender: renders the view models and calls the Bot Connector."""

    def __init__(
        self, adapter: CloudAdapter, app_id: str, service: CaseService, people: People
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.service = service
        self.people = people
        self.cards = CaseCards(service, people)
        self.notices: dict[Notice, Callable[[Case, Job], Awaitable[list[MessageRef]]]] = {
            Notice.RECEIPT: self.receipt,
            Notice.APPROVAL_CARD: self.approval,
            Notice.SAFEGUARDING_ALERT: self.alert,
            Notice.CARD_UPDATE: self.card_update,
            Notice.DECISION_NOTE: self.decision_note,
            Notice.DECISION_TO_REPORTER: self.to_reporter,
            Notice.INFO_QUESTION: self.info_question,
            Notice.INFO_ANSWER: self.info_answer,
            Notice.LETTER_DRAFT: self.letter_draft,
            Notice.TASK_ASSIGNED: self.task_assigned,
            Notice.TASK_REMINDER: self.task_reminder,
            Notice.CASE_CLOSED: self.case_closed,
            Notice.RETENTION_DUE: self.retention_due,
            Notice.CASE_REMOVED: self.case_removed,
        }

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> list[MessageRef]:
        """Any connector failure becomes RetryLater: the outbox keeps the message and retries."""
        notice = self.notices.get(message.notice)
        if notice is None:
            log.warning("no Teams delivery for %s notices: skipped", message.notice.value)
            return []
        job = Job(message.detail, Progress(self.service.store, message.id))
        posts: list[Sent] = []
        token = POSTED.set(posts)
        try:
            refs = await notice(record.case, job)
        except HttpOperationError as exc:
            raise RetryLater(f"Bot Connector answered {status_of(exc)}", retry_after(exc)) from exc
        except (TimeoutError, ClientException, aiohttp.ClientError, OSError) as exc:
            raise RetryLater(f"Bot Connector unreachable ({type(exc).__name__})") from exc
        finally:
            POSTED.reset(token)
        await job.progress.forget()
        # Every post is kept on the case (a purge replaces them all), the approval cards first.
        cards = {(r.conversation, r.message_id) for r in refs}
        notes = [
            message_ref(p, "note", NOTE)
            for p in posts
            if p.activity_id and (p.conversation_id, p.activity_id) not in cards
        ]
        return [*refs, *notes]

    # what each notice does

    async def receipt(self, case: Case, job: Job) -> list[MessageRef]:
        view = receipt_view(case, self.service.policy, self.school(case))
        invite = (
            f"Send me screenshots of the post in this chat within the hour and I add them to "
            f"{case.reference} as evidence (clause 5.1.7)."
        )
        card = teams.receipt_card(view, [invite])
        await self.to_person_or_retry(case.reporter.email, card, view.headline)
        return []

    async def approval(self, case: Case, job: Job) -> list[MessageRef]:
        """The leadership channel if the school has one, else each approver's personal chat."""
        school = self.school(case)
        if school.teams_leadership_channel:
            card = await self.card_for(case, for_approver=False)
            sent = await self.post_in_channel(school, case, card, self.notification(case))
            return [message_ref(sent, "channel")]
        card = await self.card_for(case, for_approver=True)
        refs = []
        for email in school.approvers:
            reached = await job.progress.once(
                f"to:{email}", partial(self.to_person, email, card, self.notification(case))
            )
            if reached is not None:
                refs.append(message_ref(reached, "personal"))
        if not refs:
            raise RetryLater("no approver of the school has opened the bot yet", NOBODY_YET)
        return refs

    async def alert(self, case: Case, job: Job) -> list[MessageRef]:
        school = self.school(case)
        view = safeguarding_alert(case, school)
        card = teams.note_card(view)
        reached = [
            await job.progress.once(f"to:{e}", partial(self.to_person, e, card, view.notification))
            for e in school.safeguarding_leads
        ]
        if not any(reached):
            # No lead has opened the bot: the alert goes under the approval card instead.
            log.warning(
                "no safeguarding lead of %s reachable on Teams for %s", school.id, case.reference
            )
            await self.in_threads(case, card, view.notification, job)
        return []

    async def card_update(self, case: Case, job: Job) -> list[MessageRef]:
        for ref in case.message(PLATFORM, APPROVAL):
            card = await self.card_for(case, for_approver=dict(ref.extra).get("kind") == "personal")
            activity = card_message(card, self.notification(case))
            activity.id = ref.message_id
            await self.call(
                reference_of(ref),
                replacing(ref, activity),
            )
        return []

    async def decision_note(self, case: Case, job: Job) -> list[MessageRef]:
        view = decision_note(case, self.service.policy, self.service.trust.tz)
        await self.in_threads(case, teams.note_card(view), view.notification, job)
        return []

    async def to_reporter(self, case: Case, job: Job) -> list[MessageRef]:
        view = reporter_update(case, self.service.policy, self.service.trust.tz)
        await self.to_person_or_retry(case.reporter.email, teams.note_card(view), view.notification)
        return []

    async def info_question(self, case: Case, job: Job) -> list[MessageRef]:
        view = info_question(case)
        card = teams.note_card(view)
        await job.progress.once(
            "reporter",
            lambda: self.to_person_or_retry(case.reporter.email, card, view.notification),
        )
        note = info_note(case)
        await self.in_threads(case, teams.note_card(note), note.notification, job)
        return []

    async def info_answer(self, case: Case, job: Job) -> list[MessageRef]:
        note = info_note(case)
        await self.in_threads(case, teams.note_card(note), note.notification, job)
        return []

    async def letter_draft(self, case: Case, job: Job) -> list[MessageRef]:
        """Under the approval card: a button that gives whoever clicks a fresh private link
        (a link posted here would outlive its five minutes and reach everyone)."""
        view = letter_note(case)
        await self.in_threads(case, teams.note_card(view), view.notification, job)
        return []

    async def task_assigned(self, case: Case, job: Job) -> list[MessageRef]:
        task = case.task(job.detail)
        if task is None or not task.is_open:
            return []
        view = task_assigned(case, task, self.service.policy, self.service.trust.tz)
        sent = await self.to_person(task.owner.email, teams.note_card(view), view.notification)
        if sent is None:
            # The clicker was told to let them know: retrying until they install helps nobody.
            log.info("new owner of a task on %s has not opened the bot", case.reference)
        return []

    async def task_reminder(self, case: Case, job: Job) -> list[MessageRef]:
        task_id, _, kind = job.detail.partition(":")
        task = case.task(task_id)
        if task is None or not self.reminder_wanted(task, ReminderKind(kind)):
            return []  # done, cancelled or answered since it was queued
        view = reminder(case, task, ReminderKind(kind), self.service.policy, self.service.trust.tz)
        card = teams.note_card(view)
        if await self.to_person(task.owner.email, card, view.notification) is None:
            # An owner who never opened the bot: the reminder goes under the case's card.
            await self.in_threads(case, card, view.notification, job)
        return []

    @staticmethod
    def reminder_wanted(task: Task, kind: ReminderKind) -> bool:
        return task.is_open if kind is ReminderKind.OVERDUE else not task.is_open

    async def case_closed(self, case: Case, job: Job) -> list[MessageRef]:
        if case.closure is None:
            return []  # reopened before this went out
        view = case_closed(case, self.service.trust.tz)
        await self.to_person_or_retry(case.reporter.email, teams.note_card(view), view.notification)
        return []

    async def retention_due(self, case: Case, job: Job) -> list[MessageRef]:
        view = retention_due(case, job.detail, self.service.trust.retention_years)
        card = teams.note_card(view)
        for email in self.school(case).approvers:
            await job.progress.once(
                f"to:{email}", partial(self.to_person, email, card, view.notification)
            )
        return []

    async def case_removed(self, case: Case, job: Job) -> list[MessageRef]:
        """Before a purge: every message the bot posted about the case (its approval cards,
        thread notes, personal messages) becomes a short note saying it was removed."""
        view = case_removed(case.reference, job.detail)
        for ref in (m for m in case.messages if m.platform == PLATFORM):
            activity = card_message(teams.note_card(view), view.notification)
            activity.id = ref.message_id
            try:
                await self.call(
                    reference_of(ref),
                    replacing(ref, activity),
                )
            except HttpOperationError as exc:
                if status_of(exc) != "404":
                    raise
                log.info("a card of %s was already gone from Teams", case.reference)
        return []

    # rendering

    def school(self, case: Case) -> School:
        return self.service.school_of(case)

    def notification(self, case: Case) -> str:
        return notification_text(case)

    async def card_for(self, case: Case, for_approver: bool) -> Card:
        return await self.cards.shared(case, for_approver)

    # the Bot Connector

    async def call(
        self, reference: ConversationReference, use: Callable[[Any], Awaitable[Any]]
    ) -> Any:
        """Run one connector call in a proactive turn (the adapter supplies the credentials)."""
        result: list[Any] = []

        async def turn(turn_context: TurnContext) -> None:
            client = turn_context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
            result.append(await use(client))

        await self.adapter.continue_conversation(reference, turn, self.app_id)
        return result[0]

    async def send(
        self, reference: ConversationReference, activity: Activity, reply_to: str = ""
    ) -> Sent:
        conversation = reference.conversation.id
        activity.from_property = reference.bot
        activity.conversation = reference.conversation
        if reply_to:
            response = await self.call(
                reference,
                lambda c: c.conversations.reply_to_activity(conversation, reply_to, activity),
            )
        else:
            response = await self.call(
                reference, lambda c: c.conversations.send_to_conversation(conversation, activity)
            )
        bot_id = reference.bot.id if reference.bot else f"28:{self.app_id}"
        sent = Sent(conversation, getattr(response, "id", "") or "", reference.service_url, bot_id)
        posts = POSTED.get()
        if posts is not None:
            posts.append(sent)
        return sent

    async def to_person(self, email: str, card: Card, summary: str) -> Sent | None:
        reach = await self.people.reach(email)
        if reach is None:
            return None
        reference = reach.conversation_reference() or await self.open_chat(email, reach)
        return await self.send(reference, card_message(card, summary))

    async def to_person_or_retry(self, email: str, card: Card, summary: str) -> Sent:
        sent = await self.to_person(email, card, summary)
        if sent is None:
            raise RetryLater("the person has not opened the bot yet", NOBODY_YET)
        return sent

    async def open_chat(self, email: str, reach: Reach) -> ConversationReference:
        """A personal chat with someone the bot has only met in a channel or a dialog."""
        parameters = ConversationParameters(
            is_group=False,
            bot=reach.bot_account(),
            members=[ChannelAccount(id=reach.user_id)],
            tenant_id=reach.tenant_id,
            channel_data={"tenant": {"id": reach.tenant_id}},
        )
        conversation_id, _ = await self.create(reach.service_url, parameters)
        reference = ConversationReference(
            channel_id=CHANNEL_ID,
            service_url=reach.service_url,
            conversation=ConversationAccount(
                id=conversation_id, conversation_type="personal", tenant_id=reach.tenant_id
            ),
            bot=reach.bot_account(),
            user=ChannelAccount(id=reach.user_id),
        )
        await self.people.remember_chat(email, reference)
        return reference

    async def create(self, service_url: str, parameters: ConversationParameters) -> tuple[str, str]:
        created: list[tuple[str, str]] = []

        async def turn(turn_context: TurnContext) -> None:
            a = turn_context.activity
            created.append((a.conversation.id, a.id))

        # CloudAdapter's order: app id, callback, parameters, channel id, service URL, audience.
        await self.adapter.create_conversation(
            self.app_id, turn, parameters, CHANNEL_ID, service_url, None
        )
        return created[0]

    async def post_in_channel(self, school: School, case: Case, card: Card, summary: str) -> Sent:
        """A new thread in the leadership channel: its reference from an install there, else
        the service URL and tenant of the reporter's own conversation (same tenant)."""
        channel = school.teams_leadership_channel
        known = await self.people.channel(channel)
        reach = await self.people.reach(case.reporter.email)
        if known is not None:
            service_url, bot = known.service_url, known.bot
            tenant = known.conversation.tenant_id or (reach.tenant_id if reach else "")
        elif reach is not None:
            service_url, bot, tenant = reach.service_url, reach.bot_account(), reach.tenant_id
        else:
            raise RetryLater("no Teams service URL known for the leadership channel", NOBODY_YET)
        parameters = ConversationParameters(
            is_group=True,
            bot=bot,
            channel_data={"channel": {"id": channel}, "tenant": {"id": tenant}},
            activity=card_message(card, summary),
            tenant_id=tenant,
        )
        conversation_id, activity_id = await self.create(service_url, parameters)
        return Sent(conversation_id, activity_id, service_url, bot.id if bot else "")

    async def in_threads(self, case: Case, card: Card, summary: str, job: Job) -> None:
        """A note under every approval card of the case (the channel thread, or each chat)."""
        for ref in case.message(PLATFORM, APPROVAL):
            await job.progress.once(
                f"thread:{ref.conversation}",
                partial(
                    self.send,
                    reference_of(ref),
                    card_message(card, summary),
                    reply_to=ref.message_id,
                ),
            )
