"""The trust file and settings: precise errors, schools by email domain, platform reasons."""

from __future__ import annotations

import tomllib

import pytest

from bot.config import EXAMPLE_TRUST, Settings, parse_trust
from bot.errors import ConfigError


def raw_trust() -> dict:
    return tomllib.loads(EXAMPLE_TRUST.read_text())


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (lambda r: r["trust"].update(reference_prefix="oak"), "trust.reference_prefix", "capital"),
        (
            lambda r: r["trust"].update(timezone="Mars/Olympus"),
            "trust.timezone",
            "unknown time zone",
        ),
        (lambda r: r["trust"].update(working_hours="9-5"), "trust.working_hours", "08:00-17:00"),
        (
            lambda r: r["school"][0].update(approvers=["not-an-email"]),
            "school.oak-primary.approvers",
            "is not an email",
        ),
        (
            lambda r: r["school"][0].update(approvers=[]),
            "school.oak-primary.approvers",
            "at least one approver",
        ),
        (
            lambda r: r["school"][1].update(id="oak-primary"),
            "school.oak-primary",
            "duplicate school id",
        ),
        (
            lambda r: r["school"][0].update(head="x"),
            "school.oak-primary.head",
            "unknown key (did you mean head_name?)",
        ),
        (
            lambda r: r["trust"].update(retention_year=1),
            "trust.retention_year",
            "unknown key (did you mean retention_years?)",
        ),
        (
            lambda r: r.update(schools=[]),
            "schools",
            "unknown key (did you mean school?)",
        ),
        (
            lambda r: r["trust"].update(colour="green"),
            "trust.colour",
            "unknown key (known: action_urgency, due_working_days,",
        ),
        (lambda r: r.pop("school"), "[[school]]", "at least one school"),
        (lambda r: r["trust"].pop("name"), "trust.name", "missing"),
    ],
)
def test_trust_file_errors_name_the_key(mutate, key, problem):
    raw = raw_trust()
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        parse_trust(raw, "trust.toml")
    assert (err.value.source, err.value.key) == ("trust.toml", key)
    assert problem in err.value.problem


def test_school_comes_from_email_domain(trust):
    assert [s.id for s in trust.schools_for("Teacher@OakPrimary.example")] == ["oak-primary"]
    assert [s.id for s in trust.schools_for("it@oaktrust.example")] == [
        "oak-primary",
        "oak-secondary",
    ]
    assert trust.schools_for("someone@gmail.example") == ()
    assert trust.school("oak-primary").is_approver("HEAD@oakprimary.example")
    assert not trust.school("oak-primary").is_approver("dsl@oakprimary.example")


def test_platforms_say_why(tmp_path):
    s = Settings.from_env({"TRUST_CONFIG": str(EXAMPLE_TRUST)})
    assert s.slack.why == "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set"
    assert not s.teams.enabled and "MicrosoftAppId not set" in s.teams.why
    assert not s.web.enabled and "DEMO_MODE not set" in s.web.why
    demo = Settings.from_env({"DEMO_MODE": "1", "TRUST_CONFIG": str(EXAMPLE_TRUST)})
    assert demo.teams.enabled and "unauthenticated" in demo.teams.why and demo.web.enabled
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"DEMO_MODE": "1", "HOST": "0.0.0.0"})  # noqa: S104 - refused, the test checks
    assert refused.value.key == "DEMO_MODE" and "not a loopback" in refused.value.problem
    slack = Settings.from_env(
        {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y", "SLACK_APP_TOKEN": "z"}
    )
    assert slack.slack.enabled and "Socket Mode" in slack.slack.why
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"PORT": "eighty"})
    assert err.value.key == "PORT"


def test_missing_trust_file_falls_back_to_the_example_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({})
    assert s.trust_config == EXAMPLE_TRUST
    assert "bundled example" in s.warnings[0]


def test_retention_grace_days_is_optional_and_checked(tmp_path):
    from bot.config import load_trust

    text = EXAMPLE_TRUST.read_text()
    assert "retention_grace_days = 90" in text
    plain = tmp_path / "plain.toml"
    plain.write_text(text.replace("retention_grace_days = 90", ""))
    assert load_trust(plain).retention_grace_days == 90
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("retention_grace_days = 90", "retention_grace_days = 0"))
    with pytest.raises(ConfigError, match="trust.retention_grace_days: must be a whole number"):
        load_trust(bad)


def test_teams_with_an_app_id_needs_an_allowed_tenant():
    app = {"MicrosoftAppId": "a", "MicrosoftAppPassword": "p", "TRUST_CONFIG": str(EXAMPLE_TRUST)}
    none = Settings.from_env(app)
    assert not none.teams.enabled and "no tenant is allowed" in none.teams.why
    one = Settings.from_env({**app, "MicrosoftAppTenantId": "AAA"})
    assert one.teams.enabled and one.teams_tenants == ("aaa",)
    more = Settings.from_env(
        {**app, "MicrosoftAppTenantId": "aaa", "TEAMS_ALLOWED_TENANTS": " bbb, AAA,,ccc "}
    )
    assert more.teams_tenants == ("aaa", "bbb", "ccc")
    pinned = Settings.from_env({"SLACK_TEAM_ID": " T1 ", "SLACK_ENTERPRISE_ID": "E1"})
    assert (pinned.slack_team_id, pinned.slack_enterprise_id) == ("T1", "E1")
    socket = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb", "SLACK_APP_TOKEN": "xapp"})
    assert socket.slack_socket_mode and socket.slack.enabled
    assert "POST /slack/events is off" in socket.slack.why
