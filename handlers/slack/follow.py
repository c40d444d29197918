"""After the decision in Slack: task modals, snoozes, post checks, closing, reopening, files."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.access import AccessKind
from bot.corrections import CORRECTABLE
from bot.drafts import remove_by_date
from bot.errors import BotError, FormErrors
from bot.models import Actor, Case, Task
from bot.service import CaseService, Outcome
from bot.service.files import CaseFiles, FileKind
from bot.service.follow_through import letter_of
from bot.sight import NOT_YOURS
from cards import slack as render
from cards import views
from cards.ids import CasePayload, FilePayload, InputId, TaskPayload, ViewId
from handlers.slack.decisions import whisper
from handlers.slack.payloads import (
    action_value,
    case_payload,
    file_payload,
    state_values,
    task_payload,
    user_id,
    where,
)
from handlers.slack.people import SlackDirectory

log = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[Any]]
Body = Mapping[str, Any]

# Which modal input shows each of the service's FormErrors keys, per modal.
TASK_DONE_INPUTS = {"result": InputId.TASK_RESULT, "reference": InputId.TASK_REFERENCE}
REASSIGN_INPUTS = {"owner": InputId.TASK_OWNER}
CLOSE_INPUTS = {"outcome": InputId.CLOSE_OUTCOME, "note": InputId.CLOSE_NOTE}
REOPEN_INPUTS = {"reason": InputId.REOPEN_REASON}
CORRECT_INPUTS = {
    "value": InputId.CORRECT_VALUE,
    "field": InputId.CORRECT_FIELD,
    "reason": InputId.CORRECT_REASON,
}
LETTER_INPUTS = {"remove_by": InputId.REMOVE_BY}


def modal_errors(exc: FormErrors, inputs: Mapping[str, InputId]) -> dict[str, str]:
    fallback = next(iter(inputs.values()))
    return {inputs.get(k, fallback).value: v for k, v in exc.errors.items()}


async def answer_modal(
    ack: Ack, reference: str, call: Awaitable[Outcome], inputs: Mapping[str, InputId]
) -> None:
    """Answer a modal's submission: its errors in the modal, a refusal, or the outcome."""
    try:
        outcome = await call
    except FormErrors as exc:
        await ack(response_action="errors", errors=modal_errors(exc, inputs))
        return
    except BotError as exc:
        await refuse(ack, reference, exc)
        return
    await finish(ack, outcome)


async def finish(ack: Ack, outcome: Outcome) -> None:
    """Close the modal when the change was made, else say in it why not."""
    if outcome.applied:
        await ack()
    else:
        await ack(
            response_action="update",
            view=render.notice_modal(outcome.case.reference, outcome.note),
        )


async def refuse(ack: Ack, reference: str, exc: BotError) -> None:
    await ack(response_action="update", view=render.notice_modal(reference, str(exc)))


