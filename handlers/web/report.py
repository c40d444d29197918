"""The report form in the browser: one page per section over a server-side draft, then submit."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot import filetypes
from bot.errors import EvidenceRejected, FormErrors, NotAllowed
from bot.forms import Kind, Section, check, to_answers
from bot.models import Actor
from cards import html, views
from handlers.web.context import Submitted, Upload, WebContext
from handlers.web.identity import Session

log = logging.getLogger(__name__)
DRAFTS = "web_drafts"
DRAFT_ID = re.compile(r"^[0-9a-f]{32}$")
SOURCE = "web:upload"


@dataclass
class Draft:
    """The answers so far and the screenshots kept for them (by SHA-256, in the file store)."""

    owner: str
    values: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_plain(self) -> dict[str, Any]:
        return {"owner": self.owner, "values": self.values, "files": self.files}

    @classmethod
    def from_plain(cls, raw: Mapping[str, Any]) -> Draft:
        return cls(str(raw["owner"]), dict(raw["values"]), list(raw.get("files", [])))

    @property
    def file_names(self) -> list[str]:
        return [str(f["name"]) for f in self.files]


def step_values(section: Section, form: Submitted) -> dict[str, Any]:
    """A step's answers as the form module reads them: lists for tick boxes, else text."""
    out: dict[str, Any] = {}
    for f in section.fields:
        if f.kind in (Kind.CHECKBOXES, Kind.FLAG):
            out[f.id.value] = form.all(f.id.value)
        elif f.kind is not Kind.FILES:
            out[f.id.value] = form.one(f.id.value)
    return out


