"""A case's files (evidence, drafts) behind signed links, for the people allowed to see each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot import filetypes
from bot.access import AccessEntry, AccessKind
from bot.drafts import DOCX
from bot.errors import NotAllowed, UnknownCase
from bot.links import LinkCheck, LinkSigner
from bot.models import Actor, Case
from bot.service import CaseService
from bot.service.follow_through import letter_of
from bot.sight import NOT_YOUR_FILE, NOT_YOURS


class FileKind(StrEnum):
    EVIDENCE = "evidence"
    LETTER = "letter"


LETTER_KEY = "warning-letter"


@dataclass(frozen=True)
class FileContent:
    name: str
    media_type: str
    data: bytes


class CaseFiles:
    def __init__(self, service: CaseService, signer: LinkSigner) -> None:
        self.service = service
        self.signer = signer

    @staticmethod
    def path(reference: str, kind: FileKind, key: str) -> str:
        return f"/files/{reference}/{kind.value}/{key}"

    async def link(self, reference: str, actor: Actor, kind: FileKind, key: str) -> str:
        """A signed path valid for five minutes, only for someone who may see this file (need
        to know: bot/sight.py); the link handed out goes in the case's access log."""
        case = (await self.service.get(reference)).case
        sight = self.service.sight(actor, case)
        if not sight.any:
            raise NotAllowed(NOT_YOURS.format(reference=reference))
        if kind is FileKind.LETTER:
            allowed = sight.letter
        else:
            self._name(case, kind, key)  # no such file: say so (404), whoever asks
            allowed = any(sight.evidence(e) for e in case.evidence if e.sha256 == key)
        if not allowed:
            raise NotAllowed(NOT_YOUR_FILE.format(reference=reference))
        if kind is FileKind.LETTER and key == LETTER_KEY and letter_of(case) is None:
            # The first press of the letter's button makes it (5.1.1); every later one opens it.
            case = (await self.service.make_letter(reference, actor)).case
        name, _ = self._name(case, kind, key)
        await self.service.record_access(
            reference,
            actor,
            AccessKind.FILE_LINK_ISSUED,
            actor.platform,
            self._what(kind, key, name),
        )
        # Bound to this person: the web channel checks the browser's session against it;
        # Slack and Teams show it to them alone (an ephemeral message, their own card).
        return self.signer.sign(self.path(reference, kind, key), actor.key)

    @staticmethod
    def _what(kind: FileKind, key: str, name: str) -> str:
        return f"{kind.value} {name}" + (
            f" (SHA-256 {key[:12]})" if kind is FileKind.EVIDENCE else ""
        )

    async def opened(self, reference: str, kind: FileKind, key: str, person: str = "") -> None:
        """Record that a link was used. person: whom the signed link names ("platform:id",
        LinkCheck.person), recorded as their latest issue of this file names them."""
        found = await self.read_name(reference, kind, key)
        what = self._what(kind, key, found)
        issued = _last_issue(await self.service.access_log(reference), what, person)
        by = issued.actor if issued else (person or "the holder of a signed link")
        channel = issued.channel if issued else "link"
        await self.service.record_access(reference, by, AccessKind.FILE_OPENED, channel, what)

    async def read_name(self, reference: str, kind: FileKind, key: str) -> str:
        case = (await self.service.get(reference)).case
        return self._name(case, kind, key)[0]

    def check(self, path: str, query: Sequence[tuple[str, str]]) -> LinkCheck:
        """The link's verdict and, when good, the person it was issued to ("platform:id")."""
        return self.signer.check(path, query)

    def _name(self, case: Case, kind: FileKind, key: str) -> tuple[str, str]:
        if kind is FileKind.EVIDENCE:
            for e in case.evidence:
                if e.sha256 == key:
                    return e.name, e.media_type
        elif kind is FileKind.LETTER and key == LETTER_KEY:
            letter = letter_of(case)
            if letter is not None:
                return letter.name, DOCX
        raise UnknownCase(f"{case.reference} has no such file.")

    async def read(self, reference: str, kind: FileKind, key: str) -> FileContent:
        case = (await self.service.get(reference)).case
        name, media_type = self._name(case, kind, key)
        letter = letter_of(case)
        # The letter is kept like any evidence: the bytes made once, never made again.
        sha = letter.sha256 if kind is FileKind.LETTER and letter else key
        data = self.service.store.read_evidence(sha)
        if kind is FileKind.EVIDENCE:
            # What the bytes are, whatever was recorded (files kept before types were checked).
            media_type = filetypes.detect(data) or "application/octet-stream"
        return FileContent(name, media_type, data)


def _last_issue(log: list[AccessEntry], what: str, person: str) -> AccessEntry | None:
    """The latest issue of this file's link, to this person when the link names them."""
    return next(
        (
            e
            for e in reversed(log)
            if e.kind is AccessKind.FILE_LINK_ISSUED
            and e.what == what
            and (not person or e.actor.endswith(f"({person})"))
        ),
        None,
    )
