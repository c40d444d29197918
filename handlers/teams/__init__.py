"""The Microsoft Teams channel (botbuilder): POST /api/messages.

Enters here: Bot Framework activities (messages, conversation updates, adaptiveCard/action and
task/fetch invokes). May import bot/, cards/ and handlers/ shared modules; never another channel.
Every botbuilder import stays inside this package, so a move to a successor SDK stays bounded.
"""
