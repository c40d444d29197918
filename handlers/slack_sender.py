"""The outbox's Slack sender: renders each notice from the stored case and calls the Web API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import School
from bot.models import Case, CaseFile, MessageRef, Notice, OutboxMessage
from bot.outbox import RetryLater
from bot.service import CaseService
from cards import slack as render
from cards import views
from cards.ids import ActionId
from handlers.slack_people import PLATFORM, SlackDirectory

log = logging.getLogger(__name__)
APPROVAL = "approval"
NO_APPROVER_RETRY = 600.0  # nobody to send the card to yet: look again in ten minutes


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Slack's Retry-After header (seconds) on a 429, if it sent one."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                return None
    return None


def as_retry(exc: Exception) -> RetryLater:
    """Any Slack or network failure becomes a RetryLater; a 429 keeps its Retry-After hint."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = exc.response.get("error", "error")
        hint = retry_after(exc.response.headers) if status == 429 else None
        return RetryLater(f"slack {status} {code}", hint)
    return RetryLater(type(exc).__name__)


class SlackSender:
    """Delivers one outbox message; returns where approval cards now live."""

    def __init__(
        self, client: AsyncWebClient, service: CaseService, directory: SlackDirectory
    ) -> None:
        self.client = client
        self.service = service
        self.directory = directory
        # (outbox message id, target) -> (channel, ts) of posts that already went out, so a
        # retry after a partial failure does not post twice to the targets that got it.
        self._posted: dict[tuple[str, str], tuple[str, str]] = {}

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> list[MessageRef]:
        try:
            refs = await self._deliver(record.case, message)
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise as_retry(exc) from exc
        for key in [k for k in self._posted if k[0] == message.id]:
            del self._posted[key]  # delivered: the outbox will not ask again
        return refs

    async def _deliver(self, case: Case, message: OutboxMessage) -> list[MessageRef]:
        school = self.service.school_of(case)
        policy, tz = self.service.policy, self.service.trust.tz
        notice = message.notice
        if notice is Notice.RECEIPT:
            receipt = views.receipt_view(case, policy, school)
            await self._dm(message, case.reporter.user_id, render.receipt_message(receipt))
        elif notice is Notice.APPROVAL_CARD:
            return await self._post_cards(message, case, school)
        elif notice is Notice.SAFEGUARDING_ALERT:
            alert = render.note_message(views.safeguarding_alert(case, school))
            for email in school.safeguarding_leads:
                await self._dm_email(message, email, alert)
        elif notice is Notice.CARD_UPDATE:
            await self._update_cards(case, school)
        elif notice is Notice.DECISION_NOTE:
            await self._thread(
                message, case, render.note_message(views.decision_note(case, policy, tz))
            )
        elif notice is Notice.DECISION_TO_REPORTER:
            update = views.reporter_update(case, policy, tz)
            await self._dm(message, case.reporter.user_id, render.note_message(update))
        elif notice is Notice.INFO_QUESTION:
            question = render.note_message(views.info_question(case), ActionId.ANSWER_INFO)
            await self._dm(message, case.reporter.user_id, question)
            await self._thread(message, case, render.note_message(views.info_note(case)))
        elif notice is Notice.INFO_ANSWER:
            await self._thread(message, case, render.note_message(views.info_note(case)))
        return []

    async def _post_once(
        self, message: OutboxMessage, channel: str, body: render.SlackMessage, thread_ts: str = ""
    ) -> tuple[str, str]:
        key = (message.id, f"{channel}:{thread_ts}")
        if key in self._posted:
            return self._posted[key]
        resp = await self.client.chat_postMessage(
            channel=channel,
            text=body.text,
            blocks=body.block_dicts(),
            thread_ts=thread_ts or None,
            unfurl_links=False,
            unfurl_media=False,
        )
        self._posted[key] = (str(resp["channel"]), str(resp["ts"]))
        return self._posted[key]

    async def _dm(self, message: OutboxMessage, user_id: str, body: render.SlackMessage) -> None:
        await self._post_once(message, user_id, body)

    async def _dm_email(
        self, message: OutboxMessage, email: str, body: render.SlackMessage
    ) -> tuple[str, str] | None:
        user = await self.directory.user_id(email)
        if user is None:
            log.warning("no Slack user for a configured person (%s)", message.notice.value)
            return None
        return await self._post_once(message, user, body)

    async def _post_cards(
        self, message: OutboxMessage, case: Case, school: School
    ) -> list[MessageRef]:
        card = render.approval_card(
            views.approval_card(case, self.service.policy, school, self.service.trust.tz)
        )
        if school.slack_leadership_channel:
            posted = [await self._post_once(message, school.slack_leadership_channel, card)]
        else:
            found = [await self._dm_email(message, email, card) for email in school.approvers]
            posted = [p for p in found if p]
            if not posted:
                raise RetryLater("no approver of the school is in Slack", NO_APPROVER_RETRY)
        return [MessageRef(PLATFORM, APPROVAL, channel, ts) for channel, ts in posted]

    async def _update_cards(self, case: Case, school: School) -> None:
        card = render.approval_card(
            views.approval_card(case, self.service.policy, school, self.service.trust.tz)
        )
        for ref in case.message(PLATFORM, APPROVAL):
            await self.client.chat_update(
                channel=ref.conversation,
                ts=ref.message_id,
                text=card.text,
                blocks=card.block_dicts(),
            )

    async def _thread(self, message: OutboxMessage, case: Case, body: render.SlackMessage) -> None:
        for ref in case.message(PLATFORM, APPROVAL):
            await self._post_once(message, ref.conversation, body, thread_ts=ref.message_id)
