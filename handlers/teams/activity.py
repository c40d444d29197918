"""The Teams bot: messages, installs, card actions and the 'Report this post' message action."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, Attachment
from botbuilder.schema.teams import TeamInfo, TeamsChannelAccount

from bot.access import AccessKind
from bot.errors import FormErrors, NotAllowed, StaleVersion, UnknownCase
from bot.models import Actor
from bot.reach import people_to_reach
from bot.service import CaseService, Outcome
from bot.service.files import CaseFiles
from cards import teams
from cards.ids import ActionId, CasePayload, InputId
from cards.teams import Card, Mode
from cards.views import case_list, info_question, notification_text
from handlers.teams.case import CaseCards
from handlers.teams.evidence import EvidenceTaker
from handlers.teams.follow import FollowThrough
from handlers.teams.people import PLATFORM, People, UnknownPerson
from handlers.teams.report import ReportFlow, prefill_from_message

log = logging.getLogger(__name__)
# The approval card's own buttons and its refresh: a click of one of these on a copy of the
# card the bot never recorded edits that copy (see heal).
CARD_VERBS = frozenset({teams.REFRESH, ActionId.APPROVE, ActionId.DECLINE, ActionId.ASK_INFO})

REPORT_COMMAND = "reportPost"
CASE_REFERENCE = re.compile(r"\b[A-Z][A-Z0-9]{1,7}-\d{4}-\d{4,}\b")  # "case OAK-2026-0007"
Verb = Callable[[Actor, Mapping[str, Any], Mode], Awaitable[Card]]


def invoke_ok(body: Any) -> InvokeResponse:
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def split_ids(value: Any) -> list[str]:
    """A multi-select's value: Teams sends 'a,b'; the Submit fallback may send a list."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v for v in str(value or "").split(",") if v]


def unknown_person_card() -> Card:
    return teams.message_card(
        "I can't tell who you are",
        ["Teams did not give me your email address, so I can't match you to a school."],
        attention=True,
    )


