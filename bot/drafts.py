"""Drafts the policy implies: the 5.1.1 warning letter, the 5.1 conversation guide, 5.1.5 routes."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from bot.config import School
from bot.errors import FormErrors
from bot.models import Case
from bot.policy import Policy


@dataclass(frozen=True)
class Route:
    """Where to report a post to its platform (5.1.5)."""

    platform: str
    url: str


def platform_route(policy: Policy, platform_id: str) -> Route:
    option = policy.option("platforms", platform_id)
    return Route(option.label, option.report_url)


def conversation_guide(policy: Policy) -> tuple[str, ...]:
    """The first step of 5.1: what to cover with the parent, from the considerations of 3.2."""
    return (
        "Thank them for meeting, and explain that the school wants to resolve this together (5.1).",
        *(f"{c.clause}: {c.text}" for c in policy.considerations),
        f"{policy.channels_clause}: {policy.channels_text}",
        "Ask them to remove the post, and agree when (5.1).",
        "Note what was agreed on the case, with the date.",
    )


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
LETTER_SOURCE = "warning_letter"  # Evidence.source of the letter kept on the case
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What the school said it would do, in the words of the policy's clause, for each action the head
# may approve beside the letter (the first step, 5.1, is behind the school by now).
STEPS = {
    "legal_advice": "take legal advice (5.1.2)",
    "police": "contact the Police (5.1.3)",
    "block_access": "block or restrict your access to the School's website or forum (5.1.4)",
    "report_to_platform": (
        "contact the host or provider of {platform} to make a formal complaint about the content "
        "and ask for the removal of the information (5.1.5)"
    ),
    "other_legal_action": "take other legal action (5.1.6)",
    "retain_evidence": "retain copies of the post to be used as evidence in any enquiry (5.1.7)",
    "other_action": "take other action it deems appropriate after seeking advice (5.1.8)",
}


def remove_by_date(text: str) -> date | None:
    """The letter form's optional remove-by date (YYYY-MM-DD, as date inputs send it)."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FormErrors(
            {"remove_by": "Enter a date such as 2026-12-09, or leave it empty."}
        ) from None


def long_date(day: date) -> str:
    """The British way: 2 December 2026 (whatever the machine's locale)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Letter:
    """The words of a 5.1.1 letter, block by block, before they become a Word document."""

    sender: tuple[str, ...]  # the school's address, from the trust file
    date: str
    reference: str
    addressee: str
    salutation: str
    subject: str
    body: tuple[str, ...]
    concerns: tuple[str, ...]  # after body[0]: the school's concerns, one a bullet
    steps: tuple[str, ...]  # after body[2]: only the next steps the head approved
    signature: tuple[str, ...]


def letter_text(
    case: Case,
    policy: Policy,
    school: School,
    letter_date: date,
    remove_by: date | None = None,
) -> Letter:
    """The letter's words: the policy's and the trust file's, the post described, not repeated."""
    a = case.answers
    platform = policy.option("platforms", a.platform).label
    concerns = []
    for c in a.categories:
        category = policy.category(c)
        if c == "other":
            if a.other_category.strip():
                concerns.append(f"{a.other_category.strip()} ({category.clause})")
        else:
            concerns.append(f"{category.label} ({category.clause})")
    approved = case.decision.actions if case.decision else ()
    steps = tuple(STEPS[x].format(platform=platform) for x in approved if x in STEPS)
    where = f" ({a.link})" if a.link else ""
    removal = (
        "We therefore request that the material in question is removed upon receipt of this "
        "letter (5.1.1)."
    )
    if a.history in ("refused", "continued"):
        removal = "We have already asked you to remove it. " + removal
    if remove_by is not None:
        removal += f" Please make sure it has been removed by {long_date(remove_by)} at the latest."
    body = [
        (
            f"We are writing to you about a post on {platform}{where}, seen by the School on "
            f"{long_date(a.seen_on)}. The School considers it an inappropriate use of social "
            f"networking sites under section 4.2 of the {policy.title}, because of:"
        ),
        (
            "This letter sets out the School's concerns in writing and is a formal warning. "
            + removal
        ),
    ]
    if steps:
        body.append("The School has also decided to:")
    body.append(
        f"Social networking sites are rarely the appropriate place to raise concerns about the "
        f"School. {policy.channels_text.strip().rstrip('.')} ({policy.channels_clause})."
    )
    return Letter(
        sender=school.address or (school.name,),
        date=long_date(letter_date),
        reference=f"Our reference: {case.reference}",
        addressee=a.author_name.strip() or "The Parent/Carer",
        salutation=f"Dear {a.author_name.strip() or 'Parent/Carer'},",
        subject=f"Re: your post on {platform}",
        body=tuple(body),
        concerns=tuple(concerns),
        steps=steps,
        signature=(
            "Yours sincerely,",
            "",
            "",
            *((school.head_name,) if school.head_name else ()),
            "Headteacher",
            school.name,
        ),
    )


def warning_letter(
    case: Case,
    policy: Policy,
    school: School,
    made_at: datetime,
    tz: tzinfo,
    remove_by: date | None = None,
) -> bytes:
    """The 5.1.1 letter as an A4, en-GB Word document: the same inputs give the same bytes."""
    # python-docx takes a tenth of a second to import: only a letter needs it, not start-up.
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, Twips

    letter = letter_text(case, policy, school, made_at.astimezone(tz).date(), remove_by)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Twips(11906), Twips(16838)  # A4, as Word has it
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(25))
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    _british(doc)
    sender = doc.add_paragraph("\n".join(letter.sender))
    sender.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(letter.date).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(letter.reference)
    doc.add_paragraph().add_run("Private and confidential").bold = True
    doc.add_paragraph(letter.addressee)
    doc.add_paragraph(letter.salutation)
    doc.add_paragraph().add_run(letter.subject).bold = True
    for n, text in enumerate(letter.body):
        doc.add_paragraph(text)
        extra = letter.concerns if n == 0 else letter.steps if n == 2 and letter.steps else ()
        for item in extra:
            doc.add_paragraph(item, style="List Bullet")
    for line in letter.signature:
        doc.add_paragraph(line)
    props = doc.core_properties
    props.title = f"Warning letter {case.reference}"
    props.subject = "5.1.1"
    props.author = props.last_modified_by = school.name
    props.language = "en-GB"
    props.revision = 1
    props.keywords = props.comments = props.category = ""
    stamp = made_at.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    props.created = props.modified = props.last_printed = stamp
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue(), stamp)


def _british(doc: Any) -> None:
    """en-GB everywhere Word looks: the default run properties, Normal, and the theme fonts."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    targets = [doc.styles["Normal"].element.get_or_add_rPr()]
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            targets.append(rpr)
    for rpr in targets:
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "en-GB")
        lang.set(qn("w:eastAsia"), "en-GB")
    theme = doc.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), "en-GB")


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The package again, each part stamped with the letter's time instead of the clock's."""
    when = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    when = max(when, (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            new.writestr(info, old.read(item.filename))
    return out.getvalue()
