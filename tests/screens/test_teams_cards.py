"""Every Teams card drawn by Microsoft's Adaptive Cards renderer in Chromium: no warnings, a PNG."""

from __future__ import annotations

import json

import pytest

from cards import teams
from tests.cards.adaptive import TEAMS_MESSAGE_LIMIT, assert_valid_card
from tests.screens.chromium import CARD_SHOTS, CardRenderer
from tests.screens.gallery import CARD_FUNCTIONS, NOT_CARDS, Drawn, long_content, ordinary


async def draw_all(cards: list[Drawn]) -> dict[str, list[str]]:
    warnings: dict[str, list[str]] = {}
    async with CardRenderer.open() as renderer:
        for drawn in cards:
            events = await renderer.draw(drawn.card, drawn.name)
            if events:
                warnings[drawn.name] = events
    return warnings


async def test_every_teams_card_renders_without_warnings(service, policy, trust):
    gallery = await ordinary(service, policy, trust)
    drawn = {d.function for d in gallery.cards}
    assert drawn == set(CARD_FUNCTIONS), f"not drawn: {set(CARD_FUNCTIONS) - drawn}"
    # Every card function cards.teams exports is drawn: a new one cannot slip past.
    exported = {name for name in teams.__all__ if name.islower() and callable(getattr(teams, name))}
    assert set(CARD_FUNCTIONS) == exported - NOT_CARDS, exported - NOT_CARDS ^ set(CARD_FUNCTIONS)
    for d in gallery.cards:
        assert_valid_card(d.card)
    warnings = await draw_all(gallery.cards)
    assert warnings == {}
    for d in gallery.cards:
        shot = CARD_SHOTS / f"{d.name}.png"
        assert shot.stat().st_size > 1000, shot


async def test_long_content_cards_are_valid_fit_and_render_without_warnings(service, policy, trust):
    gallery = await long_content(service, policy, trust)
    for d in gallery.cards:
        assert_valid_card(d.card)
        size = len(json.dumps(teams.attachment(d.card)).encode())
        assert size < TEAMS_MESSAGE_LIMIT, f"{d.name}: {size} bytes"
    text = json.dumps([d.card for d in gallery.cards])
    assert "screenshot-of-the-facebook-group-post-number-10.png" in text
    assert text.count("Alexandra-Bartholomew") >= 2
    assert await draw_all(gallery.cards) == {}


@pytest.mark.parametrize("bad", [{"type": "Bogus"}, {"type": "TextBlock", "size": "Enormous"}])
async def test_the_renderer_reports_what_it_cannot_draw(bad):
    """The check can fail: an unknown element or value is a warning."""
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [bad]}
    async with CardRenderer.open() as renderer:
        assert await renderer.draw(card, "broken") != []
