"""The Slack channel (slack-bolt): POST /slack/events, or Socket Mode.

Enters here: events, slash commands, shortcuts, block actions and view submissions. May import
bot/ (the service and the store port), cards/ and handlers/ shared modules; never another channel.
"""
