"""The web channel's demo identity: a signed cookie naming one of the trust file's people."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web

from bot.config import Trust
from bot.models import Actor
from cards.html import Person

PLATFORM = "web"
COOKIE = "postconcerns_demo"
DEMO_STAFF = "teacher"  # the demo member of staff at each school: teacher@<first staff domain>


def display_name(email: str) -> str:
    """A readable first name from the address: head@... -> Head, dsl@... -> DSL."""
    local = email.partition("@")[0]
    return local.upper() if len(local) <= 3 else local.capitalize()


def trust_people(trust: Trust) -> tuple[Person, ...]:
    """Each school's approvers and safeguarding leads, a demo member of staff per school, and
    the trust's escalation contacts."""
    people: dict[str, Person] = {}
    for school in trust.schools:
        roles = [(e, "head or deputy (approver)") for e in school.approvers]
        roles += [(e, "safeguarding lead") for e in school.safeguarding_leads]
        if school.staff_email_domains:
            roles.append((f"{DEMO_STAFF}@{school.staff_email_domains[0]}", "member of staff"))
        for email, role in roles:
            people.setdefault(email, Person(email, display_name(email), f"{role}, {school.name}"))
    for email in trust.escalation_contacts:  # decide a case about a school's head or approver
        people.setdefault(email, Person(email, display_name(email), "escalation contact"))
    return tuple(people.values())


def actor_of(person: Person) -> Actor:
    school = person.role.partition(", ")[2]
    name = f"{person.name}, {school}" if school else person.name
    return Actor(PLATFORM, person.email, person.email, name)


@dataclass(frozen=True)
class Session:
    """Who the browser says it is: a random nonce (for CSRF) and, once chosen, a person."""

    nonce: str
    person: Person | None
    fresh: bool = False  # no valid cookie came in: the response must set one


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


class Identities:
    """Signs and reads the identity cookie; derives the CSRF token from it."""

    def __init__(self, key: bytes, people: tuple[Person, ...]) -> None:
        # A key of its own, derived from the link signing key: a file link never passes as a
        # cookie, and the cookie survives a restart like the links do.
        self._key = hmac.new(key, b"web identity cookie", hashlib.sha256).digest()
        self.people = people
        self._by_email = {p.email: p for p in people}

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def encode(self, session: Session) -> str:
        body = f"{session.nonce}.{_b64(session.person.email if session.person else '')}"
        return f"{body}.{self._sign(body)}"

    def read(self, request: web.Request) -> Session:
        raw = request.cookies.get(COOKIE, "")
        nonce, _, rest = raw.partition(".")
        email_part, _, signature = rest.partition(".")
        body = f"{nonce}.{email_part}"
        if not (nonce and signature and hmac.compare_digest(self._sign(body), signature)):
            return Session(secrets.token_hex(16), None, fresh=True)
        try:
            email = _unb64(email_part)
        except ValueError:
            return Session(secrets.token_hex(16), None, fresh=True)
        return Session(nonce, self._by_email.get(email))

    def choose(self, email: str) -> Session | None:
        """A new session for this person (a new nonce, so old CSRF tokens stop working)."""
        person = self._by_email.get(email)
        return Session(secrets.token_hex(16), person, fresh=True) if person else None

    def csrf(self, session: Session) -> str:
        return self._sign(f"csrf:{self.encode(session)}")

    def check_csrf(self, session: Session, token: str) -> bool:
        return not session.fresh and hmac.compare_digest(self.csrf(session), token)

    def set_cookie(self, response: web.StreamResponse, session: Session) -> None:
        response.set_cookie(
            COOKIE, self.encode(session), httponly=True, samesite="Strict", path="/"
        )
