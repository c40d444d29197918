"""Screenshots sent in the personal chat: downloaded, hashed and kept on the reporter's case."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, TurnContext

from bot.errors import BotError, EvidenceRejected
from bot.models import Actor, CaseSummary
from bot.service import CaseService
from handlers.fetch import FetchFailed, FetchRefused, SafeFetch, teams_rules

log = logging.getLogger(__name__)

FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
RECENT = timedelta(hours=1)


@dataclass(frozen=True)
class IncomingFile:
    name: str
    url: str
    media_type: str
    source: str


def incoming_files(activity: Any) -> list[IncomingFile]:
    """Files and pasted images in a message; Teams' own text/html copy of the message is not one."""
    files = []
    for n, a in enumerate(activity.attachments or [], start=1):
        content = a.content if isinstance(a.content, dict) else {}
        if a.content_type == FILE_INFO and content.get("downloadUrl"):
            kind = str(content.get("fileType") or "")
            name = a.name or f"file-{n}.{kind}"
            media = (
                f"image/{kind}"
                if kind in ("png", "jpg", "jpeg", "gif")
                else "application/octet-stream"
            )
            files.append(
                IncomingFile(
                    name, content["downloadUrl"], media, f"teams:{content.get('uniqueId', '')}"
                )
            )
        elif (a.content_type or "").startswith("image/") and a.content_url:
            name = a.name or f"screenshot-{n}.{a.content_type.split('/')[1]}"
            files.append(IncomingFile(name, a.content_url, a.content_type, "teams:inline"))
    return files


class EvidenceTaker:
    """Downloads what a reporter sends and hands it to the service (5.1.7)."""

    def __init__(self, service: CaseService, demo: bool = False) -> None:
        self.service = service
        self.demo = demo  # a loopback serviceUrl over http is the Emulator's (and the tests')
        self.fetch = SafeFetch()

    async def start(self) -> None:
        self.fetch.session()

    async def stop(self) -> None:
        await self.fetch.close()

    def files_in(self, activity: Any) -> list[IncomingFile]:
        return incoming_files(activity)

    async def recent_case(self, actor: Actor) -> CaseSummary | None:
        """Keep it simple: the reporter's newest open case reported in the last hour."""
        since = self.service.clock() - RECENT
        mine = [
            s
            for s in await self.service.visible(actor)
            if s.reporter_email == actor.email.lower() and s.created_at >= since
        ]
        return max(mine, key=lambda s: s.created_at, default=None)

    async def take(self, turn_context: TurnContext, actor: Actor) -> list[str]:
        """Keep every file on the recent case; one line per file for the reply."""
        case = await self.recent_case(actor)
        if case is None:
            return [
                (
                    "I add screenshots to a report you made in the last hour, and you have none. "
                    "Type report to start one."
                )
            ]
        lines = []
        for incoming in self.files_in(turn_context.activity):
            lines.append(await self.keep(turn_context, actor, case.reference, incoming))
        return lines

    async def keep(
        self, turn_context: TurnContext, actor: Actor, reference: str, f: IncomingFile
    ) -> str:
        try:
            data = await self.download(turn_context, f.url)
            evidence = await self.service.attach_evidence(
                reference, actor, f.name, f.media_type, data, f.source
            )
        except EvidenceRejected as exc:
            return f"Not added to {reference}: {exc}"
        except BotError as exc:
            return f"Not added: {exc}"
        except FetchRefused as exc:
            log.warning("refused to download a file for %s: %s", reference, exc)
            return (
                f"Not added to {reference}: {f.name} is not stored in Teams, so I did not "
                "download it. Please attach the screenshot itself."
            )
        except (FetchFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("download for %s failed: %s", reference, type(exc).__name__)
            return f"I could not download {f.name}: please send it again."
        log.info("evidence %s kept on %s", evidence.short_hash, reference)
        return f"Added {evidence.name} to {reference} (SHA-256 {evidence.short_hash}…)."

    async def download(self, turn_context: TurnContext, url: str) -> bytes:
        """At most one byte over the limit is read: the service then refuses it with the reason."""
        activity = turn_context.activity
        rules = teams_rules(activity.service_url or "", self.demo)
        limit = self.service.trust.evidence_max_bytes
        return await self.fetch.get(url, rules, limit, lambda: self._token(turn_context))

    async def _token(self, turn_context: TurnContext) -> str | None:
        """The bot's connector token (the fetch helper sends it only to the serviceUrl's origin)."""
        client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        credentials = getattr(getattr(client, "config", None), "credentials", None)
        get_token = getattr(credentials, "get_access_token", None)
        if not getattr(credentials, "microsoft_app_id", None) or get_token is None:
            return None
        token = await asyncio.to_thread(get_token)  # msal blocks while it fetches a token
        return str(token) if token else None
