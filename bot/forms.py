"""The report form, derived from the policy: sections, fields, validation into Answers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from bot.config import School
from bot.errors import FormErrors
from bot.models import Answers
from bot.policy import Option, Policy

MAX_TEXT = 3000
MAX_SHORT = 200
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+(?:[/?#]\S*)?$")  # facebook.com/post/1, no scheme


def with_scheme(link: str) -> str:
    """A link typed without its scheme (www.facebook.com/...) gets https:// rather than a
    refusal; anything else is left for the check to judge."""
    return f"https://{link}" if BARE_HOST.match(link) else link


class FieldId(StrEnum):
    PLATFORM = "platform"
    LINK = "link"
    SEEN_ON = "seen_on"
    POST_TEXT = "post_text"
    EVIDENCE = "evidence"
    AUTHOR_RELATIONSHIP = "author_relationship"
    AUTHOR_NAME = "author_name"
    ABOUT = "about"
    SCHOOL = "school_id"
    CATEGORIES = "categories"
    OTHER_CATEGORY = "other_category"
    FACTS = "facts"
    STAFF_ALLEGATION = "allegation_against_staff"
    HISTORY = "history"
    INVESTIGATION = "investigation_under_way"
    CHILD_NOTE = "child_note"


class Kind(StrEnum):
    SELECT = "select"  # one of a few options, as a drop-down
    RADIO = "radio"  # one of a few options, all visible
    CHECKBOXES = "checkboxes"  # any number of options
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    FLAG = "flag"  # a single yes/no tick box
    FILES = "files"


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class Field:
    id: FieldId
    kind: Kind
    label: str
    hint: str = ""
    required: bool = False
    choices: tuple[Choice, ...] = ()
    max_length: int = 0
    placeholder: str = ""
    clause: str = ""  # the policy's clause the question comes from, a small reference after it

    @property
    def said(self) -> str:
        """The question with its clause after it, where a label cannot be styled (Slack, Teams)."""
        return f"{self.label} ({self.clause})" if self.clause else self.label


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    fields: tuple[Field, ...]


def _choices(options: Sequence[Option], with_clause: bool = False) -> tuple[Choice, ...]:
    return tuple(Choice(o.id, o.referenced if with_clause else o.label) for o in options)


STUDENT = re.compile(r"\b([Ss])tudent")


def in_words(sections: tuple[Section, ...], schools: Sequence[School]) -> tuple[Section, ...]:
    """The form in the schools' own word for the children: the policy says "students"; a
    school whose trust file says `pupil_word = "pupil"` (every school of the form's, so the
    word is one throughout) reads "pupils". Answer ids are the policy's either way."""
    if not schools or any(s.pupil_word != "pupil" for s in schools):
        return sections

    def say(text: str) -> str:
        return STUDENT.sub(lambda m: "Pupil" if m[1] == "S" else "pupil", text)

    return tuple(
        replace(
            section,
            title=say(section.title),
            fields=tuple(
                replace(
                    f,
                    label=say(f.label),
                    hint=say(f.hint),
                    choices=tuple(replace(c, label=say(c.label)) for c in f.choices),
                )
                for f in section.fields
            ),
        )
        for section in sections
    )


def report_form(policy: Policy, schools: Sequence[School] = ()) -> tuple[Section, ...]:
    """The questions, in the order asked; the school question only when there is a choice."""
    return in_words(_questions(policy, schools), schools)


