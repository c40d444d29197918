"""Need to know, as each channel renders it: the reporter's card and notices on the web, Slack
and Teams carry their report and its status, never the reasons, others' tasks or the letter."""

from __future__ import annotations

from bot.models import Actor
from bot.sight import Role, sight
from cards import slack, teams, views
from cards.html.inbox import InboxItem
from cards.html.inbox import note as inbox_note
from tests.cards.test_same_case import slack_rendering, strings, teams_rendering, web_rendering
from tests.conftest import DSL, HEAD, REPORTER
from tests.samples import png

POLICE_REF = "CAD-4471-26"
DISCUSS_RESULT = "Met the parent on Monday"
CLOSING_NOTE = "The parent apologised; the head keeps an eye on it"
HELPER = Actor("slack", "UHELP01", "office@oakprimary.example", "Olu Office")


async def decided_case(service):  # noqa: ANN001, ANN201 - a case with every kind of secret
    case, _ = await service.submit(REPORTER, _answers(service), "k")
    ref = case.reference
    await service.attach_evidence(ref, REPORTER, "mine.png", "image/png", png("r"), "test")
    await service.attach_evidence(ref, HEAD, "heads-notes.png", "image/png", png("h"), "test")
    await service.approve(ref, HEAD, 1, ["discuss", "police", "warning_letter"])
    case = (await service.get(ref)).case
    police = next(t for t in case.tasks if t.action_id == "police")
    discuss = next(t for t in case.tasks if t.action_id == "discuss")
    await service.complete_task(ref, HEAD, police.id, "Reported it", POLICE_REF)
    await service.reassign_task(ref, HEAD, discuss.id, HELPER)
    await service.make_letter(ref, HEAD)
    return (await service.get(ref)).case


def _answers(service):  # noqa: ANN001, ANN202
    from bot.forms import report_form, to_answers
    from tests.samples import answers_values

    values = answers_values(categories=["violence"])
    return to_answers(report_form(service.policy), values, service.today(), "oak-primary")


def renderings(view: views.ApprovalCardView) -> dict[str, str]:
    return {
        "web": web_rendering(view)[0],
        "slack": slack_rendering(view)[0],
        "teams": teams_rendering(view)[0],
    }


async def test_the_reporter_sees_their_report_and_status_on_every_channel(service, trust):
    case = await decided_case(service)
    school = trust.school(case.school_id)
    lead_view = views.approval_card(case, service.policy, school, trust.tz, sight=None)
    reporter = sight(REPORTER.email, case, school)
    assert reporter.roles == {Role.REPORTER} and not reporter.whole
    mine = views.approval_card(case, service.policy, school, trust.tz, sight=reporter)
    secrets = (
        POLICE_REF,
        "Reported it",  # a task's result
        "5.1.3",  # the approved actions and the recommendation's reasons
        "Warning letter",
        "heads-notes.png",
        "office@oakprimary.example",
        "Olu Office",  # another person's task
        "head@oakprimary.example",
    )
    for platform, text in renderings(lead_view).items():
        present = [s for s in secrets[:5] if s in text]
        assert present, f"{platform}: the leads' card shows the case in full"
    for platform, text in renderings(mine).items():
        assert "The year 4 teacher is useless" in text, platform  # their report
        assert "mine.png" in text, platform  # their own file
        assert "The school approved action on" in text, platform  # its status
        leaked = [s for s in secrets if s in text]
        assert leaked == [], f"{platform} shows the reporter {leaked}"
    assert mine.files == tuple(f for f in mine.files if "mine.png" in f.label)
    assert mine.decidable is False and mine.case_buttons == () and mine.tasks == ()


async def test_a_task_owner_sees_their_task_and_the_leads_see_everything(service, trust):
    case = await decided_case(service)
    school = trust.school(case.school_id)
    helper = views.approval_card(
        case, service.policy, school, trust.tz, sight=sight(HELPER.email, case, school)
    )
    assert [t.owner for t in helper.tasks] == ["Olu Office"]
    assert {f.label.split(" (")[0] for f in helper.files} == {"mine.png", "heads-notes.png"}
    assert all(POLICE_REF not in t.result for t in helper.tasks)
    assert not any("Warning letter" in f.label for f in helper.files)
    dsl = views.approval_card(
        case, service.policy, school, trust.tz, sight=sight(DSL.email, case, school)
    )
    assert len(dsl.tasks) == 3 and any(POLICE_REF in t.result for t in dsl.tasks)
    assert any("Warning letter" in f.label for f in dsl.files)


async def test_the_reporters_notices_carry_no_reasons(service, trust):
    case, _ = await service.submit(REPORTER, _answers(service), "k")
    await service.decline(case.reference, HEAD, 1, "The DSL is dealing with it privately")
    case = (await service.get(case.reference)).case
    note = views.reporter_update(case, service.policy, trust.tz)
    rendered = {
        "slack": " ".join(strings(slack.note_message(note).block_dicts(), {"text"})),
        "teams": " ".join(strings(teams.note_card(note), {"text"})),
        "web": str(inbox_note(InboxItem(note, "today", "/cases/x"), None)),
    }
    for platform, text in rendered.items():
        assert "decided not to take action" in text, platform
        assert "privately" not in text, platform
    # the leads' note in the card's thread keeps the reason
    assert (
        "Reason: The DSL is dealing with it privately"
        in views.decision_note(case, service.policy, trust.tz).lines
    )
