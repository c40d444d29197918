"""The claims validator botbuilder runs on each verified token: with an app id, channel ones."""

from __future__ import annotations

import time

import pytest

from handlers.teams.channel import channel_claims_only
from tests.fakes.openid import CHANNEL_ISSUER, EMULATOR_ISSUER

NOW = int(time.time())
CHANNEL = {"iss": CHANNEL_ISSUER, "aud": "app", "exp": NOW + 60}


@pytest.mark.parametrize(
    "claims",
    [
        {**CHANNEL, "iss": EMULATOR_ISSUER, "appid": "app"},
        {**CHANNEL, "iss": "https://login.microsoftonline.com/t/v2.0", "azp": "app", "ver": "2.0"},
        {**CHANNEL, "ver": "1.0", "appid": "another-bot"},  # a skill calling this bot
        {k: v for k, v in CHANNEL.items() if k != "exp"},
        {**CHANNEL, "exp": "tomorrow"},
        ["not", "a", "dict"],
    ],
    ids=["emulator", "emulator v2", "skill", "no expiry", "odd expiry", "not claims"],
)
async def test_with_an_app_id_only_channel_claims_pass(claims):
    with pytest.raises(PermissionError):
        await channel_claims_only("app")(claims)


async def test_channel_claims_pass_and_without_an_app_id_nothing_is_asked():
    await channel_claims_only("app")(CHANNEL)
    await channel_claims_only("")({"iss": EMULATOR_ISSUER})