class FollowThrough:
    """Each method: parse the payload, one service call, and tell the person what happened."""

    def __init__(
        self,
        service: CaseService,
        directory: SlackDirectory,
        client: AsyncWebClient,
        files: CaseFiles,
        base_url: str,
    ) -> None:
        self.service = service
        self.directory = directory
        self.client = client
        self.files = files
        self.base_url = base_url.rstrip("/")

    async def _whisper(self, body: Body, text: str) -> None:
        await whisper(self.client, body, text)

    async def _open_task(self, body: Body) -> tuple[Case, Task] | None:
        """The clicked task if it is still open and the clicker may work on it (its owner or a
        lead: need to know); otherwise they are told why not."""
        payload = task_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            case = (await self.service.get(payload.reference)).case
        except BotError as exc:
            await self._whisper(body, str(exc))
            return None
        task = case.task(payload.task_id)
        if task is None or not task.is_open:
            state = task.status.value if task else "gone"
            await self._whisper(body, f"That task on {case.reference} is already {state}.")
            return None
        if not self.service.sight(actor, case).task(task):
            await self._whisper(body, "Only the task's owner or the school's leads can change it.")
            return None
        return case, task

    def _title(self, case: Case, task: Task) -> str:
        return f"{case.reference}: {self.service.policy.action(task.action_id).labelled}"

    # tasks

    async def open_task_done(self, body: Body) -> None:
        found = await self._open_task(body)
        if found is None:
            return
        case, task = found
        modal = render.task_done_modal(
            self._title(case, task),
            views.REFERENCE_LABELS.get(task.action_id, ""),
            TaskPayload(case.reference, task.id).encode(),
        )
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def _submitted(self, body: Body) -> tuple[object, dict[str, Any], Actor]:
        """A modal's submission: its private metadata, its answers, and who submitted it."""
        view = body["view"]
        actor = await self.directory.actor(user_id(body))
        return view.get("private_metadata"), state_values(view.get("state")), actor

    async def submit_task_done(self, ack: Ack, body: Body) -> None:
        metadata, values, actor = await self._submitted(body)
        payload = TaskPayload.decode(metadata)
        await answer_modal(
            ack,
            payload.reference,
            self.service.complete_task(
                payload.reference,
                actor,
                payload.task_id,
                str(values.get(InputId.TASK_RESULT.value) or ""),
                str(values.get(InputId.TASK_REFERENCE.value) or ""),
            ),
            TASK_DONE_INPUTS,
        )

    async def open_reassign(self, body: Body) -> None:
        found = await self._open_task(body)
        if found is None:
            return
        case, task = found
        intro = f"{self._title(case, task)}. Now with {task.owner.name or task.owner.email}."
        modal = render.reassign_modal(intro, TaskPayload(case.reference, task.id).encode())
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_reassign(self, ack: Ack, body: Body) -> None:
        metadata, values, actor = await self._submitted(body)
        payload = TaskPayload.decode(metadata)
        chosen = str(values.get(InputId.TASK_OWNER.value) or "")
        if not chosen:
            await ack(
                response_action="errors", errors={InputId.TASK_OWNER.value: "Choose someone."}
            )
            return
        owner = await self.directory.actor(chosen)
        await answer_modal(
            ack,
            payload.reference,
            self.service.reassign_task(payload.reference, actor, payload.task_id, owner),
            REASSIGN_INPUTS,
        )

    async def snooze(self, body: Body) -> None:
        payload = task_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            outcome = await self.service.snooze_task(payload.reference, actor, payload.task_id)
        except BotError as exc:
            await self._whisper(body, str(exc))
            return
        task = outcome.case.task(payload.task_id)
        if not outcome.applied or task is None or task.remind_at is None:
            await self._whisper(body, outcome.note or "Nothing to snooze.")
            return
        when = task.remind_at.astimezone(self.service.trust.tz)
        await self._whisper(body, f"Snoozed: the next reminder comes at {when:%H:%M on %a %d %b}.")

    async def post_check(self, body: Body, still_up: bool) -> None:
        payload = task_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            outcome = await self.service.answer_post_check(
                payload.reference, actor, payload.task_id, still_up
            )
        except BotError as exc:
            await self._whisper(body, str(exc))
            return
        if not outcome.applied:
            await self._whisper(body, outcome.note)
        elif still_up:
            await self._whisper(
                body,
                f"Noted on {payload.reference}: the post is still up. The head can approve "
                "further action under 5.1 from the case card.",
            )
        else:
            await self._whisper(body, f"Noted on {payload.reference}: the post has been removed.")

    async def advise(self, body: Body, go_ahead: bool) -> None:
        """The DSL's advice on the held-back conversation with the parent."""
        payload = task_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            outcome = await self.service.record_dsl_advice(payload.reference, actor, go_ahead)
        except BotError as exc:
            await self._whisper(body, str(exc))
            return
        if not outcome.applied:
            await self._whisper(body, outcome.note)
            return
        said = "may go ahead" if go_ahead else "is held back"
        await self._whisper(
            body, f"Your advice is recorded on {payload.reference}: the conversation {said}."
        )

    # closing and reopening

    async def _approver_case(self, body: Body) -> tuple[CasePayload, Case] | None:
        """The clicked case if the clicker approves for its school; otherwise they are told."""
        payload = case_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            case = (await self.service.get(payload.reference)).case
            school = self.service.school_of(case)
        except BotError as exc:
            await self._whisper(body, str(exc))
            return None
        if not school.is_approver(actor.email):
            await self._whisper(
                body,
                f"Only {school.name}'s approvers can close, reopen or correct "
                f"{case.reference}. Nothing was changed.",
            )
            return None
        return payload, case

    async def open_correct(self, body: Body) -> None:
        found = await self._approver_case(body)
        if found is None:
            return
        payload, case = found
        intro = (
            f"Correct an answer of {case.reference}. The report as filed is kept; the case "
            "shows the corrected answer, and the correction goes on its record with your reason."
        )
        fields = [(field, label) for field, (label, _) in CORRECTABLE.items()]
        modal = render.correct_modal(intro, fields, payload.encode())
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_correct(self, ack: Ack, body: Body) -> None:
        metadata, values, actor = await self._submitted(body)
        payload = CasePayload.decode(metadata)
        await answer_modal(
            ack,
            payload.reference,
            self.service.correct_answer(
                payload.reference,
                actor,
                str(values.get(InputId.CORRECT_FIELD.value) or ""),
                str(values.get(InputId.CORRECT_VALUE.value) or ""),
                str(values.get(InputId.CORRECT_REASON.value) or ""),
            ),
            CORRECT_INPUTS,
        )

    async def open_close(self, body: Body) -> None:
        found = await self._approver_case(body)
        if found is None:
            return
        payload, case = found
        still_open = sum(1 for t in case.tasks if t.is_open)
        intro = f"Close {case.reference}?"
        if still_open:
            intro += (
                f" {still_open} task(s) are still open: closing with any outcome but "
                "no further action needs them done first."
            )
        modal = render.close_modal(intro, payload.encode())
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_close(self, ack: Ack, body: Body) -> None:
        metadata, values, actor = await self._submitted(body)
        payload = CasePayload.decode(metadata)
        await answer_modal(
            ack,
            payload.reference,
            self.service.close(
                payload.reference,
                actor,
                str(values.get(InputId.CLOSE_OUTCOME.value) or ""),
                str(values.get(InputId.CLOSE_NOTE.value) or ""),
            ),
            CLOSE_INPUTS,
        )

    async def open_reopen(self, body: Body) -> None:
        found = await self._approver_case(body)
        if found is None:
            return
        payload, case = found
        modal = render.text_modal(
            ViewId.REOPEN,
            "Reopen the case",
            f"Reopen {case.reference}? The reason goes on its record.",
            InputId.REOPEN_REASON,
            "Why is it reopened?",
            "Reopen",
            payload.encode(),
        )
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_reopen(self, ack: Ack, body: Body) -> None:
        metadata, values, actor = await self._submitted(body)
        payload = CasePayload.decode(metadata)
        reason = str(values.get(InputId.REOPEN_REASON.value) or "")
        await answer_modal(
            ack,
            payload.reference,
            self.service.reopen(payload.reference, actor, reason),
            REOPEN_INPUTS,
        )

    # looking at a case

    async def view_case(self, body: Body) -> None:
        """A case opened from the register (the Home tab), as this person may see it: a
        deliberate look, so it goes in the case's access log."""
        reference = str(action_value(body))
        actor = await self.directory.actor(user_id(body))
        try:
            case = (await self.service.get(reference)).case
        except (BotError, ValueError):
            modal = render.notice_modal("No such case", f"There is no case {reference[:40]}.")
            await self.client.views_open(trigger_id=body["trigger_id"], view=modal)
            return
        sight = self.service.sight(actor, case)
        if not sight.any:
            refusal = render.notice_modal(case.reference, NOT_YOURS.format(reference=reference))
            await self.client.views_open(trigger_id=body["trigger_id"], view=refusal)
            return
        service = self.service
        school = service.school_of(case)
        view = views.approval_card(
            case, service.policy, school, service.trust.tz, service.clock(), sight
        )
        await service.record_access(case.reference, actor, AccessKind.CASE_VIEWED)
        await self.client.views_open(trigger_id=body["trigger_id"], view=render.case_modal(view))

    # the 5.1.1 letter

    async def open_letter(self, body: Body) -> None:
        """The letter form (an optional remove-by date); a letter already made is just opened."""
        payload = file_payload(body)
        actor = await self.directory.actor(user_id(body))
        try:
            case = (await self.service.get(payload.reference)).case
            if letter_of(case) is not None:
                await self.open_file(body)
                return
            self.service.check_letter_maker(case, actor)
        except BotError as exc:
            await self._whisper(body, str(exc))
            return
        intro = f"{case.reference}: the warning letter (5.1.1)."
        modal = render.letter_modal(intro, payload.encode())
        await self.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_letter(self, ack: Ack, body: Body) -> None:
        metadata, values, actor = await self._submitted(body)
        payload = FilePayload.decode(metadata)
        try:
            remove_by = remove_by_date(str(values.get(InputId.REMOVE_BY.value) or ""))
            outcome = await self.service.make_letter(payload.reference, actor, remove_by)
        except FormErrors as exc:
            await ack(response_action="errors", errors=modal_errors(exc, LETTER_INPUTS))
            return
        except BotError as exc:
            await refuse(ack, payload.reference, exc)
            return
        letter = letter_of(outcome.case)
        if not outcome.applied or letter is None:
            await finish(ack, outcome)
            return
        log.info("letter made on %s", payload.reference)
        await ack(
            response_action="update",
            view=render.notice_modal(
                payload.reference,
                f"The letter is made and kept with {payload.reference} (SHA-256 "
                f"{letter.short_hash}…). Press Open beside it on the case card to download it.",
            ),
        )

    # files

    async def open_file(self, body: Body) -> None:
        """A signed five-minute link, privately, for someone allowed to see the case."""
        payload = file_payload(body)
        actor = await self.directory.actor(user_id(body))
        kind = FileKind(payload.kind)
        try:
            path = await self.files.link(payload.reference, actor, kind, payload.key)
            case = (await self.service.get(payload.reference)).case
        except BotError as exc:
            log.info("no file link on %s: %s", payload.reference, type(exc).__name__)
            await self._whisper(body, str(exc))
            return
        url = self.base_url + path
        note = views.file_link(file_name(case, kind, payload.key), url)
        message = render.file_link_message(note, url)
        channel, _ = where(body)
        await self.client.chat_postEphemeral(
            channel=channel, user=actor.user_id, text=message.text, blocks=message.block_dicts()
        )
        log.info("file link given on %s (%s)", payload.reference, kind.value)


def file_name(case: Case, kind: FileKind, key: str) -> str:
    if kind is FileKind.EVIDENCE:
        return next((e.name for e in case.evidence if e.sha256 == key), "the file")
    return f"the draft warning letter for {case.reference}"
