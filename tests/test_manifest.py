"""The Slack app manifest is valid and declares every entry point, event and scope the bot uses."""

import ast
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema.exceptions import ValidationError, best_match

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "schemas"
    / "slack-app-manifest.schemastore.json"
)
EVENTS_URL = "https://bot.example.org/slack/events"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


def is_known_false_positive(error: ValidationError) -> bool:
    """The SchemaStore schema forbids spaces in the bot's display name; Slack accepts them.

    Slack's own schema (slackapi/manifest-schema) has no pattern there, and Slack's SDK fixtures
    use names such as "Bolt Template App".
    """
    return error.validator == "pattern" and list(error.absolute_path) == [
        "features",
        "bot_user",
        "display_name",
    ]


def test_manifest_matches_the_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(
            f"shared schemas absent ({SCHEMA}): they sit beside the repo in the team's checkout"
        )
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = [
        e for e in validator_class(schema).iter_errors(manifest) if not is_known_false_positive(e)
    ]
    error = best_match(errors)
    assert error is None, f"{error.json_path}: {error.message}"


def test_slash_command_is_declared(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert commands["/report-post"]["url"] == EVENTS_URL
    assert commands["/report-post"]["usage_hint"] == "[link to the post]"


def test_shortcuts_are_declared(manifest: dict[str, Any]) -> None:
    shortcuts = {(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {("global", "report_post_global"), ("message", "report_post_message")}


def test_app_home_has_a_home_tab_and_messages(manifest: dict[str, Any]) -> None:
    app_home = manifest["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
    assert app_home["messages_tab_enabled"] is True
    assert app_home.get("messages_tab_read_only_enabled", False) is False


def test_events_are_subscribed(manifest: dict[str, Any]) -> None:
    subscriptions = manifest["settings"]["event_subscriptions"]
    assert subscriptions["request_url"] == EVENTS_URL
    assert set(subscriptions["bot_events"]) == {"app_home_opened", "app_mention", "message.im"}


def test_interactivity_goes_to_the_one_slack_route(manifest: dict[str, Any]) -> None:
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity == {"is_enabled": True, "request_url": EVENTS_URL}


# The bot scopes each Slack Web API method needs (api.slack.com/methods/<method>); a method
# the code calls that is not listed fails test_bot_scopes_are_what_the_code_uses: add its row.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.getPermalink": set(),
    "views.open": set(),
    "views.push": set(),
    "views.update": set(),
    "views.publish": set(),
    "users.info": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "files.info": {"files:read"},
    "conversations.open": {"im:write"},
    # Finding its own posts after a crash, in the leadership channel (public or private) and in
    # direct messages; the bot posts in no group DM, so no mpim scopes.
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    "users.conversations": {"im:read"},  # types=im only: which DM is with whom
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
}
# The scopes each subscribed event needs, and what needs a scope without a Web API method.
EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
    "app_mention": {"app_mentions:read"},
    "message.im": {"im:history"},
}
COMMANDS_AND_SHORTCUTS = {"commands"}
DOWNLOADS = {"url_private_download": {"files:read"}}  # a file's bytes, with the bot token
CLIENT_METHOD = re.compile(
    r"^(apps|auth|bookmarks|chat|conversations|files|pins|reactions|team|usergroups|users|views)"
    r"_([A-Za-z]+)$"
)


def called_methods() -> set[str]:
    """Every Slack Web API method the code calls through slack_sdk's client (client.chat_update
    is chat.update), read from the source of every module that may (only handlers/ imports
    slack_sdk: tests/test_architecture.py). A method named but called later, as in
    partial(self.client.conversations_history, ...), counts too."""
    found = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            receiver = ast.unparse(node.value)
            match = CLIENT_METHOD.match(node.attr)
            if match and receiver.rpartition(".")[2].endswith("client"):
                found.add(f"{match[1]}.{match[2]}")
    return found


def used_downloads() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "handlers").rglob("*.py"))
    return {name for name in DOWNLOADS if name in text}


def test_the_scope_table_knows_every_method_the_code_calls() -> None:
    methods = called_methods()
    assert {"chat.postMessage", "views.open", "users.lookupByEmail"} <= methods  # the scan works
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES"


def test_bot_scopes_are_what_the_code_uses(manifest: dict[str, Any]) -> None:
    """No more and no fewer than the methods called, events subscribed and files downloaded."""
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    expected = set(COMMANDS_AND_SHORTCUTS)
    for method in called_methods():
        expected |= METHOD_SCOPES.get(method, set())
    for event in events:
        expected |= EVENT_SCOPES[event]
    for download in used_downloads():
        expected |= DOWNLOADS[download]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == expected
    assert {"im:write", "channels:read", "groups:read"}.isdisjoint(expected)  # the review's three


def test_http_mode_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert manifest["features"]["bot_user"]["display_name"] == "Post Concerns"
