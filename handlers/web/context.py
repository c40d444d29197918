"""What every web page needs: who is asking, their CSRF token, forms read once, page responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from markupsafe import Markup

from bot.models import Actor
from bot.service import CaseService
from bot.service.files import CaseFiles
from cards import html
from cards.html import Person, Post
from handlers.web.identity import Identities, Session, actor_of

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
READ_CHUNK = 64 * 1024
MAX_PARTS = 100  # more than any of the forms has fields; a form with more is refused unread


@dataclass(frozen=True)
class Upload:
    name: str
    media_type: str
    data: bytes
    too_big: bool = False  # cut off at the size limit: refused without reading the rest
    too_many: bool = False  # past the trust's file limit for one form: not read at all


@dataclass(frozen=True)
class Submitted:
    """A POSTed form, read once: its fields (a list per name) and any files."""

    fields: Mapping[str, list[str]]
    files: tuple[Upload, ...] = ()

    def one(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0]

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name) or [])


@dataclass
class WebContext:
    service: CaseService
    files: CaseFiles
    ids: Identities
    people: tuple[Person, ...] = field(default_factory=tuple)

    # who is asking

    def session(self, request: web.Request) -> Session:
        return self.ids.read(request)

    def require(self, request: web.Request) -> tuple[Session, Actor]:
        """The person this browser acts as; without one, back to the home page to choose."""
        session = self.session(request)
        if session.person is None:
            raise web.HTTPSeeOther("/")
        return session, actor_of(session.person)

    def actor_of(self, session: Session) -> Actor:
        if session.person is None:
            raise web.HTTPSeeOther("/")
        return actor_of(session.person)

    def post(self, session: Session, url: str) -> Post:
        return Post(url, self.ids.csrf(session))

    # forms

    async def read_form(self, request: web.Request, session: Session) -> Submitted:
        """The fields and files of a POST, after its CSRF token is checked."""
        if request.content_type == "multipart/form-data":
            submitted = await self._read_multipart(request)
        else:
            data = await request.post()
            fields: dict[str, list[str]] = {}
            for key, value in data.items():
                if isinstance(value, str):
                    fields.setdefault(key, []).append(value)
            submitted = Submitted(fields)
        if not self.ids.check_csrf(session, submitted.one(html.CSRF)):
            raise web.HTTPForbidden(
                text="This form has expired or came from another site. Go back and try again."
            )
        return submitted

    async def _read_multipart(self, request: web.Request) -> Submitted:
        """Streams the parts: a file is read up to the trust's size limit and no further."""
        limit = self.service.trust.evidence_max_bytes
        fields: dict[str, list[str]] = {}
        files: list[Upload] = []
        reader = await request.multipart()
        parts = 0
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > MAX_PARTS:
                raise web.HTTPRequestEntityTooLarge(
                    MAX_PARTS,
                    parts,
                    text=f"This form sent more than {MAX_PARTS} parts; none of the bot's has.",
                )
            if not isinstance(part, BodyPartReader) or not part.name:
                continue
            if part.filename is None:
                text = (await part.read(decode=True)).decode("utf-8", "replace")
                fields.setdefault(part.name, []).append(text[:20000])
                continue
            if len(files) >= self.service.trust.evidence_max_files:
                files.append(Upload(part.filename or "screenshot", "", b"", too_many=True))
                continue
            data, too_big = await _read_limited(part, limit)
            if part.filename or data:
                media = part.headers.get("Content-Type", "application/octet-stream")
                files.append(Upload(part.filename or "screenshot", media, data, too_big))
        return Submitted(fields, tuple(files))

    # pages

    def respond(
        self, session: Session, title: str, main: Markup, status: int = 200
    ) -> web.Response:
        body = html.page(title, main, session.person)
        response = web.Response(
            text=body, status=status, content_type="text/html", headers=SECURITY_HEADERS
        )
        if session.fresh:
            self.ids.set_cookie(response, session)
        return response

    def message(self, session: Session, title: str, text: str, status: int) -> web.Response:
        return self.respond(session, title, html.message(title, text), status)


async def _read_limited(part: BodyPartReader, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
    return b"".join(chunks), False
