"""The drafts the policy implies: the 5.1.1 letter, the conversation guide, platform routes."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document

from bot.drafts import conversation_guide, platform_route, warning_letter
from bot.errors import FormErrors, NotAllowed, UnknownCase
from tests.conftest import HEAD, REPORTER


def letter_doc(data: bytes):
    return Document(io.BytesIO(data))


def letter_words(data: bytes) -> str:
    return "\n".join(p.text for p in letter_doc(data).paragraphs)


async def approved_case(service, make_answers, actions, **answers):
    case, _ = await service.submit(REPORTER, make_answers(**answers), "k")
    return (await service.approve(case.reference, HEAD, case.version, actions)).case


MADE = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # Wednesday 2 December 2026


async def test_the_letter_is_a4_british_private_and_from_the_school(
    service, make_answers, trust, policy
):
    case = await approved_case(
        service,
        make_answers,
        ["warning_letter"],
        history="refused",
        categories=["defamatory", "other"],
        other_category="Posted the head's car registration",
        author_name="Mr Doe",
    )
    school = trust.school("oak-primary")
    data = warning_letter(case, policy, school, MADE, trust.tz)
    doc = letter_doc(data)
    section = doc.sections[0]
    # A4 (Word's 11906 x 16838 twentieths of a point), not US Letter.
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert doc.core_properties.language == "en-GB"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
        settings = z.read("word/settings.xml").decode()
    assert 'w:lang w:val="en-GB"' in styles and "en-US" not in styles
    assert "en-US" not in settings
    text = letter_words(data)
    assert "Private and confidential" in text
    assert "\n".join(school.address) in text  # the trust file's address, a line each
    assert "Mrs J. Patel\nHeadteacher\nOak Primary School" in text  # the head's name
    assert "Dear Mr Doe," in text
    assert "2 December 2026" in text and "02 December" not in text
    assert case.reference in text
    # The concerns in plain words, with the "other" description and the clauses.
    assert "Defamatory statements about the school or its staff (4.2.3)" in text
    assert "Posted the head's car registration (4.2)" in text
    # 5.1.1's own words, and no invented deadline.
    assert "removed upon receipt of this letter (5.1.1)" in text
    assert "already asked you to remove it" in text
    assert " by " not in text.split("(5.1.1).")[1].split("\n")[0]
    # 4.1, stated as the policy file states it.
    assert (
        "in a private and confidential discussion with the school, or through the school's "
        "formal complaints process (4.1)." in text
    )
    assert case.answers.post_text not in text  # the post is described, not repeated
    # Only the letter was approved: no threat of police or legal action.
    for threat in ("Police", "police", "legal", "5.1.2", "5.1.3", "5.1.6", "also decided"):
        assert threat not in text, threat


async def test_only_the_steps_the_head_approved_and_the_date_the_head_set(
    service, make_answers, trust, policy
):
    case = await approved_case(
        service, make_answers, ["warning_letter", "police", "report_to_platform"]
    )
    school = trust.school("oak-primary")
    text = letter_words(warning_letter(case, policy, school, MADE, trust.tz, date(2026, 12, 9)))
    assert "The School has also decided to:\ncontact the Police (5.1.3)\n" in text
    assert "formal complaint about the content" in text and "(5.1.5)" in text
    assert "legal" not in text  # 5.1.2 and 5.1.6 were not approved
    assert "removed by 9 December 2026 at the latest" in text
    assert "Dear Parent/Carer," in text  # make_answers leaves the author unnamed


async def test_no_head_name_or_address_in_the_trust_file(service, make_answers, trust, policy):
    case = await approved_case(service, make_answers, ["warning_letter"])
    school = replace(trust.school("oak-primary"), address=(), head_name="")
    text = letter_words(warning_letter(case, policy, school, MADE, trust.tz))
    assert text.startswith("Oak Primary School\n2 December 2026")
    assert "Yours sincerely,\n\n\nHeadteacher\nOak Primary School" in text


async def test_the_same_inputs_give_the_same_bytes(service, make_answers, trust, policy):
    case = await approved_case(service, make_answers, ["warning_letter"])
    school = trust.school("oak-primary")
    first = warning_letter(case, policy, school, MADE, trust.tz)
    await asyncio.sleep(1.1)  # a zip stamps each part with the clock, to the two seconds
    assert warning_letter(case, policy, school, MADE, trust.tz) == first
    props = letter_doc(first).core_properties
    assert props.created == props.modified == MADE
    later = warning_letter(case, policy, school, MADE + timedelta(days=1), trust.tz)
    assert later != first and "3 December 2026" in letter_words(later)


async def test_the_letter_is_made_once_and_kept_as_evidence(
    service, make_answers, store, clock, trust
):
    case = await approved_case(service, make_answers, ["warning_letter"])
    with pytest.raises(FormErrors) as err:
        await service.make_letter(case.reference, HEAD, clock.now.date())
    assert "after today" in err.value.errors["remove_by"]
    out = await service.make_letter(case.reference, HEAD, date(2026, 12, 4))
    [letter] = out.case.evidence
    data = store.read_evidence(letter.sha256)
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    assert "removed by 4 December 2026" in letter_words(data)
    record = await service.get(case.reference)
    [event] = [e for e in record.timeline if e.kind == "letter_made"]
    assert event.after["sha256"] == letter.sha256 and letter.sha256 in event.summary
    assert event.after["remove_by"] == "2026-12-04"
    # Made once: pressing again, or marking the task done, changes nothing about it.
    clock.now += timedelta(days=1)
    again = await service.make_letter(case.reference, HEAD)
    assert not again.applied and "opening it gives that letter" in again.note
    await service.complete_task(case.reference, HEAD, "t1", "Posted", "2026-11-27")
    record = await service.get(case.reference)
    assert record.case.evidence == (letter,)
    assert [e.kind for e in record.timeline].count("letter_made") == 1


async def test_marking_the_letter_task_done_makes_the_letter(service, make_answers, store):
    case = await approved_case(service, make_answers, ["warning_letter", "police"])
    with pytest.raises(NotAllowed):
        await service.make_letter(case.reference, REPORTER)
    await service.complete_task(case.reference, HEAD, "t2", "Rang 101", "CAD-1")
    assert not (await service.get(case.reference)).case.evidence  # only the letter's task does
    await service.complete_task(case.reference, HEAD, "t1", "Posted", "2026-11-27")
    record = await service.get(case.reference)
    [letter] = record.case.evidence
    assert letter.source == "warning_letter"
    kinds = [e.kind for e in record.timeline]
    assert kinds[-2:] == ["letter_made", "task_done"]
    text = letter_words(store.read_evidence(letter.sha256))
    assert "contact the Police (5.1.3)" in text and "removed by" not in text


async def test_no_letter_without_an_approved_letter(service, make_answers):
    case = await approved_case(service, make_answers, ["police"])
    with pytest.raises(UnknownCase):
        await service.make_letter(case.reference, HEAD)


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


async def test_no_letter_is_made_on_a_closed_case(service, make_answers):
    case = await approved_case(service, make_answers, ["warning_letter"])
    await service.close(case.reference, HEAD, "no_further_action", "Resolved by phone")
    with pytest.raises(NotAllowed, match="reopen it"):
        await service.make_letter(case.reference, HEAD)
    assert not (await service.get(case.reference)).case.evidence
