"""The Teams adapter keeps the clients botbuilder would build again on every turn."""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes

from bot.config import Settings
from handlers.teams.channel import make_adapter


async def test_one_connector_client_per_service_url_across_turns_and_proactive_sends():
    auth = make_adapter(Settings()).bot_framework_authentication
    uk = "https://smba.trafficmanager.net/uk/"
    clients = []
    for url in (uk, uk, "https://smba.trafficmanager.net/emea/"):
        activity = Activity(type=ActivityTypes.message, service_url=url, channel_id="msteams")
        result = await auth.authenticate_request(activity, "")  # no app id: the emulator mode
        clients.append(await result.connector_factory.create(url, result.audience))
    assert clients[0] is clients[1] and clients[2] is not clients[0]
    assert clients[0].config.base_url == uk
    # A proactive send (the outbox) is handed the same client as the turns were.
    factory = auth.create_connector_factory(result.claims_identity)
    assert await factory.create(uk, result.audience) is clients[0]
