"""After the decision on Teams: task forms, snoozes, post checks, closing, reopening, file links."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.corrections import CORRECTABLE
from bot.drafts import remove_by_date
from bot.errors import BotError, FormErrors
from bot.models import Actor, Case, Task
from bot.service import CaseService, Outcome
from bot.service.files import CaseFiles, FileKind
from bot.service.follow_through import letter_of
from cards import teams, views
from cards.ids import ActionId, CasePayload, FilePayload, InputId, TaskPayload, ViewId
from cards.teams import Card, Mode
from handlers.teams.case import CaseCards
from handlers.teams.people import People

log = logging.getLogger(__name__)

Data = Mapping[str, Any]
Verb = Callable[[Actor, Data, Mode], Awaitable[Card]]


CORRECT_FIELDS = [(field, label) for field, (label, _) in CORRECTABLE.items()]


def back_of(data: Data) -> str:
    """Where the button was: a case card is answered with the case, a note with a message."""
    return teams.ON_NOTE if data.get(teams.BACK) == teams.ON_NOTE else teams.ON_CASE


def text_of(data: Data, key: InputId) -> str:
    return str(data.get(key.value) or "")


def file_name(case: Case, kind: FileKind, key: str) -> str:
    if kind is FileKind.EVIDENCE:
        return next((e.name for e in case.evidence if e.sha256 == key), "the file")
    return f"the draft warning letter for {case.reference}"


class FollowThrough:
    """One method per verb: parse the data, one service call, answer with a card."""

    def __init__(
        self,
        service: CaseService,
        people: People,
        cards: CaseCards,
        files: CaseFiles | None,
        base_url: str,
    ) -> None:
        self.service = service
        self.people = people
        self.cards = cards
        self.files = files
        self.base_url = base_url.rstrip("/")

    def verbs(self) -> dict[str, Verb]:
        return {
            ActionId.TASK_DONE: self.task_done_form,
            ViewId.TASK_DONE: self.task_done,
            ActionId.TASK_REASSIGN: self.reassign_form,
            ViewId.TASK_REASSIGN: self.reassign,
            ActionId.TASK_SNOOZE: self.snooze,
            ActionId.POST_REMOVED: self.post_removed,
            ActionId.POST_STILL_UP: self.post_still_up,
            ActionId.ADVISE_GO_AHEAD: self.advise_go_ahead,
            ActionId.ADVISE_HOLD: self.advise_hold,
            ActionId.CLOSE_CASE: self.close_form,
            ViewId.CLOSE: self.close,
            ActionId.REOPEN_CASE: self.reopen_form,
            ViewId.REOPEN: self.reopen,
            ActionId.CORRECT_ANSWER: self.correct_form,
            ViewId.CORRECT: self.correct,
            ActionId.OPEN_FILE: self.open_file,
            ActionId.MAKE_LETTER: self.letter_form,
            ViewId.LETTER: self.make_letter,
        }

    # answering

    async def answer(self, case: Case, actor: Actor, back: str, note: str) -> Card:
        """The case card again (for everyone's shared card) or, on a note, a short message."""
        if back == teams.ON_CASE:
            return await self.cards.for_person(case, actor, note=note)
        return teams.message_card(f"Report {case.reference}", [note])

    async def refused(self, reference: str, actor: Actor, back: str, exc: BotError) -> Card:
        try:
            case = (await self.service.get(reference)).case
        except BotError:
            return teams.message_card("Not done", [str(exc)], attention=True)
        if back == teams.ON_CASE:
            return await self.cards.for_person(case, actor, note=str(exc))
        return teams.message_card("Not done", [str(exc)], attention=True)

    async def after(self, outcome: Outcome, actor: Actor, back: str, done: str) -> Card:
        return await self.answer(
            outcome.case, actor, back, done if outcome.applied else outcome.note
        )

    # tasks

    def title(self, task: Task) -> str:
        return self.service.policy.action(task.action_id).labelled

    async def open_task(self, actor: Actor, data: Data) -> tuple[Case, Task, TaskPayload] | Card:
        """The clicked task if this person may work on it and it is still open; else why not."""
        payload = TaskPayload.decode(data.get(teams.TASK))
        case = (await self.service.get(payload.reference)).case
        task = case.task(payload.task_id)
        back = back_of(data)
        if task is None or not task.is_open:
            state = task.status.value if task else "gone"
            return await self.answer(case, actor, back, f"That task is already {state}.")
        school = self.service.school_of(case)
        if task.owner.email != actor.email.lower() and not school.is_lead(actor.email):
            # The service refuses too; saying so now spares them filling in the form.
            note = "Only the task's owner or the school's leads can change it."
            return await self.answer(case, actor, back, note)
        return case, task, payload

    async def task_done_form(self, actor: Actor, data: Data, mode: Mode) -> Card:
        found = await self.open_task(actor, data)
        if not isinstance(found, tuple):
            return found
        case, task, _ = found
        return self.task_done_card(case, task, back_of(data))

    def task_done_card(
        self,
        case: Case,
        task: Task,
        back: str,
        values: Data | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> Card:
        return teams.task_done_form(
            f"{self.title(task)} ({case.reference})",
            task.action_id,
            TaskPayload(case.reference, task.id).encode(),
            CasePayload(case.reference, case.version).encode(),
            back,
            values=values,
            errors=errors,
        )

    async def task_again(self, payload: TaskPayload) -> tuple[Case, Task]:
        """The task a form was refused on, as it stands now (to show the form again)."""
        case = (await self.service.get(payload.reference)).case
        task = case.task(payload.task_id)
        if task is None:  # the service found it before judging the answers
            raise LookupError(f"{payload.task_id} is not a task of {payload.reference}")
        return case, task

    async def task_done(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = TaskPayload.decode(data.get(teams.TASK))
        back = back_of(data)
        try:
            outcome = await self.service.complete_task(
                payload.reference,
                actor,
                payload.task_id,
                text_of(data, InputId.TASK_RESULT),
                text_of(data, InputId.TASK_REFERENCE),
            )
        except FormErrors as exc:
            case, task = await self.task_again(payload)
            return self.task_done_card(case, task, back, values=data, errors=exc.errors)
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        if outcome.applied:
            log.info("task %s on %s done via Teams", payload.task_id, payload.reference)
        return await self.after(outcome, actor, back, "Task marked done.")

    async def reassign_form(self, actor: Actor, data: Data, mode: Mode) -> Card:
        found = await self.open_task(actor, data)
        if not isinstance(found, tuple):
            return found
        case, task, _ = found
        return self.reassign_card(case, task, back_of(data))

    def reassign_card(
        self, case: Case, task: Task, back: str, value: str = "", error: str | None = None
    ) -> Card:
        return teams.reassign_form(
            f"{self.title(task)} ({case.reference})",
            task.owner.name or task.owner.email,
            TaskPayload(case.reference, task.id).encode(),
            CasePayload(case.reference, case.version).encode(),
            back,
            value=value,
            error=error,
        )

    async def reassign(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = TaskPayload.decode(data.get(teams.TASK))
        back = back_of(data)
        email = text_of(data, InputId.TASK_OWNER).strip().lower()
        owner = await self.people.actor_for(email)
        try:
            outcome = await self.service.reassign_task(
                payload.reference, actor, payload.task_id, owner
            )
        except FormErrors as exc:
            case, task = await self.task_again(payload)
            error = exc.errors.get("owner") or next(iter(exc.errors.values()))
            return self.reassign_card(case, task, back, value=email, error=error)
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        if not outcome.applied:
            return await self.answer(outcome.case, actor, back, outcome.note)
        reached = await self.people.reach(email) is not None
        note = (
            f"Reassigned to {email}: I have sent them a message."
            if reached
            else f"Reassigned to {email}. They have not opened this app yet: please tell them."
        )
        return await self.answer(outcome.case, actor, back, note)

    async def snooze(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = TaskPayload.decode(data.get(teams.TASK))
        back = back_of(data)
        try:
            outcome = await self.service.snooze_task(payload.reference, actor, payload.task_id)
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        task = outcome.case.task(payload.task_id)
        if task is None or task.remind_at is None:
            return await self.answer(
                outcome.case, actor, back, outcome.note or "Nothing to snooze."
            )
        when = f"{task.remind_at.astimezone(self.service.trust.tz):%H:%M on %a %d %b}"
        note = (
            f"Snoozed: the next reminder comes at {when}."
            if outcome.applied
            else f"{outcome.note} The next reminder comes at {when}."
        )
        return await self.answer(outcome.case, actor, back, note)

    async def post_check(self, actor: Actor, data: Data, still_up: bool) -> Card:
        payload = TaskPayload.decode(data.get(teams.TASK))
        back = back_of(data)
        try:
            outcome = await self.service.answer_post_check(
                payload.reference, actor, payload.task_id, still_up
            )
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        done = (
            "Noted: the post is still up. The head can approve further action under 5.1."
            if still_up
            else "Noted: the post has been removed."
        )
        return await self.after(outcome, actor, back, done)

    async def post_removed(self, actor: Actor, data: Data, mode: Mode) -> Card:
        return await self.post_check(actor, data, still_up=False)

    async def post_still_up(self, actor: Actor, data: Data, mode: Mode) -> Card:
        return await self.post_check(actor, data, still_up=True)

    async def advise(self, actor: Actor, data: Data, go_ahead: bool) -> Card:
        """The DSL's advice on the held-back conversation with the parent."""
        payload = TaskPayload.decode(data.get(teams.TASK))
        back = back_of(data)
        try:
            outcome = await self.service.record_dsl_advice(payload.reference, actor, go_ahead)
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        said = "may go ahead" if go_ahead else "is held back"
        return await self.after(
            outcome, actor, back, f"Your advice is recorded: the conversation {said}."
        )

    async def advise_go_ahead(self, actor: Actor, data: Data, mode: Mode) -> Card:
        return await self.advise(actor, data, go_ahead=True)

    async def advise_hold(self, actor: Actor, data: Data, mode: Mode) -> Card:
        return await self.advise(actor, data, go_ahead=False)

    # closing and reopening: approvers only (the service checks; the forms say so up front)

    async def approvers_case(self, actor: Actor, data: Data) -> Case | Card:
        payload = CasePayload.decode(data.get(teams.CASE))
        case = (await self.service.get(payload.reference)).case
        school = self.service.school_of(case)
        if not school.is_approver(actor.email):
            note = (
                f"Only {school.name}'s approvers can close, reopen or correct "
                f"{case.reference}. Nothing was changed."
            )
            return await self.answer(case, actor, back_of(data), note)
        return case

    async def close_form(self, actor: Actor, data: Data, mode: Mode) -> Card:
        case = await self.approvers_case(actor, data)
        if not isinstance(case, Case):
            return case
        if not case.status.follows_through:
            return await self.answer(case, actor, back_of(data), "This case cannot be closed now.")
        payload = CasePayload(case.reference, case.version).encode()
        return teams.close_form(case.reference, payload, sum(t.is_open for t in case.tasks))

    async def close(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = CasePayload.decode(data.get(teams.CASE))
        try:
            outcome = await self.service.close(
                payload.reference,
                actor,
                text_of(data, InputId.CLOSE_OUTCOME),
                text_of(data, InputId.CLOSE_NOTE),
            )
        except FormErrors as exc:
            case = (await self.service.get(payload.reference)).case
            return teams.close_form(
                case.reference,
                payload.encode(),
                sum(t.is_open for t in case.tasks),
                values=data,
                errors=exc.errors,
            )
        except BotError as exc:
            return await self.refused(payload.reference, actor, teams.ON_CASE, exc)
        if outcome.applied:
            log.info("%s closed via Teams", payload.reference)
        return await self.after(outcome, actor, teams.ON_CASE, "Case closed.")

    async def reopen_form(self, actor: Actor, data: Data, mode: Mode) -> Card:
        case = await self.approvers_case(actor, data)
        if not isinstance(case, Case):
            return case
        return teams.reopen_form(case.reference, CasePayload(case.reference, case.version).encode())

    async def reopen(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = CasePayload.decode(data.get(teams.CASE))
        try:
            outcome = await self.service.reopen(
                payload.reference, actor, text_of(data, InputId.REOPEN_REASON)
            )
        except FormErrors as exc:
            error = exc.errors.get("reason") or next(iter(exc.errors.values()))
            return teams.reopen_form(payload.reference, payload.encode(), error)
        except BotError as exc:
            return await self.refused(payload.reference, actor, teams.ON_CASE, exc)
        return await self.after(outcome, actor, teams.ON_CASE, "Case reopened.")

    # the 5.1.1 letter

    async def letter_form(self, actor: Actor, data: Data, mode: Mode) -> Card:
        """The letter form (an optional remove-by date); a letter already made is just opened."""
        payload = FilePayload.decode(data.get(teams.FILE))
        back = back_of(data)
        try:
            case = (await self.service.get(payload.reference)).case
            if letter_of(case) is not None:
                return await self.open_file(actor, data, mode)
            self.service.check_letter_maker(case, actor)
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        case_payload = CasePayload(case.reference, case.version).encode()
        return teams.letter_form(case.reference, payload.encode(), case_payload, back)

    async def make_letter(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = FilePayload.decode(data.get(teams.FILE))
        back = back_of(data)
        value = text_of(data, InputId.REMOVE_BY)
        try:
            remove_by = remove_by_date(value)
            await self.service.make_letter(payload.reference, actor, remove_by)
        except FormErrors as exc:
            case = (await self.service.get(payload.reference)).case
            case_payload = CasePayload(case.reference, case.version).encode()
            error = exc.errors.get("remove_by") or next(iter(exc.errors.values()))
            return teams.letter_form(
                case.reference, payload.encode(), case_payload, back, value, error
            )
        except BotError as exc:
            return await self.refused(payload.reference, actor, back, exc)
        log.info("letter made on %s via Teams", payload.reference)
        # Made (or made already): the person gets their link to it, as Open gives.
        return await self.open_file(actor, data, mode)

    # files

    async def open_file(self, actor: Actor, data: Data, mode: Mode) -> Card:
        """A fresh signed link for this person only, if they may see the case."""
        payload = FilePayload.decode(data.get(teams.FILE))
        kind = FileKind(payload.kind)
        if self.files is None:
            return teams.message_card("Files are not available on this server.")
        try:
            path = await self.files.link(payload.reference, actor, kind, payload.key)
        except BotError as exc:
            log.info("no file link on %s: %s", payload.reference, type(exc).__name__)
            return teams.message_card("No link for you", [str(exc)], attention=True)
        case = (await self.service.get(payload.reference)).case
        url = self.base_url + path
        name = file_name(case, kind, payload.key)
        log.info("file link given on %s (%s)", payload.reference, kind.value)
        if back_of(data) == teams.ON_CASE:
            return await self.cards.for_person(case, actor, link=(f"Open {name}", url))
        again = views.Button("Get a new link", ActionId.OPEN_FILE, payload.encode())
        return teams.link_card(views.file_link(name, url), url, again)

    # correcting an answer

    async def correct_form(self, actor: Actor, data: Data, mode: Mode) -> Card:
        case = await self.approvers_case(actor, data)
        if not isinstance(case, Case):
            return case
        payload = CasePayload(case.reference, case.version).encode()
        return teams.correct_form(case.reference, payload, CORRECT_FIELDS)

    async def correct(self, actor: Actor, data: Data, mode: Mode) -> Card:
        payload = CasePayload.decode(data.get(teams.CASE))
        try:
            outcome = await self.service.correct_answer(
                payload.reference,
                actor,
                text_of(data, InputId.CORRECT_FIELD),
                text_of(data, InputId.CORRECT_VALUE),
                text_of(data, InputId.CORRECT_REASON),
            )
        except FormErrors as exc:
            return teams.correct_form(
                payload.reference, payload.encode(), CORRECT_FIELDS, data, exc.errors
            )
        except BotError as exc:
            return await self.refused(payload.reference, actor, teams.ON_CASE, exc)
        done = "The answer is corrected; the report as filed is kept."
        return await self.after(outcome, actor, teams.ON_CASE, done)
