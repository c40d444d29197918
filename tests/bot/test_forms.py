"""The form's questions come from the policy; bad answers give messages by field."""

from __future__ import annotations

from datetime import date

from bot.forms import FieldId, Kind, check, fields_of, report_form, to_answers
from tests.samples import answers_values

TODAY = date(2026, 11, 26)


def test_questions_follow_the_policy(policy, trust):
    form = report_form(policy, trust.schools)
    by_id = {f.id: f for f in fields_of(form)}
    assert [c.id for c in by_id[FieldId.CATEGORIES].choices] == [c.id for c in policy.categories]
    # The reporter reads the words first, the clause after them (approvers see it first).
    first = by_id[FieldId.CATEGORIES].choices[0].label
    assert first.endswith(" (4.2.1)") and not first.startswith("4.2.1")
    assert [c.id for c in by_id[FieldId.HISTORY].choices] == [h.id for h in policy.histories]
    assert by_id[FieldId.SCHOOL].kind is Kind.SELECT
    assert FieldId.SCHOOL not in {f.id for f in fields_of(report_form(policy, trust.schools[:1]))}


def test_blank_form_gives_an_error_for_each_required_question(policy):
    errors = check(report_form(policy), {}, TODAY)
    assert set(errors) == {
        "platform",
        "seen_on",
        "post_text",
        "author_relationship",
        "about",
        "categories",
        "history",
    }


def test_bad_answers_are_explained(policy):
    form = report_form(policy)
    errors = check(
        form,
        answers_values(
            link="facebook dot com",
            seen_on="2027-01-01",
            categories=["other", "nonsense"],
            post_text="x" * 3001,
            platform="myspace",
            about="staff",
        ),
        TODAY,
    )
    assert errors["link"].startswith("A link starts with https://")
    assert errors["seen_on"] == "That date is in the future."
    assert errors["categories"] == "Pick from the options shown."
    assert "3000" in errors["post_text"]
    assert errors["platform"] == "Pick one of the options shown."
    assert "about" not in errors  # a single string is read as one choice


def test_other_needs_its_text(policy):
    errors = check(report_form(policy), answers_values(categories=["other"]), TODAY)
    assert errors == {"other_category": "You ticked other: say what is inappropriate about it."}


def test_wrong_types_do_not_crash(policy):
    errors = check(report_form(policy), answers_values(post_text=["a"], about=[1]), TODAY)
    assert set(errors) == {"post_text", "about"}


def test_answers_are_built_and_trimmed(policy):
    a = to_answers(report_form(policy), answers_values(post_text="  hello  "), TODAY, "oak-primary")
    assert a.post_text == "hello" and a.school_id == "oak-primary" and a.about == ("staff",)


def test_a_link_typed_without_https_gets_it(policy):
    values = answers_values(link="www.facebook.com/groups/oak/posts/1")
    assert check(report_form(policy), values, TODAY) == {}
    answers = to_answers(report_form(policy), values, TODAY, "oak-primary")
    assert answers.link == "https://www.facebook.com/groups/oak/posts/1"
    bad = check(report_form(policy), answers_values(link="javascript:alert(1)"), TODAY)
    assert bad["link"].startswith("A link starts with https://")


def test_a_school_that_says_pupil_reads_pupil_throughout_its_form(policy, trust):
    from dataclasses import replace

    import pytest

    from bot.config import parse_trust
    from bot.errors import ConfigError
    from tests.bot.test_config import raw_trust

    def words(form) -> str:
        return " ".join(
            " ".join([s.title, *(f"{f.label} {f.hint}" for f in s.fields)])
            + " ".join(c.label for f in s.fields for c in f.choices)
            for s in form
        ).lower()

    assert "student" in words(report_form(policy, trust.schools[:1]))  # the policy's word
    pupils = replace(trust.schools[0], pupil_word="pupil")
    form = report_form(policy, (pupils,))
    assert "student" not in words(form) and "pupil" in words(form)
    # The answers keep the policy's ids, so triage reads them the same.
    about = {f.id: f for f in fields_of(form)}[FieldId.ABOUT]
    assert "student" in [c.id for c in about.choices]
    # Two schools with two words: the policy's word, one word throughout.
    assert "student" in words(report_form(policy, (pupils, trust.schools[1])))
    raw = raw_trust()
    raw["school"][0]["pupil_word"] = "kid"
    with pytest.raises(ConfigError) as err:
        parse_trust(raw, "trust.toml")
    assert err.value.key == "school.oak-primary.pupil_word"
