"""The policy's own commands: `triage` (answers as JSON in, recommendation out), `policy test`."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError
from bot.policy import evaluate, load_policy
from bot.practice import check_against_policy
from bot.triage_io import answers_from_json, recommendation_json, run_scenarios
from handlers.cli.common import Loaded, load


def _loaded(args: argparse.Namespace) -> Loaded:
    loaded = load(Settings.from_env())
    if args.policy:
        policy = load_policy(Path(args.policy))
        check_against_policy(loaded.trust, {a.id for a in policy.actions})
        loaded = Loaded(loaded.settings, loaded.trust, policy)
    return loaded


def cmd_triage(args: argparse.Namespace) -> int:
    loaded = _loaded(args)
    try:
        raw = json.loads(sys.stdin.read())
    except json.JSONDecodeError as exc:
        raise ConfigError("standard input", "-", f"not valid JSON ({exc.msg})") from None
    schools = tuple(s.id for s in loaded.trust.schools)
    answers = answers_from_json(raw, loaded.policy, schools, "standard input")
    rec = evaluate(loaded.policy, answers, dict(loaded.trust.action_urgency))
    print(json.dumps(recommendation_json(loaded.policy, rec), indent=2))
    return 0


def cmd_policy_test(args: argparse.Namespace) -> int:
    loaded = _loaded(args)
    source = str(args.file)
    try:
        raw = tomllib.loads(Path(args.file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, "-", "the scenarios file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "-", f"not valid TOML ({exc})") from None
    schools = tuple(s.id for s in loaded.trust.schools)
    outcomes = run_scenarios(raw, loaded.policy, schools, dict(loaded.trust.action_urgency), source)
    for o in outcomes:
        print(f"{'pass' if o.passed else 'FAIL'}: {o.name}")
        for d in o.differences:
            print(f"    {d}")
    failed = sum(not o.passed for o in outcomes)
    print(
        f"{len(outcomes) - failed} passed, {failed} failed (policy version {loaded.policy.version})"
    )
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    triage = sub.add_parser(
        "triage",
        help="one report's answers as JSON on standard input; the recommendation as JSON",
    )
    triage.add_argument("--policy", help="a policy file to use instead of the trust's")
    triage.set_defaults(func=cmd_triage)
    policy = sub.add_parser("policy", help="the trust's policy file")
    actions = policy.add_subparsers(dest="policy_command", required=True)
    test = actions.add_parser(
        "test", help="run a file of scenarios through triage: pass or fail each, exit 1 on a fail"
    )
    test.add_argument("file", help="scenarios, such as bot/policy-scenarios.toml")
    test.add_argument("--policy", help="a policy file to test instead of the trust's")
    test.set_defaults(func=cmd_policy_test)
