"""The drafts the policy implies: the 5.1.1 letter, the conversation guide, platform routes."""

from __future__ import annotations

import io
from datetime import date

from docx import Document

from bot.drafts import conversation_guide, platform_route, warning_letter
from tests.conftest import HEAD, REPORTER


async def test_warning_letter_opens_in_word_with_school_date_and_clauses(
    service, make_answers, trust, policy
):
    case, _ = await service.submit(
        REPORTER,
        make_answers(
            history="refused", categories=["defamatory", "offensive"], author_name="J Smith"
        ),
        "k",
    )
    out = await service.approve(case.reference, HEAD, case.version, ["warning_letter"])
    data = warning_letter(out.case, policy, trust, trust.school("oak-primary"), date(2026, 11, 26))
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "Oak Primary School" in text and "Oak Multi Academy Trust" in text
    assert "26 November 2026" in text and case.reference in text
    assert "Dear J Smith," in text
    assert "clause 4.2.3" in text and "clause 4.2.4" in text and "5.1.1" in text
    assert "Monday 30 November 2026" in text  # two working days to remove it
    assert "already asked you to remove it" in text
    assert case.answers.post_text not in text  # the post is described, not repeated


def test_conversation_guide_covers_every_consideration(policy):
    guide = "\n".join(conversation_guide(policy))
    for n in range(1, 6):
        assert f"3.2.{n}:" in guide
    assert "4.1:" in guide and "remove the post" in guide


def test_every_platform_has_a_reporting_route(policy):
    for platform in (
        "facebook",
        "instagram",
        "x",
        "tiktok",
        "snapchat",
        "whatsapp",
        "youtube",
        "other",
    ):
        route = platform_route(policy, platform)
        assert route.url.startswith("https://"), platform
