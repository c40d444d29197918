"""The report form in Slack: modal steps over a server-side draft, then the filed case."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import FormErrors, NotAllowed
from bot.forms import Section, check, to_answers
from bot.models import Actor
from bot.service import CaseService
from cards import slack as render
from cards import views
from handlers.slack.payloads import FormStep, evidence_file_ids, state_values
from handlers.slack.people import SlackDirectory

log = logging.getLogger(__name__)
DRAFTS = "drafts"
NOT_STAFF = (
    "Only the trust's staff can report a post, and your Slack account's email address is not "
    "one of the trust's staff domains. Please ask your IT admin."
)

Ack = Callable[..., Awaitable[Any]]


@dataclass
class Draft:
    """The answers so far, kept on the server (private_metadata holds only its id)."""

    user: str
    values: dict[str, Any] = field(default_factory=dict)
    offered: list[render.OfferedFile] = field(default_factory=list)
    source: str = ""

    def to_plain(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "values": self.values,
            "offered": [[f.id, f.name] for f in self.offered],
            "source": self.source,
        }

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> Draft:
        offered = [render.OfferedFile(str(i), str(n)) for i, n in d.get("offered", [])]
        return cls(str(d["user"]), dict(d.get("values", {})), offered, str(d.get("source", "")))


class ReportForm:
    """Opens the form, moves between its steps, and files the case."""

    def __init__(
        self, service: CaseService, directory: SlackDirectory, client: AsyncWebClient
    ) -> None:
        self.service = service
        self.directory = directory
        self.client = client

    # opening

    async def open(
        self,
        trigger_id: str,
        user_id: str,
        prefill: Mapping[str, Any] | None = None,
        offered: list[render.OfferedFile] | None = None,
        source: str = "",
    ) -> None:
        """views.open the first step (the trigger id lives 3 s: no slow work before this)."""
        actor = await self.directory.actor(user_id)
        if not self.service.schools_for(actor):
            await self.client.views_open(
                trigger_id=trigger_id, view=render.notice_modal("Report a post", NOT_STAFF)
            )
            return
        draft = Draft(user_id, dict(prefill or {}), list(offered or []), source)
        draft_id = uuid.uuid4().hex
        await self.service.keep_draft(DRAFTS, draft_id, draft.to_plain())
        view = self._step_view(self.service.form(actor), draft, FormStep(draft_id, 0))
        await self.client.views_open(trigger_id=trigger_id, view=view)

    def _step_view(
        self, sections: tuple[Section, ...], draft: Draft, at: FormStep
    ) -> dict[str, Any]:
        step = views.form_view(sections, at.step, draft.values, {})
        return render.form_modal(
            step, at.encode(), self.service.today(), draft.offered, draft.source
        )

    # moving between steps

    async def _draft(self, at: FormStep, user_id: str) -> Draft | None:
        raw = await self.service.store.get_value(DRAFTS, at.draft_id)
        draft = Draft.from_plain(raw) if raw else None
        return draft if draft and draft.user == user_id else None

    async def submit_step(self, ack: Ack, view: Mapping[str, Any], user_id: str) -> None:
        """A step's submission: errors on the step, or the next step, summary, or filing."""
        at = FormStep.decode(view.get("private_metadata"))
        draft = await self._draft(at, user_id)
        if draft is None:
            expired = "This form has expired. Please start the report again."
            await ack(response_action="update", view=render.notice_modal("Report a post", expired))
            return
        actor = await self.directory.actor(user_id)
        sections = self.service.form(actor)
        if at.step >= len(sections):
            await self._file(ack, view, actor, sections, draft, at)
            return
        given = state_values(view.get("state"))
        errors = check((sections[at.step],), given, self.service.today())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        draft.values.update(given)
        await self.service.keep_draft(DRAFTS, at.draft_id, draft.to_plain())
        following = FormStep(at.draft_id, at.step + 1)
        if following.step < len(sections):
            await ack(response_action="update", view=self._step_view(sections, draft, following))
            return
        await ack(response_action="update", view=self._summary(actor, sections, draft, following))

    def _summary(
        self, actor: Actor, sections: tuple[Section, ...], draft: Draft, at: FormStep
    ) -> View:
        answers = to_answers(sections, draft.values, self.service.today(), self._school(actor))
        school = self.service.trust.school(answers.school_id)
        summary = views.summary_view(
            self.service.policy, answers, school, self.service.preview(answers)
        )
        return render.summary_modal(summary, at.encode())

    def _school(self, actor: Actor) -> str:
        return self.service.schools_for(actor)[0].id

    async def back(self, body: Mapping[str, Any], user_id: str) -> None:
        """The Back button: show the previous step with the answers kept so far."""
        view = body.get("view") or {}
        at = FormStep.decode(view.get("private_metadata"))
        draft = await self._draft(at, user_id)
        if draft is None or at.step == 0:
            return
        sections = self.service.form(await self.directory.actor(user_id))
        draft.values.update(state_values(view.get("state")))
        await self.service.keep_draft(DRAFTS, at.draft_id, draft.to_plain())
        earlier = FormStep(at.draft_id, min(at.step, len(sections)) - 1)
        await self.client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=self._step_view(sections, draft, earlier),
        )

    async def closed(self, view: Mapping[str, Any], user_id: str) -> None:
        at = FormStep.decode(view.get("private_metadata"))
        if await self._draft(at, user_id):
            await self.service.store.delete_value(DRAFTS, at.draft_id)

    # filing

    async def _file(
        self,
        ack: Ack,
        view: Mapping[str, Any],
        actor: Actor,
        sections: tuple[Section, ...],
        draft: Draft,
        at: FormStep,
    ) -> None:
        """Store the case first (durable), then answer Slack; evidence follows after the ack."""
        try:
            answers = to_answers(sections, draft.values, self.service.today(), self._school(actor))
            # The view id is the submission key: Slack's retries of this submission carry it.
            # The screenshots to fetch go into the outbox in the same save as the case, so a
            # crash after the ack cannot lose them: the Slack sender downloads them, with retries.
            fetch = evidence_file_ids(draft.values, draft.offered)
            case, created = await self.service.submit(actor, answers, str(view["id"]), fetch)
        except (FormErrors, NotAllowed) as exc:
            why = NOT_STAFF if isinstance(exc, NotAllowed) else f"Please check: {exc}"
            await ack(response_action="update", view=render.notice_modal("Report a post", why))
            return
        await self.service.store.delete_value(DRAFTS, at.draft_id)
        school = self.service.school_of(case)
        receipt = views.receipt_view(case, self.service.policy, school)
        await ack(response_action="update", view=render.receipt_modal(receipt))
        log.info("report filed as %s (new: %s)", case.reference, created)
