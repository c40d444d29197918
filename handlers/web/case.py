"""The case page in the browser: the approval card rendered live, and every action on it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from aiohttp import web

from bot.access import AccessKind
from bot.drafts import remove_by_date
from bot.errors import (
    EvidenceRejected,
    FormErrors,
    InvalidTransition,
    NotAllowed,
    StaleVersion,
    UnknownCase,
)
from bot.models import Actor, Case, Status
from bot.service import Outcome
from bot.service.files import FileKind
from bot.sight import NOT_YOURS
from cards import html, views
from cards.html import CaseControls
from cards.ids import ActionId, CasePayload, FilePayload, InputId, TaskPayload
from handlers.web.context import SECURITY_HEADERS, Submitted, WebContext
from handlers.web.identity import Session, actor_of

log = logging.getLogger(__name__)

Act = Callable[[str, Actor, Submitted, str], Awaitable[Outcome]]

DONE: dict[str, str] = {
    ActionId.APPROVE: "Approved. The tasks are below; the reporter has been told.",
    ActionId.DECLINE: "Declined. The reporter has been told.",
    ActionId.ASK_INFO: "Your question has been sent to the reporter.",
    ActionId.ANSWER_INFO: "Thank you: your answer has been sent to the head.",
    ActionId.TASK_DONE: "The task is marked done.",
    ActionId.TASK_REASSIGN: "The task has a new owner, who has been told.",
    ActionId.TASK_SNOOZE: "The reminder is put off until the next working day.",
    ActionId.POST_STILL_UP: "Noted: the post is still up.",
    ActionId.POST_REMOVED: "Noted: the post has been removed.",
    ActionId.CLOSE_CASE: "The case is closed.",
    ActionId.REOPEN_CASE: "The case is reopened.",
    ActionId.CORRECT_ANSWER: "The answer is corrected; the report as filed is kept.",
    ActionId.ADVISE_GO_AHEAD: "Your advice is recorded: the conversation may go ahead.",
    ActionId.ADVISE_HOLD: "Your advice is recorded: the conversation is held back.",
    ActionId.MAKE_LETTER: "The letter is made and kept with the case (5.1.1): open it below.",
    "evidence": "The screenshots are kept as evidence (5.1.7).",
}


class CasePages:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.service = ctx.service
        self.acts: dict[ActionId, Act] = {
            ActionId.APPROVE: self.approve,
            ActionId.DECLINE: self.decline,
            ActionId.ASK_INFO: self.ask,
            ActionId.ANSWER_INFO: self.answer,
            ActionId.TASK_DONE: self.task_done,
            ActionId.TASK_REASSIGN: self.reassign,
            ActionId.TASK_SNOOZE: self.snooze,
            ActionId.POST_STILL_UP: self.still_up,
            ActionId.POST_REMOVED: self.removed,
            ActionId.CLOSE_CASE: self.close,
            ActionId.REOPEN_CASE: self.reopen,
            ActionId.CORRECT_ANSWER: self.correct,
            ActionId.MAKE_LETTER: self.make_letter,
            ActionId.ADVISE_GO_AHEAD: self.advise_go_ahead,
            ActionId.ADVISE_HOLD: self.advise_hold,
        }

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/cases/{reference}", self.show)
        app.router.add_get("/cases/{reference}/receipt", self.receipt)
        app.router.add_get("/cases/{reference}/file", self.open_file)
        app.router.add_post("/cases/{reference}/act", self.act)
        app.router.add_post("/cases/{reference}/evidence", self.upload)

    # reading

    async def _case(self, reference: str, session: Session, actor: Actor) -> Case:
        """The case, if this person may see it; else a page saying why not."""
        try:
            case = (await self.service.get(reference)).case
        except UnknownCase as exc:
            raise self._stop(session, "No such case", str(exc), 404) from None
        if not self.service.can_view(actor, case):
            raise self._stop(
                session,
                "Not your case",
                NOT_YOURS.format(reference=reference),
                403,
            )
        return case

    def _stop(self, session: Session, title: str, text: str, status: int) -> web.HTTPException:
        """The page to show instead, raised so each route stays one straight line."""
        body = html.page(title, html.message(title, text), session.person)
        kind = web.HTTPNotFound if status == 404 else web.HTTPForbidden
        return kind(text=body, content_type="text/html", headers=SECURITY_HEADERS)

    def controls(
        self,
        case: Case,
        session: Session,
        actor: Actor,
        errors: Mapping[str, str] | None = None,
        failed: str = "",
        note: str = "",
        values: Mapping[str, Sequence[str]] | None = None,
    ) -> CaseControls:
        """What this person may do here: decide, work on tasks, add files, answer."""
        school = self.service.school_of(case)
        email = actor.email.lower()
        lead = school.is_lead(email)
        base = f"/cases/{case.reference}"
        pending = [r for r in case.info_requests if not r.answer]
        return CaseControls(
            act=self.ctx.post(session, f"{base}/act"),
            approver=school.is_approver(email),
            task_ids=frozenset(t.id for t in case.tasks if lead or t.owner.email == email),
            owners=tuple(
                (p.email, f"{p.name}: {p.role}")
                for p in self.ctx.people
                if school in self.service.trust.schools_for(p.email)
            ),
            upload=self.ctx.post(session, f"{base}/evidence") if case.status.is_open else None,
            answer=email == case.reporter.email.lower()
            and case.status is Status.MORE_INFO_REQUESTED
            and bool(pending),
            file_url=f"{base}/file",
            letter=any(
                t.action_id == "warning_letter" and (lead or t.owner.email == email)
                for t in case.tasks
            ),
            errors=errors or {},
            failed=failed,
            note=note,
            values=values or {},
        )

    async def card_page(
        self,
        session: Session,
        actor: Actor,
        case: Case,
        controls: CaseControls,
        status: int = 200,
    ) -> web.Response:
        """The case as this person may see it (need to know: bot/sight.py)."""
        school = self.service.school_of(case)
        sight = self.service.sight(actor, case)
        tz = self.service.trust.tz
        view = views.approval_card(
            case, self.service.policy, school, tz, self.service.clock(), sight
        )
        if sight.whole:  # the timeline names everyone who acted: the leads' view only
            record = await self.service.get(case.reference)
            controls = replace(controls, timeline=views.timeline_rows(record.timeline, tz))
        title = f"{'Error: ' if controls.errors else ''}{case.reference}"
        return self.ctx.respond(session, title, html.approval_card(view, controls), status)

    async def show(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.require(request)
        case = await self._case(request.match_info["reference"], session, actor)
        await self.service.record_access(case.reference, actor, AccessKind.CASE_VIEWED)
        done = DONE.get(request.query.get("done", ""), "")
        controls = self.controls(case, session, actor, note=done)
        return await self.card_page(session, actor, case, controls)

    async def receipt(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.require(request)
        case = await self._case(request.match_info["reference"], session, actor)
        view = views.receipt_view(case, self.service.policy, self.service.school_of(case))
        main = html.receipt(view, f"/cases/{case.reference}")
        return self.ctx.respond(session, view.headline, main)

    async def open_file(self, request: web.Request) -> web.Response:
        """A five-minute signed link to the file, for someone who may see the case."""
        session, actor = self.ctx.require(request)
        reference = request.match_info["reference"]
        try:
            wanted = FilePayload.decode(request.query.get(html.FILE_QUERY, ""))
            if wanted.reference != reference:
                raise ValueError("another case's file")
            signed = await self.ctx.files.link(reference, actor, FileKind(wanted.kind), wanted.key)
        except (ValueError, UnknownCase):
            return self.ctx.message(session, "No such file", "This case has no such file.", 404)
        except NotAllowed as exc:
            return self.ctx.message(session, "Not your case", str(exc), 403)
        raise web.HTTPSeeOther(signed)

    # changing

    async def act(self, request: web.Request) -> web.Response:
        """A button on the card: parse it once, make the one service call, show the card."""
        session, actor = self.ctx.require(request)
        reference = request.match_info["reference"]
        form = await self.ctx.read_form(request, session)
        try:
            action = ActionId(form.one(html.ACTION))
            act = self.acts[action]
        except (ValueError, KeyError):
            raise web.HTTPBadRequest(text="Unknown action.") from None
        value = form.one(html.VALUE)
        failed = action.value
        if action in TASK_ACTIONS:
            failed = f"{action.value}:{value.rpartition(':')[2]}"
        try:
            if value.partition(":")[0] != reference:
                raise web.HTTPBadRequest(text="That button belongs to another case.")
            outcome = await act(reference, actor, form, value)
        except ValueError:
            raise web.HTTPBadRequest(text="That button's value is not valid.") from None
        except FormErrors as exc:
            case = await self._case(reference, session, actor)
            controls = self.controls(case, session, actor, exc.errors, failed, values=form.fields)
            return await self.card_page(session, actor, case, controls, 422)
        except (StaleVersion, InvalidTransition) as exc:
            case = await self._case(reference, session, actor)
            controls = self.controls(case, session, actor, note=str(exc))
            return await self.card_page(session, actor, case, controls, 409)
        except NotAllowed as exc:
            log.info("refused %s on %s on the web: not allowed", action.value, reference)
            return self.ctx.message(session, "Not allowed", str(exc), 403)
        except UnknownCase as exc:
            return self.ctx.message(session, "No such case", str(exc), 404)
        if not outcome.applied:
            controls = self.controls(outcome.case, session, actor, note=outcome.note)
            return await self.card_page(session, actor, outcome.case, controls)
        raise web.HTTPSeeOther(f"/cases/{reference}?done={action.value}")

    async def upload(self, request: web.Request) -> web.Response:
        """Screenshots added on the case page: each through the service (limits, timeline)."""
        session, actor = self.ctx.require(request)
        reference = request.match_info["reference"]
        form = await self.ctx.read_form(request, session)
        limit_mb = self.service.trust.evidence_max_bytes // 1048576
        problems = [] if form.files else ["Choose a file to upload."]
        for up in form.files:
            if up.too_many:
                limit = self.service.trust.evidence_max_files
                problems.append(f"At most {limit} files at a time: {up.name} was not added.")
                continue
            if up.too_big:
                problems.append(f"{up.name} is over {limit_mb} MB.")
                continue
            try:
                await self.service.attach_evidence(
                    reference, actor, up.name, up.media_type, up.data, "web:upload"
                )
            except EvidenceRejected as exc:
                problems.append(str(exc))
            except NotAllowed as exc:
                return self.ctx.message(session, "Not allowed", str(exc), 403)
            except UnknownCase as exc:
                return self.ctx.message(session, "No such case", str(exc), 404)
        if problems:
            case = await self._case(reference, session, actor)
            errors = {"evidence": " ".join(problems)}
            return await self.card_page(
                session, actor, case, self.controls(case, session, actor, errors, "evidence"), 422
            )
        raise web.HTTPSeeOther(f"/cases/{reference}?done=evidence")

    # one function per button: the inputs it reads and the service call it makes

    async def approve(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        version = CasePayload.decode(value).version
        return await self.service.approve(
            ref, actor, version, form.all(InputId.ACTIONS), form.one(InputId.OTHER_ACTION)
        )

    async def decline(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        version = CasePayload.decode(value).version
        return await self.service.decline(ref, actor, version, form.one(InputId.REASON))

    async def ask(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        version = CasePayload.decode(value).version
        return await self.service.ask_more_info(ref, actor, version, form.one(InputId.QUESTION))

    async def answer(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        CasePayload.decode(value)
        return await self.service.add_information(ref, actor, form.one(InputId.ANSWER))

    async def task_done(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        task = TaskPayload.decode(value).task_id
        return await self.service.complete_task(
            ref, actor, task, form.one(InputId.TASK_RESULT), form.one(InputId.TASK_REFERENCE)
        )

    async def reassign(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        task = TaskPayload.decode(value).task_id
        person = next((p for p in self.ctx.people if p.email == form.one(InputId.TASK_OWNER)), None)
        if person is None:
            raise FormErrors({"owner": "Choose who the task goes to."})
        return await self.service.reassign_task(ref, actor, task, actor_of(person))

    async def snooze(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        return await self.service.snooze_task(ref, actor, TaskPayload.decode(value).task_id)

    async def still_up(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        task = TaskPayload.decode(value).task_id
        return await self.service.answer_post_check(ref, actor, task, True)

    async def removed(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        task = TaskPayload.decode(value).task_id
        return await self.service.answer_post_check(ref, actor, task, False)

    async def advise_go_ahead(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        TaskPayload.decode(value)
        return await self.service.record_dsl_advice(ref, actor, True, form.one(InputId.ADVICE_NOTE))

    async def advise_hold(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        TaskPayload.decode(value)
        return await self.service.record_dsl_advice(
            ref, actor, False, form.one(InputId.ADVICE_NOTE)
        )

    async def close(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        CasePayload.decode(value)
        return await self.service.close(
            ref, actor, form.one(InputId.CLOSE_OUTCOME), form.one(InputId.CLOSE_NOTE)
        )

    async def make_letter(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        FilePayload.decode(value)
        remove_by = remove_by_date(form.one(InputId.REMOVE_BY))
        return await self.service.make_letter(ref, actor, remove_by)

    async def reopen(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        CasePayload.decode(value)
        return await self.service.reopen(ref, actor, form.one(InputId.REOPEN_REASON))

    async def correct(self, ref: str, actor: Actor, form: Submitted, value: str) -> Outcome:
        CasePayload.decode(value)
        return await self.service.correct_answer(
            ref,
            actor,
            form.one(InputId.CORRECT_FIELD),
            form.one(InputId.CORRECT_VALUE),
            form.one(InputId.CORRECT_REASON),
        )


TASK_ACTIONS = frozenset(
    {
        ActionId.TASK_DONE,
        ActionId.TASK_REASSIGN,
        ActionId.TASK_SNOOZE,
        ActionId.POST_STILL_UP,
        ActionId.POST_REMOVED,
        ActionId.ADVISE_GO_AHEAD,
        ActionId.ADVISE_HOLD,
    }
)
