"""Need to know and the access log in Slack: a case opened from the Home tab's register shows
each person their part, read-only, and is logged; a stranger is told no without anyone's email."""

from __future__ import annotations

import json

from bot.models import Actor
from tests.e2e.slack_support import World, file_report, world
from tests.fakes.slack_session import HEAD, SECONDARY_HEAD, TEACHER, button_values

__all__ = ["world"]

POLICE_REF = "CAD-4471-26"
HEAD_ACTOR = Actor("slack", HEAD, "head@oakprimary.example", "Hana Head")


async def open_from_home(w: World, user: str, reference: str) -> str:
    """The Home tab as published for this person, its Open button pressed: the modal's text."""
    published = len(w.api.calls_to("views.publish"))
    await w.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    [*_, home] = await w.api.wait_for("views.publish", published + 1)
    view = home.args["view"]
    assert reference in button_values(view, "case_view")
    opened = len(w.api.calls_to("views.open"))
    reply = await w.slack.click(user, "case_view", reference)
    assert reply.status == 200
    calls = await w.api.wait_for("views.open", opened + 1)
    return json.dumps(calls[-1].args["view"], ensure_ascii=False)


async def test_a_case_opened_from_the_register_shows_each_their_part(world: World) -> None:
    w = world
    ref = await file_report(w)
    service = w.server.service
    await service.approve(ref, HEAD_ACTOR, 1, ["police", "warning_letter", "retain_evidence"])
    case = (await service.get(ref)).case
    police = next(t for t in case.tasks if t.action_id == "police")
    await service.complete_task(ref, HEAD_ACTOR, police.id, "Reported to the police", POLICE_REF)
    await service.make_letter(ref, HEAD_ACTOR)
    await w.server.idle()
    assert await service.access_log(ref) == []  # cards the bot posted are not looks

    theirs = await open_from_home(w, TEACHER, ref)
    assert "The year 4 teacher is useless" in theirs
    assert "The school approved action on" in theirs
    for hidden in (POLICE_REF, "Reported to the police", "Warning letter", "5.1.3", "head@"):
        assert hidden not in theirs, hidden
    assert '"action_id"' not in theirs  # to read: deciding and tasks happen on the card

    leads = await open_from_home(w, HEAD, ref)
    assert POLICE_REF in leads and "Warning letter" in leads and "5.1.3" in leads

    log = await service.access_log(ref)
    assert [(e.kind.value, e.channel, e.actor) for e in log] == [
        ("case_viewed", "slack", f"teacher@oakprimary.example (slack:{TEACHER})"),
        ("case_viewed", "slack", f"head@oakprimary.example (slack:{HEAD})"),
    ]

    # Another school's head: not in their register, and a forged click is refused plainly.
    opened = len(w.api.calls_to("views.open"))
    await w.slack.click(SECONDARY_HEAD, "case_view", ref)
    calls = await w.api.wait_for("views.open", opened + 1)
    refusal = json.dumps(calls[-1].args["view"])
    assert f"You are not one of the people who can see {ref}." in refusal
    assert "@" not in refusal
    assert len(await service.access_log(ref)) == 2
