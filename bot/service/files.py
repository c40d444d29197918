"""A case's files (evidence, drafts) behind signed links, for people allowed to see the case."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot import filetypes
from bot.drafts import DOCX
from bot.errors import NotAllowed, UnknownCase
from bot.links import LinkSigner
from bot.models import Actor, Case
from bot.service import CaseService
from bot.service.follow_through import letter_of


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
        """A signed path valid for five minutes, only for someone who may see the case."""
        case = (await self.service.get(reference)).case
        if not self.service.can_view(actor, case):
            raise NotAllowed(
                f"Only the reporter and the school's leads can open {reference}'s files."
            )
        if kind is FileKind.LETTER and key == LETTER_KEY and letter_of(case) is None:
            # The first press of the letter's button makes it (5.1.1); every later one opens it.
            case = (await self.service.make_letter(reference, actor)).case
        self._name(case, kind, key)
        return self.signer.sign(self.path(reference, kind, key))

    def check(self, path: str, expires: str, signature: str) -> str:
        return self.signer.check(path, expires, signature)

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
        data = self.service.store.evidence_path(sha).read_bytes()
        if kind is FileKind.EVIDENCE:
            # What the bytes are, whatever was recorded (files kept before types were checked).
            media_type = filetypes.detect(data) or "application/octet-stream"
        return FileContent(name, media_type, data)
