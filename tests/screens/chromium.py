"""Microsoft's Adaptive Cards renderer and axe-core (from tests/npm) in Debian's Chromium."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import ARGS, CHROMIUM, require_chromium

NPM = Path(__file__).resolve().parents[1] / "npm" / "node_modules"
RENDERER = NPM / "adaptivecards" / "dist" / "adaptivecards.min.js"
AXE = NPM / "axe-core" / "axe.min.js"
BUILD = Path(__file__).resolve().parents[2] / "build"
CARD_SHOTS = BUILD / "teams-cards"
PAGE_SHOTS = BUILD / "web-pages"
TEAMS_WIDTH = 400  # a card on a phone, or the narrow chat column on a desktop

# Teams' light theme, roughly: Segoe UI and its accent colours, so a screenshot reads as Teams does.
HOST_CONFIG = {
    "fontFamily": "'Segoe UI', system-ui, sans-serif",
    "spacing": {"small": 4, "default": 8, "medium": 16, "large": 20, "extraLarge": 24},
    "containerStyles": {
        "default": {
            "backgroundColor": "#FFFFFF",
            "foregroundColors": {
                "default": {"default": "#242424", "subtle": "#616161"},
                "attention": {"default": "#C4314B", "subtle": "#C4314B"},
                "good": {"default": "#237B4B", "subtle": "#237B4B"},
                "warning": {"default": "#835C00", "subtle": "#835C00"},
                "accent": {"default": "#5B5FC7", "subtle": "#5B5FC7"},
            },
        },
        "emphasis": {"backgroundColor": "#F5F5F5"},
    },
    "actions": {"maxActions": 6, "buttonSpacing": 8, "actionsOrientation": "horizontal"},
}

SCRIPT = """
([card, hostConfig]) => {
  const events = [];
  const adaptive = new AdaptiveCards.AdaptiveCard();
  adaptive.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
  const context = new AdaptiveCards.SerializationContext();
  adaptive.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    events.push(`parse: ${AdaptiveCards.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of adaptive.validateProperties().validationEvents) {
    events.push(`validate: ${AdaptiveCards.ValidationEvent[e.event]}: ${e.message}`);
  }
  const host = document.getElementById('card');
  host.replaceChildren();
  const rendered = adaptive.render();
  if (!rendered) { events.push('render: nothing rendered'); } else { host.appendChild(rendered); }
  return events;
}
"""

PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #f0f0f0; font-family: 'Segoe UI', system-ui, sans-serif; }}
#card {{ width: {TEAMS_WIDTH}px; margin: 12px; background: #fff; border-radius: 6px;
         box-shadow: 0 1px 3px rgba(0,0,0,.2); overflow: hidden; }}
</style></head><body><div id="card"></div></body></html>"""


def require_npm() -> None:
    """The renderer and axe-core are installed by .ci/run (npm ci in tests/npm); say so if not."""
    require_chromium()
    for path in (RENDERER, AXE):
        if not path.exists():
            pytest.fail(f"{path} is missing: run `npm ci --prefix tests/npm` (.ci/run does)")


@asynccontextmanager
async def chromium(viewport: dict[str, int]) -> AsyncIterator[Any]:
    """One headless Chromium browser with a fresh context at the given viewport."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = await browser.new_context(
                viewport=viewport, device_scale_factor=1, bypass_csp=True
            )  # so axe-core can be injected under the pages' CSP
            context.set_default_timeout(15_000)
            yield context
        finally:
            await browser.close()


class CardRenderer:
    """A page holding Microsoft's renderer: draw a card, return every warning, save a PNG."""

    def __init__(self, page: Any) -> None:
        self.page = page

    @classmethod
    @asynccontextmanager
    async def open(cls) -> AsyncIterator[CardRenderer]:
        require_npm()
        async with chromium({"width": TEAMS_WIDTH + 24, "height": 800}) as context:
            page = await context.new_page()
            await page.set_content(PAGE)
            await page.add_script_tag(path=str(RENDERER))
            yield cls(page)

    async def draw(self, card: dict[str, Any], name: str) -> list[str]:
        """Parse, validate and render the card; the PNG goes to build/teams-cards/NAME.png."""
        events: list[str] = await self.page.evaluate(
            SCRIPT, [json.loads(json.dumps(card)), HOST_CONFIG]
        )
        CARD_SHOTS.mkdir(parents=True, exist_ok=True)
        made = CARD_SHOTS / f"{name}.png"
        await self.page.locator("#card").screenshot(path=str(made))
        publish(made)
        return events


async def axe_violations(page: Any) -> list[str]:
    """axe-core run in the page: the serious and critical violations, one line each."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']}: {v['id']}: {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


DOCS = Path(__file__).resolve().parents[2] / "docs" / "screens"
# The README's pictures, taken by these tests: UPDATE_SCREENSHOTS=1 copies them into docs/screens.
README_SHOTS = {
    CARD_SHOTS / "form-step-1.png": "teams-report-form.png",
    CARD_SHOTS / "approval-approver.png": "teams-approval-card.png",
    CARD_SHOTS / "approved-approver.png": "teams-after-decision.png",
    PAGE_SHOTS / "report-form-phone.png": "web-report-form-phone.png",
    PAGE_SHOTS / "case-awaiting-decision-desktop.png": "web-approval-card.png",
    PAGE_SHOTS / "case-approved-phone.png": "web-after-decision-phone.png",
}


def publish(made: Path) -> None:
    """Copy a screenshot the README shows into docs/screens, when asked to."""
    import os
    import shutil

    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and made in README_SHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made, DOCS / README_SHOTS[made])