class ReportPages:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.service = ctx.service

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/report", self.start)
        app.router.add_get("/report/{draft}/summary", self.show_summary)
        app.router.add_post("/report/{draft}/summary", self.submit)
        app.router.add_get("/report/{draft}/{step:\\d+}", self.show_step)
        app.router.add_post("/report/{draft}/{step:\\d+}", self.save_step)

    # helpers

    def _url(self, draft_id: str, step: int | str) -> str:
        return f"/report/{draft_id}/{step}"

    async def _draft(self, request: web.Request, actor: Actor) -> tuple[str, Draft]:
        draft_id = request.match_info["draft"]
        if not DRAFT_ID.match(draft_id):
            raise web.HTTPSeeOther("/report")
        raw = await self.service.store.get_value(DRAFTS, draft_id)
        draft = Draft.from_plain(raw) if raw else Draft(actor.email)
        if draft.owner != actor.email:
            raise web.HTTPSeeOther("/report")
        return draft_id, draft

    def _step_page(
        self,
        session: Session,
        draft_id: str,
        step: int,
        draft: Draft,
        errors: Mapping[str, str],
    ) -> web.Response:
        sections = self.service.form(self.ctx.actor_of(session))
        view = views.form_view(sections, step, draft.values, errors)
        post = self.ctx.post(session, self._url(draft_id, step))
        main = html.form_step(view, post, self.service.today(), draft.file_names, back=step > 0)
        title = f"{'Error: ' if errors else ''}{view.title}, {view.intro}"
        return self.ctx.respond(session, title, main, 422 if errors else 200)

    # routes

    async def start(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.require(request)
        if not self.service.schools_for(actor):
            return self.ctx.message(session, "Report a post", NOT_STAFF, 403)
        return self._step_page(session, secrets.token_hex(16), 0, Draft(actor.email), {})

    async def show_step(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.require(request)
        draft_id, draft = await self._draft(request, actor)
        step = min(int(request.match_info["step"]), len(self.service.form(actor)) - 1)
        return self._step_page(session, draft_id, step, draft, {})

    async def save_step(self, request: web.Request) -> web.Response:
        """Keep the step's answers and files; errors beside their fields, else the next step."""
        session, actor = self.ctx.require(request)
        draft_id, draft = await self._draft(request, actor)
        form = await self.ctx.read_form(request, session)
        sections = self.service.form(actor)
        step = min(int(request.match_info["step"]), len(sections) - 1)
        draft.values.update(step_values(sections[step], form))
        errors = await self._keep_files(draft, form.files)
        await self.service.keep_draft(DRAFTS, draft_id, draft.to_plain())
        if form.one(html.NAV) == "back":
            raise web.HTTPSeeOther(self._url(draft_id, max(0, step - 1)))
        errors = {**check(sections[step : step + 1], draft.values, self.service.today()), **errors}
        if errors:
            return self._step_page(session, draft_id, step, draft, errors)
        following = "summary" if step == len(sections) - 1 else step + 1
        raise web.HTTPSeeOther(self._url(draft_id, following))

    async def _keep_files(self, draft: Draft, uploads: tuple[Upload, ...]) -> dict[str, str]:
        """Screenshots go to the file store now (by hash); they join the case on submit."""
        trust = self.service.trust
        problems = []
        for up in uploads:
            if up.too_many:
                problems.append(
                    f"At most {trust.evidence_max_files} files: {up.name} was not kept."
                )
                continue
            if up.too_big or not up.data:
                why = (
                    "is empty"
                    if not up.too_big
                    else f"is over {trust.evidence_max_bytes // 1048576} MB"
                )
                problems.append(f"{up.name} {why}.")
                continue
            detected = filetypes.detect(up.data)
            if detected is None:
                problems.append(filetypes.refusal(up.name))
                continue
            sha = hashlib.sha256(up.data).hexdigest()
            if any(f["sha256"] == sha for f in draft.files):
                continue
            if len(draft.files) >= trust.evidence_max_files:
                problems.append(
                    f"At most {trust.evidence_max_files} files: {up.name} was not kept."
                )
                continue
            await self.service.store.put_evidence(up.data)
            draft.files.append({"sha256": sha, "name": up.name[:200], "media_type": detected})
        return {"evidence": " ".join(problems)} if problems else {}

    async def show_summary(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.require(request)
        draft_id, draft = await self._draft(request, actor)
        sections = self.service.form(actor)
        try:
            answers = to_answers(sections, draft.values, self.service.today(), self._school(actor))
        except FormErrors:
            raise web.HTTPSeeOther(self._url(draft_id, 0)) from None
        school = self.service.trust.school(answers.school_id)
        view = views.summary_view(
            self.service.policy, answers, school, self.service.preview(answers)
        )
        post = self.ctx.post(session, self._url(draft_id, "summary"))
        main = html.summary(view, post, self._url(draft_id, 0), draft.file_names)
        return self.ctx.respond(session, view.title, main)

    async def submit(self, request: web.Request) -> web.Response:
        """File the case (the draft id is the submission key), then keep the screenshots."""
        session, actor = self.ctx.require(request)
        draft_id, draft = await self._draft(request, actor)
        await self.ctx.read_form(request, session)
        sections = self.service.form(actor)
        try:
            answers = to_answers(sections, draft.values, self.service.today(), self._school(actor))
            case, created = await self.service.submit(actor, answers, f"web:{draft_id}")
        except FormErrors:
            raise web.HTTPSeeOther(self._url(draft_id, 0)) from None
        except NotAllowed:
            return self.ctx.message(session, "Report a post", NOT_STAFF, 403)
        log.info("report filed as %s on the web (new: %s)", case.reference, created)
        if created:
            await self._attach(case.reference, actor, draft)
        await self.service.store.delete_value(DRAFTS, draft_id)
        raise web.HTTPSeeOther(f"/cases/{case.reference}/receipt")

    async def _attach(self, reference: str, actor: Actor, draft: Draft) -> None:
        for f in draft.files:
            data = self.service.store.read_evidence(f["sha256"])
            try:
                await self.service.attach_evidence(
                    reference, actor, f["name"], f["media_type"], data, SOURCE
                )
            except EvidenceRejected:
                log.warning("a screenshot was not kept for %s", reference)

    def _school(self, actor: Actor) -> str:
        return self.service.schools_for(actor)[0].id


NOT_STAFF = (
    "Only the trust's staff can report a post, and this address is not one of the trust's "
    "staff domains."
)
