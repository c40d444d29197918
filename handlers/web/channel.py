"""The local web channel at /: the whole flow in a browser, to try the bot without a workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiohttp import web

from bot.config import Settings
from bot.errors import UnknownCase
from bot.links import load_or_create_key
from bot.models import Case
from bot.service import CaseService
from bot.service.files import CaseFiles
from cards import html, views
from cards.html import InboxItem
from handlers.files import VIEWER_KEY
from handlers.web.case import CasePages
from handlers.web.context import WebContext
from handlers.web.identity import PLATFORM, Identities, actor_of, trust_people
from handlers.web.report import DRAFTS, ReportPages
from handlers.web.sender import WebSender, inbox_of, note_from_plain


class WebChannel:
    """Mounted only in demo mode (app.py decides): the identity is a demo, not sign-in."""

    name = PLATFORM
    drafts = DRAFTS

    def __init__(self, settings: Settings, service: CaseService, files: CaseFiles) -> None:
        people = trust_people(service.trust)
        ids = Identities(load_or_create_key(settings.data_dir), people)
        self.ctx = WebContext(service, files, ids, people)
        self.sender = WebSender(service)
        self.url = f"http://{settings.host}:{settings.port}/"

    def mount(self, app: web.Application) -> None:
        app[VIEWER_KEY] = self.viewer  # a file link given here opens only in its session
        app.router.add_get("/", self.home)
        app.router.add_post("/identity", self.choose)
        app.router.add_get("/inbox", self.inbox)
        app.router.add_get("/cases", self.register)
        ReportPages(self.ctx).mount(app)
        CasePages(self.ctx).mount(app)

    def viewer(self, request: web.Request) -> str | None:
        """Who this browser acts as, named as file links name people (Actor.key)."""
        person = self.ctx.ids.read(request).person
        return actor_of(person).key if person else None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def unreachable(self, emails: Sequence[str]) -> list[str]:
        return []  # everyone of the trust file has a web inbox

    # pages

    async def home(self, request: web.Request) -> web.Response:
        session = self.ctx.session(request)
        current = session.person.email if session.person else ""
        picker = html.identity_picker(self.ctx.people, current, self.ctx.post(session, "/identity"))
        main = html.home(session.person, picker, "/report")
        return self.ctx.respond(session, "Home", main)

    async def choose(self, request: web.Request) -> web.Response:
        """Act as another person from the trust file: a new cookie, so old forms stop working."""
        session = self.ctx.session(request)
        form = await self.ctx.read_form(request, session)
        chosen = self.ctx.ids.choose(form.one("email"))
        if chosen is None:
            return self.ctx.message(session, "Choose who you are", "Pick one of the people.", 422)
        response = web.Response(status=303, headers={"Location": "/"})
        self.ctx.ids.set_cookie(response, chosen)
        return response

    async def inbox(self, request: web.Request) -> web.Response:
        """The notices the outbox delivered to this person, newest first."""
        session, actor = self.ctx.require(request)
        items = []
        cases: dict[str, Case | None] = {}
        tz = self.ctx.service.trust.tz
        for raw in await inbox_of(self.ctx.service, actor.email):
            note = note_from_plain(raw)
            if note.reference not in cases:
                cases[note.reference] = await self._case(note.reference)
            note = views.as_now(note, str(raw.get("notice", "")), cases[note.reference], tz)
            item = InboxItem(note, self.when(str(raw["at"])), f"/cases/{note.reference}")
            items.append((item, self.ctx.post(session, f"/cases/{note.reference}/act")))
        return self.ctx.respond(session, "Your notices", html.inbox(items))

    async def register(self, request: web.Request) -> web.Response:
        session, actor = self.ctx.require(request)
        service = self.ctx.service
        rows = await service.visible(actor, open_only=False)
        names = {s.id: s.name for s in service.trust.schools}
        view = views.case_list(rows, names, service.clock())
        return self.ctx.respond(session, "Cases", html.case_list(view))

    async def _case(self, reference: str) -> Case | None:
        try:
            return (await self.ctx.service.get(reference)).case
        except UnknownCase:
            return None

    def when(self, at: str) -> str:
        moment = datetime.fromisoformat(at).astimezone(self.ctx.service.trust.tz)
        return f"{moment:%d %b %Y, %H:%M}"
