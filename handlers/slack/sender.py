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
from bot.outbox import Mark, RetryLater
from bot.service import CaseService
from cards import slack as render
from cards import views
from cards.ids import ActionId
from handlers.fetch import FetchFailed, FetchRefused, SafeFetch, slack_rules
from handlers.slack.history import (
    EVENT_CARD,
    EVENT_NOTICE,
    History,
    Pacer,
    card_of,
    metadata,
    of_notice,
)
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


async def unmarked() -> None:
    """No outbox worker around (a test calling deliver): nothing to mark."""


class SlackSender:
    """Delivers one outbox message; returns where approval cards now live."""

    marks_in_flight = True  # after pacing, right before the Web API call: see _mark

    def __init__(
        self,
        client: AsyncWebClient,
        service: CaseService,
        directory: SlackDirectory,
        fetch: SafeFetch,
        api_url: str = "",
        pacer: Pacer | None = None,
    ) -> None:
        self.client = client
        self.service = service
        self.directory = directory
        self.fetch = fetch
        self.fetch_rules = slack_rules(api_url)
        self.history = History(client)
        self.pacer = pacer or Pacer()
        # (outbox message id, target) -> (channel, ts) of posts that already went out, so a
        # retry after a partial failure does not post twice to the targets that got it. Where a
        # message has several targets this is also kept in the store (OutboxMessage.sent), so a
        # restart does not post twice either.
        self._posted: dict[tuple[str, str], tuple[str, str]] = {}
        self._references: dict[str, str] = {}  # outbox message id -> its case, while delivering
        self._marks: dict[str, Mark] = {}  # outbox message id -> its in-flight mark, until made

    async def deliver(
        self, record: CaseFile, message: OutboxMessage, mark: Mark = unmarked
    ) -> list[MessageRef]:
        for entry in message.sent:  # targets reached before a restart
            target, _, where = entry.partition("\t")
            channel, _, ts = where.partition(" ")
            self._posted.setdefault((message.id, target), (channel, ts))
        self._references[message.id] = record.case.reference
        self._marks[message.id] = mark
        try:
            refs = await self._deliver(record.case, message)
        except (SlackClientError, FetchFailed, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise as_retry(exc) from exc
        finally:
            del self._references[message.id]
            self._marks.pop(message.id, None)
        cards = {(r.conversation, r.message_id) for r in refs}
        notes = [
            MessageRef(PLATFORM, NOTE, *where)
            for (mid, target), where in self._posted.items()
            if mid == message.id and where not in cards
        ]
        for key in [k for k in self._posted if k[0] == message.id]:
            del self._posted[key]  # delivered: the outbox will not ask again
        # Every post is kept on the case (a purge replaces them all), the approval cards first.
        return [*refs, *notes]

    async def _mark(self, message: OutboxMessage) -> None:
        """In flight, durably, before the first Web API call that may post (once per attempt)."""
        mark = self._marks.pop(message.id, None)
        if mark is not None:
            await mark()

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
            due = render.note_message(views.retention_due(case, message.detail, years))
            for email in school.approvers:
                await self._dm_email(message, email, due, len(school.approvers) > 1)
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
        event_type: str = EVENT_NOTICE,
    ) -> tuple[str, str]:
        """Post unless this target already has it: kept here, in the store, or (after an attempt
        that may have reached Slack) found in the conversation by the metadata it carries."""
        target = f"{channel}:{thread_ts}"
        if (message.id, target) in self._posted:
            return self._posted[(message.id, target)]
        reference = self._references[message.id]
        if message.in_flight_at is not None:
            found = await self.history.find(
                channel, message.in_flight_at, of_notice(message.id), thread_ts
            )
            if found:
                log.info("%s for %s already in Slack: recorded", message.notice.value, reference)
                first = min(found, key=lambda m: float(m["ts"]))
                return await self._sent(
                    message, target, (str(first["channel"]), str(first["ts"])), durable
                )
        await self.pacer.turn(channel)
        await self._mark(message)
        try:
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=body.text,
                blocks=body.block_dicts(),
                thread_ts=thread_ts or None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata(event_type, reference, message.id),
            )
        except SlackApiError as exc:
            hint = retry_after(exc.response.headers) if exc.response.status_code == 429 else None
            if hint is not None:
                self.pacer.hold(channel, hint)
            raise
        return await self._sent(message, target, (str(resp["channel"]), str(resp["ts"])), durable)

    async def _dm(self, message: OutboxMessage, user_id: str, body: render.SlackMessage) -> None:
        await self._post_once(message, user_id, body)

    async def _dm_email(
        self,
        message: OutboxMessage,
        email: str,
        body: render.SlackMessage,
        durable: bool = False,
        event_type: str = EVENT_NOTICE,
    ) -> tuple[str, str] | None:
        user = await self.directory.user_id(email)
        if user is None:
            log.warning("no Slack user for a configured person (%s)", message.notice.value)
            return None
        return await self._post_once(message, user, body, durable=durable, event_type=event_type)

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
        recorded = case.message(PLATFORM, APPROVAL)
        if recorded:
            return list(recorded)  # a card is recorded: never a second one
        if school.slack_leadership_channel:
            channel = school.slack_leadership_channel
            posted = [await self._post_once(message, channel, card, event_type=EVENT_CARD)]
        else:
            several = len(school.approvers) > 1
            found = [
                await self._dm_email(message, email, card, several, EVENT_CARD)
                for email in school.approvers
            ]
            posted = [p for p in found if p]
            if not posted:
                raise RetryLater("no approver of the school is in Slack", NO_APPROVER_RETRY)
        # A card sent again after an attempt that may have reached Slack: its updates look for
        # a copy that slipped through (healing), where a first-time card needs no search.
        extra = (("retried", "1"),) if message.in_flight_at is not None else ()
        return [MessageRef(PLATFORM, APPROVAL, channel, ts, extra) for channel, ts in posted]

    async def _update_cards(self, case: Case, school: School) -> None:
        service = self.service
        card = render.approval_card(
            views.approval_card(case, service.policy, school, service.trust.tz, service.clock())
        )
        recorded = case.message(PLATFORM, APPROVAL)
        for ref in recorded:
            await self.client.chat_update(
                channel=ref.conversation,
                ts=ref.message_id,
                text=card.text,
                blocks=card.block_dicts(),
            )
        for channel, ts in await self._unrecorded_cards(case):
            log.info("healing an unrecorded card of %s", case.reference)
            await self.client.chat_update(
                channel=channel, ts=ts, text=card.text, blocks=card.block_dicts()
            )

    async def _unrecorded_cards(self, case: Case) -> list[tuple[str, str]]:
        """Cards of this case the bot posted but never recorded (a crash between Slack taking
        one and the store keeping it), found by their metadata where a card was sent again:
        updated with the recorded ones, so none keeps buttons or content that no longer apply."""
        recorded = case.message(PLATFORM, APPROVAL)
        known = {(r.conversation, r.message_id) for r in recorded}
        retried = dict.fromkeys(r.conversation for r in recorded if dict(r.extra).get("retried"))
        return [
            (channel, str(other["ts"]))
            for channel in retried
            for other in await self.history.find(channel, case.created_at, card_of(case.reference))
            if (channel, str(other["ts"])) not in known
        ]

    async def _replace_cards(self, case: Case, basis: str) -> None:
        """Before a purge: every message the bot posted about the case (its approval cards,
        thread notes, direct messages) becomes a short note saying it was removed."""
        body = render.note_message(views.case_removed(case.reference, basis))
        posts = [(m.conversation, m.message_id) for m in case.messages if m.platform == PLATFORM]
        for conversation, ts in [*posts, *await self._unrecorded_cards(case)]:
            try:
                await self.client.chat_update(
                    channel=conversation,
                    ts=ts,
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
