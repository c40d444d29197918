"""An approver corrects a submitted answer: a timeline event with the old and new value and the
reason; the report as filed is never edited, and the card shows the corrected value."""

from __future__ import annotations

import pytest

from bot.corrections import corrected
from bot.errors import FormErrors, NotAllowed
from bot.sight import sight
from bot.timeline import verify
from cards import views
from tests.conftest import DSL, HEAD, REPORTER

FILED = "The year 4 teacher is useless and should be sacked"
SAID = "The year 4 teacher is useless and should be sacked today"


async def filed(service, make_answers):  # noqa: ANN001, ANN201
    case, _ = await service.submit(REPORTER, make_answers(post_text=FILED), "k")
    return case


async def test_a_correction_is_an_event_with_old_new_and_reason(service, make_answers, trust):
    case = await filed(service, make_answers)
    out = await service.correct_answer(
        case.reference, HEAD, "post_text", f"  {SAID} ", "The screenshot shows one more word"
    )
    assert out.applied
    record = await service.get(case.reference)
    event = record.timeline[-1]
    assert event.kind == "answer_corrected"
    assert event.actor.startswith("head@oakprimary.example")
    assert event.before == {"post_text": FILED, "version": 1}
    assert event.after == {
        "post_text": SAID,
        "version": 2,
        "reason": "The screenshot shows one more word",
    }
    assert verify(record.timeline) == []
    now = record.case
    assert now.answers.post_text == FILED  # the report as filed is kept
    assert corrected(now.answers, now.corrections).post_text == SAID
    assert now.version == 2  # a decision on the old card is stale
    school = trust.school(now.school_id)
    card = views.approval_card(now, service.policy, school, trust.tz)
    facts = {f.label: f.value for f in card.facts}
    assert facts["What it says"] == SAID
    assert facts["Corrected"].startswith("What it says: by Hana Head on ")
    assert f"was “{FILED}”. Reason: The screenshot shows one more word" in facts["Corrected"]
    mine = views.approval_card(
        now, service.policy, school, trust.tz, sight=sight(REPORTER.email, now, school)
    )
    theirs = {f.label: f.value for f in mine.facts}
    assert theirs["What it says"] == SAID and "corrected on" in theirs["Corrected"]
    assert "Reason" not in theirs["Corrected"] and "Hana" not in theirs["Corrected"]


async def test_a_second_correction_starts_from_the_first(service, make_answers):
    case = await filed(service, make_answers)
    await service.correct_answer(case.reference, HEAD, "author_name", "Jo Bloggs", "Named later")
    await service.correct_answer(case.reference, HEAD, "author_name", "Jo Blogs", "Spelling")
    record = await service.get(case.reference)
    assert [e.before for e in record.timeline[-2:]] == [
        {"author_name": "", "version": 1},
        {"author_name": "Jo Bloggs", "version": 2},
    ]
    assert corrected(record.case.answers, record.case.corrections).author_name == "Jo Blogs"


async def test_bad_corrections_change_nothing(service, make_answers):
    case = await filed(service, make_answers)
    ref = case.reference
    before = await service.get(ref)
    with pytest.raises(FormErrors) as err:
        await service.correct_answer(ref, HEAD, "post_text", SAID, "  ")
    assert err.value.errors == {"reason": "Say why the answer is corrected."}
    with pytest.raises(FormErrors) as err:
        await service.correct_answer(ref, HEAD, "categories", "racist", "Wrong box")
    assert err.value.errors == {"field": "Choose the answer to correct."}
    with pytest.raises(FormErrors) as err:
        await service.correct_answer(ref, HEAD, "link", "not a link", "Typo")
    assert err.value.errors == {"value": "Give a link starting with https://"}
    same = await service.correct_answer(ref, HEAD, "post_text", FILED, "No change")
    assert not same.applied and same.note == "That is what the answer says already."
    for someone in (REPORTER, DSL):
        with pytest.raises(NotAllowed) as refused:
            await service.correct_answer(ref, someone, "post_text", SAID, "Because")
        assert "approvers can" in str(refused.value) and "@" not in str(refused.value)
    assert await service.get(ref) == before