class TeamsBot(TeamsActivityHandler):
    """Handlers stay thin: parse the activity once, make one service call, render, answer."""

    def __init__(
        self,
        service: CaseService,
        people: People,
        evidence: EvidenceTaker,
        files: CaseFiles | None = None,
        base_url: str = "",
    ) -> None:
        self.service = service
        self.people = people
        self.evidence = evidence
        self.flow = ReportFlow(service)
        self.cards = CaseCards(service, people)
        follow = FollowThrough(service, people, self.cards, files, base_url)
        self.verbs: dict[str, Verb] = {
            ActionId.OPEN_REPORT: self.open_report,
            ActionId.FORM_NEXT: self.review,
            ActionId.FORM_BACK: self.back,
            ActionId.FORM_SUBMIT: self.submit,
            teams.REFRESH: self.refresh,
            ActionId.APPROVE: self.approve,
            ActionId.DECLINE: self.decline,
            ActionId.ASK_INFO: self.ask_info,
            ActionId.ANSWER_INFO: self.answer_info,
            **follow.verbs(),
        }

    # who, and remembering them

    async def known(self, turn_context: TurnContext) -> Actor:
        actor = await self.people.actor(turn_context)
        await self.people.remember(turn_context, actor)
        return actor

    # installs

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self.greet(turn_context)

    async def on_teams_members_added(
        self,
        teams_members_added: list[TeamsChannelAccount],
        team_info: TeamInfo,
        turn_context: TurnContext,
    ) -> None:
        bot_id = turn_context.activity.recipient.id
        if any(m.id == bot_id for m in teams_members_added):
            await self.greet(turn_context)

    async def greet(self, turn_context: TurnContext) -> None:
        """Keep the installer's reference; welcome them once in their personal chat."""
        try:
            actor = await self.people.actor(turn_context)
        except UnknownPerson:
            return
        first_time = await self.people.remember(turn_context, actor)
        if first_time:
            await turn_context.send_activity(card_message(teams.welcome_card(), "Welcome"))

    # messages: commands, screenshots, and Action.Submit from older clients

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        try:
            actor = await self.known(turn_context)
        except UnknownPerson:
            await turn_context.send_activity(card_message(unknown_person_card(), "Who are you?"))
            return
        if isinstance(activity.value, dict) and activity.value.get(teams.VERB):
            await self.on_submit_fallback(turn_context, actor, activity.value)
        elif self.evidence.files_in(activity):
            await self.take_evidence(turn_context, actor)
        else:
            await self.on_command(turn_context, actor, (activity.text or "").strip().lower())

    async def on_command(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        wanted = CASE_REFERENCE.search(text.upper())
        if wanted:
            card = await self.open_case(actor, wanted[0])
            await turn_context.send_activity(card_message(card, wanted[0]))
        elif "report" in text:
            card = self.flow.start(actor, "execute")
            await turn_context.send_activity(card_message(card, "Report a post"))
        elif "case" in text:
            await turn_context.send_activity(card_message(await self.cases(actor), "Your cases"))
        else:
            await turn_context.send_activity(card_message(teams.welcome_card(), "Report a post"))

    async def open_case(self, actor: Actor, reference: str) -> Card:
        """A case card asked for by name ("case OAK-2026-0007"): a deliberate look, so it goes in
        the access log (Teams' automatic refreshes do not)."""
        try:
            case = (await self.service.get(reference)).case
        except UnknownCase as exc:
            return teams.message_card("Case not found", [str(exc)], attention=True)
        card = await self.cards.for_person(case, actor)
        if self.service.can_view(actor, case):
            await self.service.record_access(reference, actor, AccessKind.CASE_VIEWED)
        return card

    async def cases(self, actor: Actor) -> Card:
        """The register: open cases and those closed lately, with overdue tasks."""
        rows = await self.service.visible(actor, open_only=False)
        names = {s.id: s.name for s in self.service.trust.schools}
        note = ""
        if self.service.trust.led_by(actor.email):  # the leads learn who cannot be reached
            missing = await self.people.unreachable(people_to_reach(self.service.trust))
            if missing:
                note = (
                    f"Not reachable in Teams yet: {', '.join(missing)}. They have not opened "
                    "Post Concerns in Teams: an admin can install it for them with an app setup "
                    "policy (README, Install in Teams)."
                )
        return teams.case_list_card(case_list(rows, names, self.service.clock(), note))

    async def take_evidence(self, turn_context: TurnContext, actor: Actor) -> None:
        lines = await self.evidence.take(turn_context, actor)
        await turn_context.send_activity(MessageFactory.text("\n\n".join(lines)))

    async def on_submit_fallback(
        self, turn_context: TurnContext, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        """An Action.Submit from a client without Action.Execute: same verbs, card edited."""
        card = await self.act(actor, str(data[teams.VERB]), data, "execute")
        reply = card_message(card, "Updated")
        if turn_context.activity.reply_to_id:
            reply.id = turn_context.activity.reply_to_id
            await turn_context.update_activity(reply)
        else:
            await turn_context.send_activity(reply)

    # invokes

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        handlers = {
            "adaptiveCard/action": self.on_card_action,
            "composeExtension/fetchTask": self.on_fetch_task,
            "composeExtension/submitAction": self.on_submit_action,
        }
        handler = handlers.get(name or "")
        if handler is None:
            return await super().on_invoke_activity(turn_context)
        try:
            actor = await self.known(turn_context)
        except UnknownPerson:
            card = unknown_person_card()
            return invoke_ok(
                teams.invoke_card(card) if name == "adaptiveCard/action" else teams.task_card(card)
            )
        return invoke_ok(await handler(turn_context, actor))

    async def on_card_action(self, turn_context: TurnContext, actor: Actor) -> dict[str, Any]:
        action = (turn_context.activity.value or {}).get("action") or {}
        data = action.get("data") or {}
        card = await self.act(actor, str(action.get("verb") or ""), data, "execute")
        if action.get("verb") in CARD_VERBS:
            await self.heal(turn_context, data)
        return teams.invoke_card(card)

    async def heal(self, turn_context: TurnContext, data: Mapping[str, Any]) -> None:
        """A refresh or click on an approval card the bot never recorded (the outbox sent it
        again after a crash: Teams offers a bot no history to find the first copy in) edits that
        copy for everyone to the case as it stands, as the outbox does for the recorded ones."""
        activity = turn_context.activity
        try:
            reference = CasePayload.decode(data.get(teams.CASE)).reference
            case = (await self.service.get(reference)).case
        except (ValueError, UnknownCase):
            return
        recorded = {m.message_id for m in case.messages if m.platform == PLATFORM}
        if not activity.reply_to_id or activity.reply_to_id in recorded:
            return
        personal = (activity.conversation.conversation_type or "") == "personal"
        shared = await self.cards.shared(case, for_approver=personal)
        update = card_message(shared, notification_text(case))
        update.id = activity.reply_to_id
        try:
            await turn_context.update_activity(update)
            log.info("healed an unrecorded card of %s", reference)
        except Exception:  # the clicker has the current card already; this copy waits a click
            log.warning("could not update an unrecorded card of %s", reference, exc_info=True)

    async def on_fetch_task(self, turn_context: TurnContext, actor: Actor) -> dict[str, Any]:
        value = turn_context.activity.value or {}
        if value.get("commandId") != REPORT_COMMAND:
            return teams.task_message("Unknown command.")
        values = prefill_from_message(value.get("messagePayload"), self.service.today())
        return teams.task_card(self.flow.start(actor, "submit", values))

    async def on_submit_action(self, turn_context: TurnContext, actor: Actor) -> dict[str, Any]:
        value = turn_context.activity.value or {}
        data = value.get("data") or {}
        verb = str(data.get(teams.VERB) or ActionId.FORM_NEXT)
        if verb not in (ActionId.FORM_NEXT, ActionId.FORM_BACK, ActionId.FORM_SUBMIT):
            verb = ActionId.FORM_NEXT
        return teams.task_card(await self.act(actor, verb, data, "submit"))

    async def act(self, actor: Actor, verb: str, data: Mapping[str, Any], mode: Mode) -> Card:
        """Run one verb; a refusal or a stale card is answered with a card, never an error."""
        handler = self.verbs.get(verb)
        if handler is None:
            return teams.message_card("This button is no longer supported.")
        try:
            return await handler(actor, data, mode)
        except ValueError:
            return teams.message_card("This card is out of date: type cases to find the case.")
        except UnknownCase as exc:
            return teams.message_card("Case not found", [str(exc)], attention=True)

    # the form

    async def open_report(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        return self.flow.start(actor, mode)

    async def review(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        return self.flow.review(actor, mode, str(data.get(teams.FORM) or ""), data)

    async def back(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        return self.flow.back(
            actor, mode, str(data.get(teams.FORM) or ""), data.get(teams.VALUES) or {}
        )

    async def submit(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        form_key = str(data.get(teams.FORM) or "")
        if not form_key:
            return teams.message_card("This form is out of date: type report to start again.")
        filed = await self.flow.file(actor, mode, form_key, data.get(teams.VALUES) or {})
        if filed.case is not None:
            log.info("report %s filed on Teams by %s", filed.case.reference, actor.user_id)
        return filed.card

    # the approval card

    async def case_card(
        self,
        reference: str,
        actor: Actor,
        errors: Mapping[str, str] | None = None,
        note: str = "",
    ) -> Card:
        """The case as this person may see it: with the controls they may use."""
        case = (await self.service.get(reference)).case
        return await self.cards.for_person(case, actor, errors=errors, note=note)

    async def refresh(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        return await self.case_card(CasePayload.decode(data.get(teams.CASE)).reference, actor)

    async def decide(
        self,
        actor: Actor,
        data: Mapping[str, Any],
        call: Callable[[CasePayload], Awaitable[Outcome]],
    ) -> Card:
        payload = CasePayload.decode(data.get(teams.CASE))
        try:
            outcome = await call(payload)
        except FormErrors as exc:
            return await self.case_card(payload.reference, actor, errors=exc.errors)
        except (NotAllowed, StaleVersion) as exc:
            return await self.case_card(payload.reference, actor, note=str(exc))
        if outcome.applied:
            log.info("decision on %s by %s", payload.reference, actor.user_id)
        return await self.case_card(payload.reference, actor, note=outcome.note)

    async def approve(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        actions = split_ids(data.get(InputId.ACTIONS))
        other = str(data.get(InputId.OTHER_ACTION) or "")
        return await self.decide(
            actor,
            data,
            lambda p: self.service.approve(p.reference, actor, p.version, actions, other),
        )

    async def decline(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        reason = str(data.get(InputId.REASON) or "")
        return await self.decide(
            actor, data, lambda p: self.service.decline(p.reference, actor, p.version, reason)
        )

    async def ask_info(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        question = str(data.get(InputId.QUESTION) or "")
        return await self.decide(
            actor,
            data,
            lambda p: self.service.ask_more_info(p.reference, actor, p.version, question),
        )

    async def answer_info(self, actor: Actor, data: Mapping[str, Any], mode: Mode) -> Card:
        payload = CasePayload.decode(data.get(teams.CASE))
        try:
            outcome = await self.service.add_information(
                payload.reference, actor, str(data.get(InputId.ANSWER) or "")
            )
        except FormErrors as exc:
            case = (await self.service.get(payload.reference)).case
            return teams.note_card(info_question(case), exc.errors)
        except NotAllowed as exc:
            return teams.message_card("Not sent", [str(exc)], attention=True)
        if not outcome.applied:
            return teams.message_card(f"Report {payload.reference}", [outcome.note])
        return teams.message_card(
            f"Thank you: your answer on {payload.reference} was sent",
            ["The head or deputy will look at the report again."],
        )


def card_message(card: Card, summary: str) -> Activity:
    """A message carrying one card; the summary is what notifications show (no case content)."""
    attachment = Attachment(content_type=teams.CARD_CONTENT_TYPE, content=card)
    return Activity(type=ActivityTypes.message, attachments=[attachment], summary=summary)
