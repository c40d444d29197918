"""Approvers' clicks on the card, their reason and question modals, and the reporter's answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError, FormErrors, NotAllowed, StaleVersion, UnknownCase
from bot.service import CaseService, Outcome
from cards import slack as render
from cards import views
from cards.ids import CasePayload, InputId, ViewId
from handlers.slack.payloads import case_payload, state_values, ticked_actions, user_id, where
from handlers.slack.people import SlackDirectory

log = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[Any]]
REFUSALS = (NotAllowed, StaleVersion, UnknownCase)

# Which modal input shows each of the service's FormErrors keys.
ERROR_INPUTS = {
    "reason": InputId.REASON,
    "question": InputId.QUESTION,
    "answer": InputId.ANSWER,
}


def form_errors(exc: FormErrors, fallback: InputId) -> dict[str, str]:
    return {ERROR_INPUTS.get(k, fallback).value: v for k, v in exc.errors.items()}


async def whisper(client: AsyncWebClient, body: Mapping[str, Any], text: str) -> None:
    """An ephemeral message to the person who clicked, where they clicked."""
    channel, _ = where(body)
    await client.chat_postEphemeral(channel=channel, user=user_id(body), text=text)


class Decisions:
    """Each method: parse the payload, one service call, and tell the person what happened."""

    def __init__(
        self, service: CaseService, directory: SlackDirectory, client: AsyncWebClient
    ) -> None:
        self.service = service
        self.directory = directory
        self.client = client

    async def _whisper(self, body: Mapping[str, Any], text: str) -> None:
        await whisper(self.client, body, text)

    async def _refresh(self, body: Mapping[str, Any], payload: CasePayload) -> None:
        """Re-render the clicked card from the stored case (after a stale click)."""
        channel, ts = where(body)
        case = (await self.service.get(payload.reference)).case
        school = self.service.school_of(case)
        service = self.service
        card = render.approval_card(
            views.approval_card(case, service.policy, school, service.trust.tz, service.clock())
        )
        await self.client.chat_update(
            channel=channel, ts=ts, text=card.text, blocks=card.block_dicts()
        )

    async def _refused(self, body: Mapping[str, Any], payload: CasePayload, exc: Exception) -> None:
        log.info("%s refused on %s: %s", type(exc).__name__, payload.reference, user_id(body))
        await self._whisper(body, str(exc))
        if isinstance(exc, StaleVersion):
            await self._refresh(body, payload)

    async def approve(self, body: Mapping[str, Any]) -> None:
        """Approve the ticked actions: one decision however many clicks (the service sees to it)."""
        payload = case_payload(body)
        actions, other = ticked_actions(body)
        actor = await self.directory.actor(user_id(body))
        try:
            outcome = await self.service.approve(
                payload.reference, actor, payload.version, actions, other
            )
        except FormErrors as exc:
            await self._whisper(body, " ".join(exc.errors.values()))
            return
        except REFUSALS as exc:
            await self._refused(body, payload, exc)
            return
        await self._report(body, outcome)

    async def _report(self, body: Mapping[str, Any], outcome: Outcome) -> None:
        if outcome.applied:
            log.info("decision applied on %s", outcome.case.reference)
        else:
            await self._whisper(body, outcome.note)

    async def open_reason(self, body: Mapping[str, Any], callback: ViewId) -> None:
        """Decline or ask: check the clicker may decide, then ask for the reason or question."""
        payload = case_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            done = await self.service.check_decision(payload.reference, actor, payload.version)
        except REFUSALS as exc:
            await self._refused(body, payload, exc)
            return
        if done is not None:
            await self._whisper(body, done.note)
            return
        await self.client.views_open(
            trigger_id=body["trigger_id"], view=self._reason_modal(callback, payload)
        )

    @staticmethod
    def _reason_modal(callback: ViewId, payload: CasePayload) -> Any:
        ref = payload.reference
        if callback is ViewId.DECLINE:
            return render.text_modal(
                ViewId.DECLINE,
                "Decline the report",
                f"Decline {ref}? The reporter is told your reason.",
                InputId.REASON,
                "Why is the report declined?",
                "Decline",
                payload.encode(),
            )
        return render.text_modal(
            ViewId.ASK_INFO,
            "Ask the reporter",
            f"Ask the reporter of {ref} for more information. They answer in Slack.",
            InputId.QUESTION,
            "What would you like to know?",
            "Send question",
            payload.encode(),
        )

    async def submit_reason(self, ack: Ack, body: Mapping[str, Any], callback: ViewId) -> None:
        """The decline reason or the question: the service decides, the modal shows the outcome."""
        view = body["view"]
        payload = CasePayload.decode(view.get("private_metadata"))
        values = state_values(view.get("state"))
        actor = await self.directory.actor(user_id(body))
        try:
            if callback is ViewId.DECLINE:
                text = values.get(InputId.REASON.value, "")
                outcome = await self.service.decline(
                    payload.reference, actor, payload.version, text
                )
            else:
                text = values.get(InputId.QUESTION.value, "")
                outcome = await self.service.ask_more_info(
                    payload.reference, actor, payload.version, text
                )
        except FormErrors as exc:
            fallback = InputId.REASON if callback is ViewId.DECLINE else InputId.QUESTION
            await ack(response_action="errors", errors=form_errors(exc, fallback))
            return
        except REFUSALS as exc:
            await ack(
                response_action="update", view=render.notice_modal(payload.reference, str(exc))
            )
            return
        await self._close(ack, outcome)

    @staticmethod
    async def _close(ack: Ack, outcome: Outcome) -> None:
        if outcome.applied:
            await ack()
        else:
            note = render.notice_modal(outcome.case.reference, outcome.note)
            await ack(response_action="update", view=note)

    async def open_answer(self, body: Mapping[str, Any]) -> None:
        """The reporter's Answer button: a modal showing the question, asking for the answer."""
        payload = case_payload(body)
        actor = await self.directory.actor(user_id(body))
        case = (await self.service.get(payload.reference)).case
        open_question = case.info_requests[-1].question if case.info_requests else ""
        if not self.service.can_view(actor, case) or not open_question:
            await self._whisper(body, f"There is no question for you on {case.reference}.")
            return
        modal = render.text_modal(
            ViewId.ANSWER_INFO,
            "Answer the question",
            f"{case.reference}: {open_question}",
            InputId.ANSWER,
            "Your answer",
            "Send answer",
            payload.reference,
            max_length=4000,
        )
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_answer(self, ack: Ack, body: Mapping[str, Any]) -> None:
        view = body["view"]
        reference = str(view.get("private_metadata", ""))
        answer = state_values(view.get("state")).get(InputId.ANSWER.value, "")
        actor = await self.directory.actor(user_id(body))
        try:
            outcome = await self.service.add_information(reference, actor, answer)
        except FormErrors as exc:
            await ack(response_action="errors", errors=form_errors(exc, InputId.ANSWER))
            return
        except BotError as exc:
            await ack(response_action="update", view=render.notice_modal("Answer", str(exc)))
            return
        await self._close(ack, outcome)
