"""One server per data folder, and a taken port: each said in one line, exit 2, before any
"Listening" is logged; read-only commands still work beside a running server."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.e2e.harness import ServerProcess, app_py, base_env

ROOT = Path(__file__).resolve().parents[2]


async def test_a_second_server_on_the_same_folder_exits_2_naming_the_first(tmp_path):
    env = base_env(tmp_path / "data")
    first = ServerProcess(env)
    await first.start()
    try:
        second = app_py(base_env(tmp_path / "data"))  # same folder, another port
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert lines[-1].startswith(f"Error: {tmp_path / 'data'}: in use: process {first.proc.pid}")
        assert "(serve, since " in lines[-1]
        assert "Listening" not in second.stderr and "Traceback" not in second.stderr
        # Reading beside it is fine; writing is not.
        audit = app_py(env, "audit", "verify")
        assert audit.returncode == 0, audit.stderr
        purge = app_py(env, "purge")
        assert purge.returncode == 2 and f"process {first.proc.pid}" in purge.stderr
        assert app_py(env, "purge", "--dry-run").returncode == 0
        erase = ("erase", "OAK-2026-0001", "--reason", "Filed by mistake", "--by")
        erase = app_py(env, *erase, "head@oakprimary.example")
        assert erase.returncode == 2 and f"process {first.proc.pid}" in erase.stderr
    finally:
        first.stop()
    # Once it has stopped (or died: the system drops a dead process's lock), the folder is free.
    assert app_py(env, "purge").returncode == 0


async def test_a_killed_server_leaves_the_folder_free(tmp_path):
    env = base_env(tmp_path / "data")
    server = ServerProcess(env)
    await server.start()
    server.kill()
    again = ServerProcess(env)
    await again.start()
    again.stop()


def test_a_taken_port_is_one_line_before_listening(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = app_py(base_env(tmp_path / "data", PORT=str(port)))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"Error: environment: HOST/PORT: 127.0.0.1:{port} is already in use"
    )
    assert "Listening" not in done.stderr and "Try it" not in done.stderr
    assert "Traceback" not in done.stderr
