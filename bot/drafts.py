"""Drafts the policy implies: the 5.1.1 warning letter, the 5.1 conversation guide, 5.1.5 routes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from bot.config import School, Trust
from bot.models import Case
from bot.policy import Policy

REMOVAL_WORKING_DAYS = 2
NEXT_STEPS = ("legal_advice", "police", "block_access", "report_to_platform", "other_legal_action")


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


def letter_paragraphs(
    case: Case, policy: Policy, trust: Trust, school: School, today: date
) -> tuple[str, ...]:
    """The warning letter's text, describing the post neutrally (its words are not repeated)."""
    a = case.answers
    platform = policy.option("platforms", a.platform).label
    categories = "; ".join(
        f"{policy.category(c).label.lower()} (clause {policy.category(c).clause})"
        for c in a.categories
    )
    deadline = trust.hours.add_working_days(today, REMOVAL_WORKING_DAYS)
    next_steps = "; ".join(
        f"{policy.action(x).label.lower()} ({policy.action(x).clause})" for x in NEXT_STEPS
    )
    where = f" at {a.link}" if a.link else ""
    asked_before = a.history in ("refused", "continued")
    removal = (
        ("We have already asked you to remove it, and it is still online. " if asked_before else "")
        + "As clause 5.1.1 of the policy sets out, we ask you to remove it on receipt of this "
        + f"letter, and by {deadline:%A %d %B %Y} at the latest."
    )
    return (
        f"Dear {a.author_name or 'Parent/Carer'},",
        f"Re: a post on {platform} seen on {a.seen_on:%d %B %Y}",
        (
            f"We are writing about a post on {platform}{where}, seen on {a.seen_on:%d %B %Y}, "
            f"which concerns {school.name}. Under the trust's {policy.title} (version "
            f"{policy.version}), the school considers it an inappropriate use of social media: "
            f"{categories}."
        ),
        removal,
        (
            "If you have concerns about the school, please raise them with us directly: "
            f"{policy.channels_text} (clause {policy.channels_clause})."
        ),
        (
            "If the post is not removed, or similar posts follow, the school may consider further "
            f"action under clause 5.1 of the policy: {next_steps}."
        ),
        "Yours sincerely,",
        f"Headteacher, {school.name}",
        f"{trust.name}",
    )


def warning_letter(case: Case, policy: Policy, trust: Trust, school: School, today: date) -> bytes:
    """The 5.1.1 letter as a Word document, for the head to check, sign and send."""
    # python-docx takes a tenth of a second to import: only a letter needs it, not start-up.
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_paragraph(f"{school.name}\n{trust.name}")
    doc.add_paragraph(f"{today:%d %B %Y}")
    doc.add_paragraph(f"Our reference: {case.reference}")
    paragraphs = letter_paragraphs(case, policy, trust, school, today)
    doc.add_paragraph(paragraphs[0])
    doc.add_heading(paragraphs[1], level=2)
    for text in paragraphs[2:]:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