def _questions(policy: Policy, schools: Sequence[School]) -> tuple[Section, ...]:
    school = (
        (
            Field(
                FieldId.SCHOOL,
                Kind.SELECT,
                "Which school is this about?",
                required=True,
                choices=tuple(Choice(s.id, s.name) for s in schools),
            ),
        )
        if len(schools) > 1
        else ()
    )
    return (
        Section(
            "post",
            "The post",
            (
                Field(
                    FieldId.PLATFORM,
                    Kind.SELECT,
                    "Where was it posted?",
                    required=True,
                    choices=_choices(policy.platforms),
                ),
                Field(
                    FieldId.LINK,
                    Kind.TEXT,
                    "Link to the post (if you have it)",
                    hint="Starts with https://",
                    max_length=MAX_SHORT * 5,
                    placeholder="https://",
                ),
                Field(FieldId.SEEN_ON, Kind.DATE, "When did you see it?", required=True),
                Field(
                    FieldId.POST_TEXT,
                    Kind.LONG_TEXT,
                    "What does the post say?",
                    hint="Copy the words, or describe the picture or video.",
                    required=True,
                    max_length=MAX_TEXT,
                ),
                Field(
                    FieldId.EVIDENCE,
                    Kind.FILES,
                    "Screenshots of the post (optional)",
                    hint="They are kept as evidence under clause 5.1.7.",
                ),
            ),
        ),
        Section(
            "people",
            "Who posted it, and about whom",
            (
                Field(
                    FieldId.AUTHOR_RELATIONSHIP,
                    Kind.RADIO,
                    "Who posted it?",
                    clause="1.2",
                    required=True,
                    hint="Parents include carers, relatives and anyone associated with the school.",
                    choices=_choices(policy.relationships),
                ),
                Field(
                    FieldId.AUTHOR_NAME,
                    Kind.TEXT,
                    "Their name, if you know it",
                    max_length=MAX_SHORT,
                ),
                Field(
                    FieldId.ABOUT,
                    Kind.CHECKBOXES,
                    "Who is the post about? Tick all that apply.",
                    required=True,
                    choices=_choices(policy.subjects),
                ),
                *school,
            ),
        ),
        Section(
            "what",
            "What is wrong with it, and what has happened",
            (
                Field(
                    FieldId.CATEGORIES,
                    Kind.CHECKBOXES,
                    "What makes it inappropriate? Tick all that apply.",
                    clause="4.2",
                    required=True,
                    choices=_choices(policy.categories, with_clause=True),
                ),
                Field(
                    FieldId.OTHER_CATEGORY,
                    Kind.TEXT,
                    "If you ticked other: what is inappropriate about it?",
                    max_length=MAX_SHORT * 2,
                ),
                *_asked_apart(policy),
                Field(
                    FieldId.FACTS,
                    Kind.CHECKBOXES,
                    "Is any of this true? Tick any that apply.",
                    choices=_choices([f for f in policy.facts if not f.asked_apart]),
                ),
                Field(
                    FieldId.HISTORY,
                    Kind.RADIO,
                    "What has happened so far?",
                    clause="5.1",
                    required=True,
                    choices=_choices(policy.histories),
                ),
                Field(
                    FieldId.INVESTIGATION,
                    Kind.FLAG,
                    "Is a school investigation or enquiry under way on this matter?",
                    choices=(Choice("yes", "Yes, an investigation or enquiry is under way"),),
                ),
                Field(
                    FieldId.CHILD_NOTE,
                    Kind.LONG_TEXT,
                    "Does it involve a child's own account, or age-inappropriate use?",
                    clause="4.3",
                    max_length=MAX_SHORT * 5,
                ),
            ),
        ),
    )


def _asked_apart(policy: Policy) -> tuple[Field, ...]:
    """The safeguarding question asked on its own, in the words of the policy file's label."""
    return tuple(
        Field(
            FieldId.STAFF_ALLEGATION,
            Kind.FLAG,
            f.label,
            hint="If yes, the safeguarding lead is told at once.",
            choices=(Choice("yes", "Yes"),),
        )
        for f in policy.facts
        if f.asked_apart and f.id == FieldId.STAFF_ALLEGATION.value
    )


def fields_of(sections: Sequence[Section]) -> tuple[Field, ...]:
    return tuple(f for s in sections for f in s.fields)


def _text(values: Mapping[str, Any], fid: FieldId) -> str:
    v = values.get(fid)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise TypeError
    return v.strip()


