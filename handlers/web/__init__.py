"""The local web channel (demo only): GET and POST under /, plain HTML forms.

Enters here: browser requests from a demo identity (no sign-in). May import bot/, cards/ and
handlers/ shared modules; never another channel.
"""
