"""The report form on Teams: one card of questions, a summary, then one submit files the case."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.errors import FormErrors, NotAllowed
from bot.forms import FieldId, Section, check, fields_of, to_answers
from bot.models import Actor, Case
from bot.service import CaseService
from cards import teams
from cards.teams import Card, Mode
from cards.views import FormView, summary_view

INTRO = (
    "Answer what you can: you check everything before it is sent, and nothing is saved until then."
)
TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Filed:
    """The outcome of the final submit: the case, or the card to show instead."""

    card: Card
    case: Case | None = None


def new_form_key() -> str:
    return uuid.uuid4().hex


def form_values(data: Mapping[str, Any], sections: tuple[Section, ...]) -> dict[str, Any]:
    """Only the answers: Teams merges the inputs into the action's data beside our own keys."""
    ids = {f.id.value for f in fields_of(sections)}
    return {k: v for k, v in data.items() if k in ids}


def whole_form(
    sections: tuple[Section, ...], values: Mapping[str, Any], errors: Mapping[str, str]
) -> FormView:
    """Teams shows every section on one card (a card scrolls; a dialog has no steps)."""
    return FormView(
        title="Report a post",
        step=0,
        steps=2,
        sections=sections,
        values=values,
        errors=errors,
        intro=INTRO,
        submit_label="Review",
    )


def text_of_message(payload: Mapping[str, Any]) -> str:
    """The plain text of a Teams message (its body is HTML)."""
    body = (payload.get("body") or {}).get("content") or ""
    return html.unescape(TAGS.sub(" ", body)).strip()[:3000]


def prefill_from_message(payload: Mapping[str, Any] | None, today: date) -> dict[str, Any]:
    """Answers a reported Teams message already gives: its words and the day it was posted."""
    if not payload:
        return {}
    values: dict[str, Any] = {FieldId.POST_TEXT.value: text_of_message(payload)}
    created = payload.get("createdDateTime")
    try:
        values[FieldId.SEEN_ON.value] = (
            datetime.fromisoformat(str(created).replace("Z", "+00:00")).date().isoformat()
        )
    except ValueError:
        values[FieldId.SEEN_ON.value] = today.isoformat()
    return values


class ReportFlow:
    """The form's three moves, the same in a personal chat (Execute) and in a dialog (Submit)."""

    def __init__(self, service: CaseService) -> None:
        self.service = service

    def start(self, actor: Actor, mode: Mode, values: Mapping[str, Any] | None = None) -> Card:
        sections = self.service.form(actor)
        if not sections or not self.service.schools_for(actor):
            return not_staff_card()
        view = whole_form(
            sections, values or {FieldId.SEEN_ON.value: self.service.today().isoformat()}, {}
        )
        return teams.form_card(view, mode, new_form_key())

    def review(self, actor: Actor, mode: Mode, form_key: str, data: Mapping[str, Any]) -> Card:
        """The answers checked: the form again with errors, or the summary to submit."""
        sections = self.service.form(actor)
        values = form_values(data, sections)
        errors = check(sections, values, self.service.today())
        if errors:
            return teams.form_card(whole_form(sections, values, errors), mode, form_key)
        answers = to_answers(sections, values, self.service.today(), self._default_school(actor))
        school = self.service.trust.school(answers.school_id)
        view = summary_view(self.service.policy, answers, school, self.service.preview(answers))
        return teams.summary_card(view, mode, form_key, values)

    def back(self, actor: Actor, mode: Mode, form_key: str, values: Mapping[str, Any]) -> Card:
        sections = self.service.form(actor)
        return teams.form_card(
            whole_form(sections, form_values(values, sections), {}), mode, form_key
        )

    async def file(
        self, actor: Actor, mode: Mode, form_key: str, values: Mapping[str, Any]
    ) -> Filed:
        """File the case once per form, however often the button is pressed."""
        sections = self.service.form(actor)
        values = form_values(values, sections)
        try:
            answers = to_answers(
                sections, values, self.service.today(), self._default_school(actor)
            )
            case, _ = await self.service.submit(actor, answers, f"teams:{actor.user_id}:{form_key}")
        except FormErrors as exc:
            return Filed(teams.form_card(whole_form(sections, values, exc.errors), mode, form_key))
        except NotAllowed as exc:
            return Filed(teams.message_card("You can't report here", [str(exc)], attention=True))
        return Filed(filed_card(case), case)

    def _default_school(self, actor: Actor) -> str:
        schools = self.service.schools_for(actor)
        return schools[0].id if schools else ""


def filed_card(case: Case) -> Card:
    return teams.message_card(
        f"Report {case.reference} submitted",
        [
            "Thank you. Your receipt is in your chat with me.",
            f"Send me screenshots of the post there now and I add them to {case.reference}.",
        ],
    )


def not_staff_card() -> Card:
    return teams.message_card(
        "You can't report here",
        [
            (
                "Only the trust's staff can report a post, and your account's email address is not "
                "one of the trust's staff domains. Please ask your IT admin."
            )
        ],
        attention=True,
    )