def _list(values: Mapping[str, Any], fid: FieldId) -> tuple[str, ...]:
    v = values.get(fid)
    if v in (None, ""):
        return ()
    if isinstance(v, str):
        v = [p for p in v.split(",") if p]
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
        raise TypeError
    return tuple(dict.fromkeys(v))


def check(sections: Sequence[Section], values: Mapping[str, Any], today: date) -> dict[str, str]:
    """Errors by field id for the given sections' answers, each a message for the person."""
    errors: dict[str, str] = {}
    for f in fields_of(sections):
        try:
            errors.update(_check_field(f, values, today))
        except TypeError:
            errors[f.id] = "This answer is in the wrong form. Please answer it again."
    ids = {f.id for f in fields_of(sections)}
    if FieldId.OTHER_CATEGORY in ids and FieldId.CATEGORIES not in errors:
        try:
            other = "other" in _list(values, FieldId.CATEGORIES)
            if other and not _text(values, FieldId.OTHER_CATEGORY):
                errors[FieldId.OTHER_CATEGORY] = (
                    "You ticked other: say what is inappropriate about it."
                )
        except TypeError:
            pass
    return errors


def _check_field(f: Field, values: Mapping[str, Any], today: date) -> dict[str, str]:
    if f.kind is Kind.FILES:
        return {}
    allowed = {c.id for c in f.choices}
    if f.kind in (Kind.CHECKBOXES, Kind.FLAG):
        picked = _list(values, f.id)
        if f.required and not picked:
            return {f.id: "Tick at least one."}
        if set(picked) - allowed:
            return {f.id: "Pick from the options shown."}
        return {}
    text = _text(values, f.id)
    if not text:
        return {f.id: _missing(f)} if f.required else {}
    if f.kind in (Kind.SELECT, Kind.RADIO) and text not in allowed:
        return {f.id: "Pick one of the options shown."}
    if f.max_length and len(text) > f.max_length:
        return {f.id: f"Please keep this under {f.max_length} characters (it has {len(text)})."}
    if f.kind is Kind.DATE:
        try:
            seen = date.fromisoformat(text)
        except ValueError:
            return {f.id: "Give a date such as 2026-11-26."}
        if seen > today:
            return {f.id: "That date is in the future."}
        if (today - seen).days > 3660:
            return {f.id: "That date is more than ten years ago."}
    if f.id is FieldId.LINK and not URL.match(with_scheme(text)):
        return {f.id: "A link starts with https:// (or leave it empty)."}
    return {}


def _missing(f: Field) -> str:
    return {
        Kind.SELECT: "Please choose one.",
        Kind.RADIO: "Please choose one.",
        Kind.DATE: "Please give the date.",
    }.get(f.kind, "Please fill this in.")


def to_answers(
    sections: Sequence[Section],
    values: Mapping[str, Any],
    today: date,
    default_school: str,
) -> Answers:
    """Validate every section and build the immutable answers, or raise FormErrors."""
    errors = check(sections, values, today)
    if errors:
        raise FormErrors(errors)
    categories = _list(values, FieldId.CATEGORIES)
    return Answers(
        platform=_text(values, FieldId.PLATFORM),
        link=with_scheme(_text(values, FieldId.LINK)),
        seen_on=date.fromisoformat(_text(values, FieldId.SEEN_ON)),
        post_text=_text(values, FieldId.POST_TEXT),
        author_relationship=_text(values, FieldId.AUTHOR_RELATIONSHIP),
        author_name=_text(values, FieldId.AUTHOR_NAME),
        about=_list(values, FieldId.ABOUT),
        categories=categories,
        other_category=_text(values, FieldId.OTHER_CATEGORY) if "other" in categories else "",
        facts=(
            *_list(values, FieldId.FACTS),
            *(("allegation_against_staff",) if _list(values, FieldId.STAFF_ALLEGATION) else ()),
        ),
        history=_text(values, FieldId.HISTORY),
        investigation_under_way=bool(_list(values, FieldId.INVESTIGATION)),
        child_note=_text(values, FieldId.CHILD_NOTE),
        school_id=_text(values, FieldId.SCHOOL) or default_school,
    )
