"""The outbox's Slack sender: renders each notice from the stored case and calls the Web API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import School
from bot.errors import EvidenceRejected
from bot.models import (
    NOTE,
    Actor,
    Case,
    CaseFile,
    MessageRef,
    Notice,
    OutboxMessage,
    ReminderKind,
)
from bot.outbox import RetryLater
from bot.service import CaseService
from cards import slack as render
from cards import views
from cards.ids import ActionId
from handlers.fetch import FetchFailed, FetchRefused, SafeFetch, slack_rules
from handlers.slack.people import PLATFORM, SlackDirectory

log = logging.getLogger(__name__)
APPROVAL = "approval"
NO_APPROVER_RETRY = 600.0  # nobody to send the card to yet: look again in ten minutes
# Slack's answers that mean a screenshot will never be fetched: tell the reporter, do not retry.
FILE_GONE = frozenset({"file_not_found", "file_deleted", "access_denied"})


# Slack's answers to chat.update that mean there is no card left to replace.
MESSAGE_GONE = frozenset(
    {"message_not_found", "channel_not_found", "is_archived", "cant_update_message"}
)


class FileGone(Exception):
    """Slack will not give us this file, however often we ask."""


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
    if isinstance(exc, FetchFailed):  # a file download Slack could not serve just now
        return RetryLater(f"download {exc.status}")
    return RetryLater(type(exc).__name__)


class SlackSender:
    """Delivers one outbox message; returns where approval cards now live."""

    def __init__(
        self,
        client: AsyncWebClient,
        service: CaseService,
        directory: SlackDirectory,
        fetch: SafeFetch,
        api_url: str = "",
    ) -> None:
        self.client = client
        self.service = service
        self.directory = directory
        self.fetch = fetch
        self.fetch_rules = slack_rules(api_url)
        # (outbox message id, target) -> (channel, ts) of posts that already went out, so a
        # retry after a partial failure does not post twice to the targets that got it. Where a
        # message has several targets this is also kept in the store (OutboxMessage.sent), so a
        # restart does not post twice either.
        self._posted: dict[tuple[str, str], tuple[str, str]] = {}
        self._references: dict[str, str] = {}  # outbox message id -> its case, while delivering

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> list[MessageRef]:
        for entry in message.sent:  # targets reached before a restart
            target, _, where = entry.partition("\t")
            channel, _, ts = where.partition(" ")
            self._posted.setdefault((message.id, target), (channel, ts))
        self._references[message.id] = record.case.reference
        try:
            refs = await self._deliver(record.case, message)
        except (SlackClientError, FetchFailed, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise as_retry(exc) from exc
        finally:
            del self._references[message.id]
        cards = {(r.conversation, r.message_id) for r in refs}
        notes = [
            MessageRef(PLATFORM, NOTE, *where)
            for (mid, target), where in self._posted.items()
            if mid == message.id and where not in cards and not target.startswith("upload:")
        ]
        for key in [k for k in self._posted if k[0] == message.id]:
            del self._posted[key]  # delivered: the outbox will not ask again
        # Every post is kept on the case (a purge replaces them all), the approval cards first.
        return [*refs, *notes]

    async def _sent(
        self, message: OutboxMessage, target: str, where: tuple[str, str], durable: bool
    ) -> tuple[str, str]:
        """Remember that a target got its post; in the store too when there are several."""
        self._posted[(message.id, target)] = where
        if durable:
            entry = f"{target}\t{where[0]} {where[1]}"
            await self.service.note_sent(self._references[message.id], message.id, entry)
        return where

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
            several = len(school.safeguarding_leads) > 1
            for email in school.safeguarding_leads:
                await self._dm_email(message, email, alert, several)
        elif notice is Notice.CARD_UPDATE:
            await self._update_cards(case, school)
        elif notice is Notice.FETCH_EVIDENCE:
            await self._fetch_evidence(message, case, message.detail)
        elif notice is Notice.LETTER_DRAFT:
            # 5.1.1: the button that makes the letter once (then opens it), in the card's thread.
            note = views.letter_note(case)
            await self._thread(message, case, render.note_message(note))
        elif notice is Notice.TASK_ASSIGNED:
            task = case.task(message.detail)
            if task is not None and task.is_open:
                note = views.task_assigned(case, task, policy, tz)
                await self._dm_actor(message, task.owner, render.note_message(note))
        elif notice is Notice.TASK_REMINDER:
            await self._remind(message, case)
        elif notice is Notice.CASE_CLOSED:
            if case.closure is not None:  # else reopened since: nothing to tell
                note = views.case_closed(case, tz)
                await self._dm(message, case.reporter.user_id, render.note_message(note))
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
        elif notice is Notice.RETENTION_DUE:
            years = self.service.trust.retention_years
            note = render.note_message(views.retention_due(case, message.detail, years))
            for email in school.approvers:
                await self._dm_email(message, email, note, len(school.approvers) > 1)
        elif notice is Notice.CASE_REMOVED:
            await self._replace_cards(case, message.detail)
        return []

    async def _post_once(
        self,
        message: OutboxMessage,
        channel: str,
        body: render.SlackMessage,
        thread_ts: str = "",
        durable: bool = False,
    ) -> tuple[str, str]:
        target = f"{channel}:{thread_ts}"
        if (message.id, target) in self._posted:
            return self._posted[(message.id, target)]
        resp = await self.client.chat_postMessage(
            channel=channel,
            text=body.text,
            blocks=body.block_dicts(),
            thread_ts=thread_ts or None,
            unfurl_links=False,
            unfurl_media=False,
        )
        return await self._sent(message, target, (str(resp["channel"]), str(resp["ts"])), durable)

    async def _dm(self, message: OutboxMessage, user_id: str, body: render.SlackMessage) -> None:
        await self._post_once(message, user_id, body)

    async def _dm_email(
        self, message: OutboxMessage, email: str, body: render.SlackMessage, durable: bool = False
    ) -> tuple[str, str] | None:
        user = await self.directory.user_id(email)
        if user is None:
            log.warning("no Slack user for a configured person (%s)", message.notice.value)
            return None
        return await self._post_once(message, user, body, durable=durable)

    async def _dm_actor(
        self, message: OutboxMessage, actor: Actor, body: render.SlackMessage
    ) -> None:
        """A person known by their Slack id, or found by email (a task given from elsewhere)."""
        if actor.platform == PLATFORM and actor.user_id:
            await self._dm(message, actor.user_id, body)
        else:
            await self._dm_email(message, actor.email, body)

    async def _remind(self, message: OutboxMessage, case: Case) -> None:
        """detail "t1:overdue": an overdue task done since needs no reminder any more."""
        task_id, _, kind = message.detail.partition(":")
        task = case.task(task_id)
        reminder = ReminderKind(kind)
        if task is None or (reminder is ReminderKind.OVERDUE and not task.is_open):
            return
        note = views.reminder(case, task, reminder, self.service.policy, self.service.trust.tz)
        await self._dm_actor(message, task.owner, render.note_message(note))

    async def _fetch_evidence(self, message: OutboxMessage, case: Case, file_id: str) -> None:
        """Download a screenshot with the bot token and keep it (5.1.7); say if it cannot be."""
        source = f"slack:{file_id}"
        if any(e.source == source for e in case.evidence):
            return  # kept before a restart: the outbox is asking again
        reporter = case.reporter
        name = "A screenshot"
        try:
            info = await self._file_info(file_id)
            name = str(info.get("name") or name)
            data = await self._download(str(info["url_private_download"]))
            await self.service.attach_evidence(
                case.reference,
                reporter,
                name,
                str(info.get("mimetype") or "application/octet-stream"),
                data,
                source,
            )
        except EvidenceRejected as exc:
            text = f"{name} was not kept as evidence for {case.reference}: {exc}"
            await self._dm(message, reporter.user_id, render.SlackMessage(text))
        except FetchRefused as exc:
            log.warning("refused to download evidence for %s: %s", case.reference, exc)
            text = (
                f"{name} was not kept as evidence for {case.reference}: Slack did not say where "
                "to fetch it from its own file hosts. Please send it to your head or deputy."
            )
            await self._dm(message, reporter.user_id, render.SlackMessage(text))
        except (FileGone, KeyError):
            log.warning("evidence for %s cannot be fetched from Slack", case.reference)
            text = (
                f"{name} could not be fetched from Slack for {case.reference}. "
                "Please send it to your head or deputy."
            )
            await self._dm(message, reporter.user_id, render.SlackMessage(text))

    async def _file_info(self, file_id: str) -> Mapping[str, Any]:
        try:
            return (await self.client.files_info(file=file_id))["file"]
        except SlackApiError as exc:
            if exc.response.get("error") in FILE_GONE:
                raise FileGone(file_id) from exc
            raise

    async def _download(self, url: str) -> bytes:
        """url_private_download with the bot token, through the fetch helper (Slack's own file
        hosts only, no redirects); one byte over the limit at most.

        A 5xx, a 429 or a dropped connection is raised for the outbox to retry; any other
        answer (a 4xx, a redirect) will not mend.
        """

        async def token() -> str | None:
            return self.client.token

        limit = self.service.trust.evidence_max_bytes
        try:
            return await self.fetch.get(url, self.fetch_rules, limit, token)
        except FetchFailed as exc:
            if exc.status < 500 and exc.status != 429:
                raise FileGone(url) from exc
            raise

    async def _post_cards(
        self, message: OutboxMessage, case: Case, school: School
    ) -> list[MessageRef]:
        card = render.approval_card(
            views.approval_card(case, self.service.policy, school, self.service.trust.tz)
        )
        if school.slack_leadership_channel:
            posted = [await self._post_once(message, school.slack_leadership_channel, card)]
        else:
            several = len(school.approvers) > 1
            found = [
                await self._dm_email(message, email, card, several) for email in school.approvers
            ]
            posted = [p for p in found if p]
            if not posted:
                raise RetryLater("no approver of the school is in Slack", NO_APPROVER_RETRY)
        return [MessageRef(PLATFORM, APPROVAL, channel, ts) for channel, ts in posted]

    async def _update_cards(self, case: Case, school: School) -> None:
        service = self.service
        card = render.approval_card(
            views.approval_card(case, service.policy, school, service.trust.tz, service.clock())
        )
        for ref in case.message(PLATFORM, APPROVAL):
            await self.client.chat_update(
                channel=ref.conversation,
                ts=ref.message_id,
                text=card.text,
                blocks=card.block_dicts(),
            )

    async def _replace_cards(self, case: Case, basis: str) -> None:
        """Before a purge: every message the bot posted about the case (its approval cards,
        thread notes, direct messages) becomes a short note saying it was removed."""
        body = render.note_message(views.case_removed(case.reference, basis))
        for ref in (m for m in case.messages if m.platform == PLATFORM):
            try:
                await self.client.chat_update(
                    channel=ref.conversation,
                    ts=ref.message_id,
                    text=body.text,
                    blocks=body.block_dicts(),
                )
            except SlackApiError as exc:
                if exc.response.get("error") not in MESSAGE_GONE:
                    raise
                log.info("a card of %s was already gone from Slack", case.reference)

    async def _thread(self, message: OutboxMessage, case: Case, body: render.SlackMessage) -> None:
        refs = case.message(PLATFORM, APPROVAL)
        for ref in refs:
            await self._post_once(
                message, ref.conversation, body, thread_ts=ref.message_id, durable=len(refs) > 1
            )
