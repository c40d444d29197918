"""The Slack adapter: Bolt listeners on POST /slack/events (and Socket Mode), and the sender."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.links import KeyRing, LinkSigner
from bot.reach import people_to_reach
from bot.service import CaseService
from bot.service.files import CaseFiles
from cards import slack as render
from cards import views
from cards.ids import ActionId, ViewId
from handlers.fetch import SafeFetch
from handlers.slack.decisions import Decisions
from handlers.slack.follow import FollowThrough
from handlers.slack.form import DRAFTS, ReportForm
from handlers.slack.payloads import (
    command_prefill,
    first_url,
    message_files,
    plain_text,
    user_id,
)
from handlers.slack.people import PLATFORM, SlackDirectory
from handlers.slack.sender import SlackSender

__all__ = ["SlackChannel", "SlackSender", "make_bolt_app"]

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
COMMAND = "/report-post"
GLOBAL_SHORTCUT = "report_post_global"
MESSAGE_SHORTCUT = "report_post_message"
HOME_INTRO = (
    "Seen a worrying social media post about the school, a colleague or a child? Report it "
    "here: the head or deputy decides what to do under the trust's policy."
)

Ack = Callable[..., Awaitable[Any]]
Body = dict[str, Any]


def make_bolt_app(settings: Settings, client: AsyncWebClient) -> AsyncApp:
    """An AsyncApp that acks first and runs listeners after (Slack wants an answer within 3 s).
    In Socket Mode nothing is signed (the requests come over the bot's own connection), so
    Bolt is not asked to check signatures: without a secret it refused to start."""
    bolt = AsyncApp(
        # Named, or Bolt finds a name with inspect.stack(): a quarter of a second at start-up.
        name="post-concerns",
        signing_secret=settings.slack_signing_secret,
        client=client,
        process_before_response=False,
        request_verification_enabled=not settings.slack_socket_mode,
    )
    if settings.slack_team_id or settings.slack_enterprise_id:
        bolt.middleware(pinned(settings.slack_team_id, settings.slack_enterprise_id))
    return bolt


def pinned(team_id: str, enterprise_id: str) -> Callable[..., Awaitable[Any]]:
    """Bolt middleware: only requests from SLACK_TEAM_ID (and SLACK_ENTERPRISE_ID) go on. An
    org-wide Enterprise Grid payload may carry no team: its organisation must then match."""

    async def pin(
        req: AsyncBoltRequest, resp: BoltResponse, next_: Callable[[], Awaitable[Any]]
    ) -> BoltResponse | None:
        context = req.context
        team_ok = not team_id or context.team_id == team_id
        if team_id and not context.team_id and enterprise_id:
            team_ok = context.enterprise_id == enterprise_id
        enterprise_ok = not enterprise_id or context.enterprise_id == enterprise_id
        if team_ok and enterprise_ok:
            return await next_()
        log.warning("refused a Slack request from a workspace this bot is not pinned to")
        return BoltResponse(status=403, body="This workspace is not served by this bot.")

    return pin


def make_client(settings: Settings) -> AsyncWebClient:
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
        timeout=10,
    )


def mount_bolt(app: web.Application, bolt: AsyncApp, path: str = EVENTS_PATH) -> None:
    """Bolt has no aiohttp request handler: translate the request and the response ourselves."""

    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    app.router.add_post(path, events)


class SlackChannel:
    """Slack for the composition root: routes, the outbox sender, start and stop."""

    name = PLATFORM
    drafts = DRAFTS

    def __init__(
        self, settings: Settings, service: CaseService, files: CaseFiles | None = None
    ) -> None:
        self.settings = settings
        self.service = service
        self.client = make_client(settings)
        self.bolt = make_bolt_app(settings, self.client)
        self.directory = SlackDirectory(self.client)
        self._http: aiohttp.ClientSession | None = None
        self._socket: Any = None
        # The composition root hands over its CaseFiles; the same key file signs the same links.
        files = files or CaseFiles(service, LinkSigner(KeyRing(settings.data_dir), service.clock))
        self.fetch = SafeFetch()
        self.sender = SlackSender(
            self.client, service, self.directory, self.fetch, settings.slack_api_url
        )
        self.form = ReportForm(service, self.directory, self.client)
        self.decisions = Decisions(service, self.directory, self.client)
        self.follow = FollowThrough(service, self.directory, self.client, files, settings.base_url)
        self.register(self.bolt)

    def http(self) -> aiohttp.ClientSession:
        """The Web API client's HTTP session, made on the running loop (files: self.fetch)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            self.client.session = self._http
        return self._http

    def mount(self, app: web.Application) -> None:
        if not self.settings.slack_socket_mode:  # Socket Mode takes nothing over HTTP
            mount_bolt(app, self.bolt)

    async def start(self) -> None:
        self.http()
        if self.settings.slack_socket_mode:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token)
            await self._socket.connect_async()
            log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
        if self._http is not None:
            await self._http.close()
        await self.fetch.close()

    # listeners: each parses its payload once and hands over to the form or the decisions

    def register(self, bolt: AsyncApp) -> None:
        """Bolt tries listeners in this order, building arguments for each it tries: the form's
        steps and the decision buttons, the busiest, go first."""
        bolt.view(ViewId.REPORT.value)(self.on_report_step)
        bolt.action(ActionId.APPROVE.value)(self.on_approve)
        bolt.action(ActionId.DECLINE.value)(self.on_decline)
        bolt.action(ActionId.ASK_INFO.value)(self.on_ask_info)
        bolt.view(ViewId.DECLINE.value)(self.on_decline_submit)
        bolt.view(ViewId.ASK_INFO.value)(self.on_ask_info_submit)
        bolt.action(ActionId.FORM_BACK.value)(self.on_back)
        bolt.view_closed(ViewId.REPORT.value)(self.on_report_closed)
        bolt.command(COMMAND)(self.on_command)
        bolt.shortcut(GLOBAL_SHORTCUT)(self.on_global_shortcut)
        bolt.shortcut(MESSAGE_SHORTCUT)(self.on_message_shortcut)
        bolt.action(ActionId.OPEN_REPORT.value)(self.on_open_report)
        bolt.action(ActionId.ANSWER_INFO.value)(self.on_answer)
        bolt.view(ViewId.ANSWER_INFO.value)(self.on_answer_submit)
        bolt.action(ActionId.TASK_DONE.value)(self.on_task_done)
        bolt.view(ViewId.TASK_DONE.value)(self.on_task_done_submit)
        bolt.action(ActionId.TASK_REASSIGN.value)(self.on_reassign)
        bolt.view(ViewId.TASK_REASSIGN.value)(self.on_reassign_submit)
        bolt.action(ActionId.TASK_SNOOZE.value)(self.on_snooze)
        bolt.action(ActionId.POST_REMOVED.value)(self.on_post_removed)
        bolt.action(ActionId.POST_STILL_UP.value)(self.on_post_still_up)
        bolt.action(ActionId.ADVISE_GO_AHEAD.value)(self.on_advise_go_ahead)
        bolt.action(ActionId.ADVISE_HOLD.value)(self.on_advise_hold)
        bolt.action(ActionId.CLOSE_CASE.value)(self.on_close)
        bolt.view(ViewId.CLOSE.value)(self.on_close_submit)
        bolt.action(ActionId.REOPEN_CASE.value)(self.on_reopen)
        bolt.view(ViewId.REOPEN.value)(self.on_reopen_submit)
        bolt.action(ActionId.OPEN_FILE.value)(self.on_open_file)
        bolt.action(ActionId.CORRECT_ANSWER.value)(self.on_correct)
        bolt.action(ActionId.VIEW_CASE.value)(self.on_view_case)
        bolt.view(ViewId.CORRECT.value)(self.on_correct_submit)
        bolt.action(ActionId.MAKE_LETTER.value)(self.on_make_letter)
        bolt.view(ViewId.LETTER.value)(self.on_letter_submit)
        bolt.event("app_home_opened")(self.on_home_opened)
        bolt.event("message")(self.on_message)
        bolt.event("app_mention")(self.on_mention)

    async def on_command(self, ack: Ack, body: Body) -> None:
        await ack()
        prefill = command_prefill(str(body.get("text", "")))
        await self.form.open(body["trigger_id"], user_id(body), prefill)

    async def on_global_shortcut(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.form.open(body["trigger_id"], user_id(body))

    async def on_message_shortcut(self, ack: Ack, body: Body) -> None:
        """Report this message: its text, its permalink and its files come along."""
        await ack()
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id", "")
        ts = str(message.get("ts") or "")
        link = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
        permalink = str(link.get("permalink", ""))
        text = plain_text(str(message.get("text", "")))
        prefill = {"link": first_url(text) or permalink, "post_text": text[:3000]}
        offered = message_files(message)
        await self.form.open(body["trigger_id"], user_id(body), prefill, offered, permalink)

    async def on_open_report(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.form.open(body["trigger_id"], user_id(body))

    async def on_back(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.form.back(body, user_id(body))

    async def on_report_step(self, ack: Ack, body: Body) -> None:
        await self.form.submit_step(ack, body["view"], user_id(body))

    async def on_report_closed(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.form.closed(body["view"], user_id(body))

    async def on_approve(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.decisions.approve(body)

    async def on_decline(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.decisions.open_reason(body, ViewId.DECLINE)

    async def on_ask_info(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.decisions.open_reason(body, ViewId.ASK_INFO)

    async def on_decline_submit(self, ack: Ack, body: Body) -> None:
        await self.decisions.submit_reason(ack, body, ViewId.DECLINE)

    async def on_ask_info_submit(self, ack: Ack, body: Body) -> None:
        await self.decisions.submit_reason(ack, body, ViewId.ASK_INFO)

    async def on_answer(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.decisions.open_answer(body)

    async def on_answer_submit(self, ack: Ack, body: Body) -> None:
        await self.decisions.submit_answer(ack, body)

    async def on_task_done(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_task_done(body)

    async def on_task_done_submit(self, ack: Ack, body: Body) -> None:
        await self.follow.submit_task_done(ack, body)

    async def on_reassign(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_reassign(body)

    async def on_reassign_submit(self, ack: Ack, body: Body) -> None:
        await self.follow.submit_reassign(ack, body)

    async def on_snooze(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.snooze(body)

    async def on_post_removed(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.post_check(body, still_up=False)

    async def on_post_still_up(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.post_check(body, still_up=True)

    async def on_advise_go_ahead(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.advise(body, go_ahead=True)

    async def on_advise_hold(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.advise(body, go_ahead=False)

    async def on_close(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_close(body)

    async def on_close_submit(self, ack: Ack, body: Body) -> None:
        await self.follow.submit_close(ack, body)

    async def on_reopen(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_reopen(body)

    async def on_reopen_submit(self, ack: Ack, body: Body) -> None:
        await self.follow.submit_reopen(ack, body)

    async def on_view_case(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.view_case(body)

    async def on_correct(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_correct(body)

    async def on_correct_submit(self, ack: Ack, body: Body) -> None:
        await self.follow.submit_correct(ack, body)

    async def on_open_file(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_file(body)

    async def on_make_letter(self, ack: Ack, body: Body) -> None:
        await ack()
        await self.follow.open_letter(body)

    async def on_letter_submit(self, ack: Ack, body: Body) -> None:
        await self.follow.submit_letter(ack, body)

    async def unreachable(self, emails: Sequence[str]) -> list[str]:
        """The people Slack has no member for (looked up by email, and kept a while)."""
        return [e for e in emails if await self.directory.user_id(e) is None]

    async def on_home_opened(self, event: Body) -> None:
        """The Home tab: the report button, and the register of cases this person may see."""
        if event.get("tab", "home") != "home":
            return
        actor = await self.directory.actor(str(event["user"]))
        rows = await self.service.visible(actor, open_only=False)
        names = {s.id: s.name for s in self.service.trust.schools}
        note = ""
        if self.service.trust.led_by(actor.email):  # the leads learn who cannot be reached
            missing = await self.unreachable(people_to_reach(self.service.trust))
            if missing:
                note = (
                    f"Not reachable in Slack yet: {', '.join(missing)}. Slack has no member "
                    "with these emails: invite them to the workspace, or correct the trust file."
                )
        cases = views.case_list(rows, names, self.service.clock(), note)
        await self.client.views_publish(
            user_id=actor.user_id, view=render.home_view(cases, HOME_INTRO)
        )

    async def on_message(self, event: Body) -> None:
        """A direct message to the bot from a person: say how to report."""
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        hint = render.hint_message()
        await self.client.chat_postMessage(
            channel=str(event["channel"]), text=hint.text, blocks=hint.block_dicts()
        )

    async def on_mention(self, event: Body) -> None:
        hint = render.hint_message()
        await self.client.chat_postEphemeral(
            channel=str(event["channel"]),
            user=str(event.get("user", "")),
            text=hint.text,
            blocks=hint.block_dicts(),
        )
