"""Delivers the outbox on Teams: cards to people and channels, updates in place, thread notes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
from bot.models import Case, CaseFile, MessageRef, Notice, OutboxMessage
from bot.outbox import RetryLater
from bot.service import CaseService
from cards import teams
from cards.teams import Card
from cards.views import (
    approval_card,
    decision_note,
    info_note,
    info_question,
    receipt_view,
    reporter_update,
    safeguarding_alert,
)
from handlers.teams_bot import card_message
from handlers.teams_people import PLATFORM, People, Reach

log = logging.getLogger(__name__)

CHANNEL_ID = "msteams"
APPROVAL = "approval"
NOBODY_YET = 300.0  # seconds before trying again when no approver has opened the bot yet


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


def message_ref(sent: Sent, kind: str) -> MessageRef:
    extra = (("service_url", sent.service_url), ("bot_id", sent.bot_id), ("kind", kind))
    return MessageRef(PLATFORM, APPROVAL, sent.conversation_id, sent.activity_id, extra)


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
        self.notices: dict[Notice, Callable[[Case], Awaitable[list[MessageRef]]]] = {
            Notice.RECEIPT: self.receipt,
            Notice.APPROVAL_CARD: self.approval,
            Notice.SAFEGUARDING_ALERT: self.alert,
            Notice.CARD_UPDATE: self.card_update,
            Notice.DECISION_NOTE: self.decision_note,
            Notice.DECISION_TO_REPORTER: self.to_reporter,
            Notice.INFO_QUESTION: self.info_question,
            Notice.INFO_ANSWER: self.info_answer,
        }

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> list[MessageRef]:
        """Any connector failure becomes RetryLater: the outbox keeps the message and retries."""
        try:
            return await self.notices[message.notice](record.case)
        except HttpOperationError as exc:
            raise RetryLater(f"Bot Connector answered {status_of(exc)}", retry_after(exc)) from exc
        except (TimeoutError, ClientException, aiohttp.ClientError, OSError) as exc:
            raise RetryLater(f"Bot Connector unreachable ({type(exc).__name__})") from exc

    # what each notice does

    async def receipt(self, case: Case) -> list[MessageRef]:
        view = receipt_view(case, self.service.policy, self.school(case))
        invite = (
            f"Send me screenshots of the post in this chat within the hour and I add them to "
            f"{case.reference} as evidence (clause 5.1.7)."
        )
        card = teams.receipt_card(view, [invite])
        await self.to_person_or_retry(case.reporter.email, card, view.headline)
        return []

    async def approval(self, case: Case) -> list[MessageRef]:
        """The leadership channel if the school has one, else each approver's personal chat."""
        school = self.school(case)
        if school.teams_leadership_channel:
            card = await self.card_for(case, for_approver=False)
            sent = await self.post_in_channel(school, case, card, self.notification(case))
            return [message_ref(sent, "channel")]
        card = await self.card_for(case, for_approver=True)
        refs = []
        for email in school.approvers:
            sent = await self.to_person(email, card, self.notification(case))
            if sent is not None:
                refs.append(message_ref(sent, "personal"))
        if not refs:
            raise RetryLater("no approver of the school has opened the bot yet", NOBODY_YET)
        return refs

    async def alert(self, case: Case) -> list[MessageRef]:
        school = self.school(case)
        view = safeguarding_alert(case, school)
        card = teams.note_card(view)
        reached = [
            await self.to_person(e, card, view.notification) for e in school.safeguarding_leads
        ]
        if not any(reached):
            # No lead has opened the bot: the alert goes under the approval card instead.
            log.warning(
                "no safeguarding lead of %s reachable on Teams for %s", school.id, case.reference
            )
            await self.in_threads(case, card, view.notification)
        return []

    async def card_update(self, case: Case) -> list[MessageRef]:
        for ref in case.message(PLATFORM, APPROVAL):
            card = await self.card_for(case, for_approver=dict(ref.extra).get("kind") == "personal")
            activity = card_message(card, self.notification(case))
            activity.id = ref.message_id
            await self.call(
                reference_of(ref),
                lambda client, a=activity, r=ref: client.conversations.update_activity(
                    r.conversation, r.message_id, a
                ),
            )
        return []

    async def decision_note(self, case: Case) -> list[MessageRef]:
        view = decision_note(case, self.service.policy, self.service.trust.tz)
        await self.in_threads(case, teams.note_card(view), view.notification)
        return []

    async def to_reporter(self, case: Case) -> list[MessageRef]:
        view = reporter_update(case, self.service.policy, self.service.trust.tz)
        await self.to_person_or_retry(case.reporter.email, teams.note_card(view), view.notification)
        return []

    async def info_question(self, case: Case) -> list[MessageRef]:
        view = info_question(case)
        await self.to_person_or_retry(case.reporter.email, teams.note_card(view), view.notification)
        note = info_note(case)
        await self.in_threads(case, teams.note_card(note), note.notification)
        return []

    async def info_answer(self, case: Case) -> list[MessageRef]:
        note = info_note(case)
        await self.in_threads(case, teams.note_card(note), note.notification)
        return []

    # rendering

    def school(self, case: Case) -> School:
        return self.service.school_of(case)

    def notification(self, case: Case) -> str:
        return approval_card(
            case, self.service.policy, self.school(case), self.service.trust.tz
        ).notification

    async def card_for(self, case: Case, for_approver: bool) -> Card:
        school = self.school(case)
        view = approval_card(case, self.service.policy, school, self.service.trust.tz)
        ids = await self.people.teams_ids(school.approvers)
        return teams.approval_card(view, for_approver=for_approver, approver_ids=ids)

    # the Bot Connector

    async def call(
        self, reference: ConversationReference, use: Callable[[object], Awaitable[object]]
    ) -> object:
        """Run one connector call in a proactive turn (the adapter supplies the credentials)."""
        result: list[object] = []

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
        return Sent(conversation, getattr(response, "id", "") or "", reference.service_url, bot_id)

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

    async def in_threads(self, case: Case, card: Card, summary: str) -> None:
        """A note under every approval card of the case (the channel thread, or each chat)."""
        for ref in case.message(PLATFORM, APPROVAL):
            await self.send(reference_of(ref), card_message(card, summary), reply_to=ref.message_id)
