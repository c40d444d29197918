"""The go-live kit read as a machine would: the Dockerfile, compose.yaml, Caddyfile, the systemd
unit and .env.example, parsed (never built or run here: no registry images on this machine)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[1]
SECRETS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "MicrosoftAppPassword",
    "ENCRYPTION_KEY",
    "POSTGRES_PASSWORD",
)
PUBLIC_PATHS = {
    "/slack/events",
    "/api/messages",
    "/files/*",
    "/healthz",
    "/privacy",
    "/terms",
    "/static/style.css",  # the notice pages' stylesheet
}


def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    return parser


def instructions(kind: str) -> list[str]:
    return [i["value"] for i in dockerfile().structure if i["instruction"] == kind]


def test_the_image_is_slim_python_and_installs_only_the_pinned_runtime():
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", dockerfile().baseimage)
    runs = " ".join(instructions("RUN"))
    assert "--require-hashes -r requirements.txt" in runs
    copied = [v.split()[0] for v in instructions("COPY")]
    assert "requirements-dev.txt" not in " ".join(instructions("COPY"))
    for source in copied:  # every COPY names something the repository has
        assert (ROOT / source).exists(), source


def test_the_image_runs_as_a_user_that_is_not_root():
    users = instructions("USER")
    assert users, "no USER: the bot would run as root"
    assert users[-1] not in ("root", "0", "0:0")


def test_the_image_checks_readiness_and_keeps_data_in_a_volume():
    parser = dockerfile()
    (check,) = instructions("HEALTHCHECK")
    assert "/readyz" in check
    volume = " ".join(instructions("VOLUME"))
    assert parser.envs["DATA_DIR"] in volume
    assert instructions("CMD") and "app.py" in instructions("CMD")[-1]


def test_no_secret_is_set_in_the_image():
    envs = dockerfile().envs
    assert not {k for k in envs if k in SECRETS or "PASSWORD" in k.upper()}
    args = " ".join(instructions("ARG"))
    assert not any(s in args for s in SECRETS)


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_the_bot_with_postgresql_and_caddy_in_front():
    services = compose()["services"]
    assert set(services) == {"bot", "db", "caddy"}
    bot = services["bot"]
    assert bot["build"] == "."
    assert any(v.endswith(":/data") for v in bot["volumes"])
    assert bot["environment"]["DATA_DIR"] == "/data"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "ports" not in bot, "only Caddy is published; the bot is reached through it"
    assert services["db"]["image"].startswith("postgres:15")
    assert services["caddy"]["ports"] == ["80:80", "443:443"]
    # The key file is mounted from outside the data volume, as a secret.
    assert bot["environment"]["ENCRYPTION_KEY_FILE"].startswith("/run/secrets/")


def test_compose_sets_no_secret_value():
    for name, service in compose()["services"].items():
        environment = service.get("environment", {})
        for key, value in environment.items():
            text = str(value)
            if key in SECRETS or "PASSWORD" in key.upper():
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", text), f"{name}.{key}"
            for secret in SECRETS:
                # A password inside a URL must be interpolated from .env, never written here.
                assert not re.search(rf"{secret}=\S", text), f"{name}.{key}"
        if "DATABASE_URL" in environment:
            url = environment["DATABASE_URL"]
            password = re.match(r"postgresql://[^:]+:([^@]+)@", url).group(1)
            assert password.startswith("${"), "the database password is interpolated from .env"


def test_caddy_forwards_only_the_public_paths():
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    matchers = re.findall(r"^\s*@public path (.+)$", text, re.M)
    assert len(matchers) == 1
    assert set(matchers[0].split()) == PUBLIC_PATHS
    assert "reverse_proxy bot:3978" in text
    # Everything else (the demo web channel at / among it) is answered by Caddy with 404.
    assert re.search(r"handle \{\s*respond \"Not found\" 404", text)


def unit() -> list[tuple[str, str, str]]:
    """(section, key, value) for each setting of the unit, in order."""
    rows, section = [], ""
    for line in (ROOT / "deploy" / "post-concerns.service").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        rows.append((section, key, value))
    return rows


def test_the_service_unit_is_hardened():
    service = {(k): v for s, k, v in unit() if s == "Service"}
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "", "root")
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    environment = " ".join(v for s, k, v in unit() if k == "Environment")
    data_dir = re.search(r"DATA_DIR=(\S+)", environment).group(1)
    assert data_dir in service["ReadWritePaths"].split()
    assert "ENCRYPTION_KEY_FILE=%d/" in environment  # a systemd credential, outside DATA_DIR
    assert "serve" in service["ExecStart"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify_finds_nothing_wrong(tmp_path):
    # The unit names the checkout's virtual environment, which this machine lacks: point
    # ExecStart at this Python and the env file as optional, and verify everything else.
    text = (ROOT / "deploy" / "post-concerns.service").read_text()
    text = re.sub(r"^ExecStart=.*$", f"ExecStart={sys.executable} -c pass", text, flags=re.M)
    text = re.sub(r"^EnvironmentFile=", "EnvironmentFile=-", text, flags=re.M)
    copy = tmp_path / "post-concerns.service"
    copy.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 even for unknown keys; what it prints is the verdict.
    problems = [line for line in done.stderr.splitlines() if str(copy) in line]
    assert done.returncode == 0 and problems == [], done.stderr


def settings_read_by_the_code() -> set[str]:
    """Every environment variable the code reads: env.get("X"), env["X"], os.environ.get("X")."""
    names: set[str] = set()
    files = [
        ROOT / "app.py",
        *ROOT.joinpath("bot").rglob("*.py"),
        *ROOT.joinpath("handlers").rglob("*.py"),
    ]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            target = None
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "getenv")
                and node.args
            ):
                target, owner = node.args[0], ast.unparse(node.func.value)
                if owner not in ("env", "os.environ", "os", "environ"):
                    continue
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in (
                "env",
                "os.environ",
            ):
                target = node.slice
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                names.add(target.value)
    return names


def test_env_example_lists_every_setting_the_code_reads():
    listed = set(
        re.findall(r"^#? ?([A-Za-z_][A-Za-z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    read = settings_read_by_the_code()
    assert {"SLACK_BOT_TOKEN", "MicrosoftAppId", "DATA_DIR"} <= read  # the scan sees the code
    assert read - listed - {"BOT_DOMAIN"} == set()


def test_env_example_sets_no_secret():
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#") and key in SECRETS:
            assert value == "", key


def test_a_dot_env_file_in_the_working_folder_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text(f"DATA_DIR={tmp_path / 'from-dotenv'}\nPORT=notaport\n")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DATA_DIR", "PORT")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "check"],
        cwd=tmp_path,
        env={**env, "PORT": "4000"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"under {tmp_path / 'from-dotenv'}" in done.stdout, done.stdout + done.stderr
    assert "notaport" not in done.stdout + done.stderr  # PORT from the environment won


def test_the_package_declares_its_dependencies_and_the_post_concerns_command():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["post-concerns"] == "app:main"
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"] == ["requirements.in"]
    assert "dependencies" in project["project"]["dynamic"]
    import app

    assert callable(app.main)
