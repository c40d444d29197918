"""Backup and restore as the technician runs them beside a running server: a snapshot with SHA-256
sums and no keys, restored into an empty folder where a new server serves the same cases."""

from __future__ import annotations

import base64
import json
import stat
import tarfile
from pathlib import Path

from bot.sealing import new_key
from tests.e2e.harness import app_py, base_env, running_server
from tests.e2e.slack_support import World, file_report, slack_world

ROOT = Path(__file__).resolve().parents[2]


async def test_a_backup_restored_into_an_empty_folder_serves_the_same_cases(
    tmp_path: Path,
) -> None:
    # The encryption key is set apart from DATA_DIR, as in production: the backup holds no key,
    # and the restored folder opens with the same ENCRYPTION_KEY.
    key = {"ENCRYPTION_KEY": base64.b64encode(new_key()).decode()}
    async with slack_world(tmp_path / "data", **key) as w:
        references = [await file_report(w), await file_report(w)]
        await w.server.idle(timeout=15)
        before = {r: await w.server.service.get(r) for r in references}
        await backup_and_restore(w, tmp_path, key, references, before)


async def backup_and_restore(
    w: World, tmp_path: Path, key: dict[str, str], references: list[str], before: dict
) -> None:
    env = {k: v for k, v in base_env(w.data_dir, **key).items() if k != "PORT"}
    out = tmp_path / "backup.tar.gz"
    done = app_py(env, "backup", "--out", str(out))  # beside the running server
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())
    assert {f"data/cases/{r}.json" for r in references} <= set(names)
    assert set(manifest["files"]) == set(names) - {"MANIFEST.json"}
    assert not [n for n in names if "link-signing" in n or n.endswith((".key", ".lock"))]

    restored = tmp_path / "restored"
    done = app_py(env, "restore", str(out), "--to", str(restored))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checked 2 case(s): 0 with a broken timeline." in done.stdout
    # Into a folder that is not empty: refused, nothing written.
    again = app_py(env, "restore", str(out), "--to", str(restored))
    assert again.returncode == 2 and "is not empty" in again.stderr

    async with running_server(base_env(restored, **key)) as server:
        assert sorted(await server.service.store.references()) == sorted(references)
        for reference in references:
            after = await server.service.get(reference)
            assert after.case == before[reference].case
            assert after.timeline == before[reference].timeline


def test_a_damaged_backup_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in base_env(data).items() if k != "PORT"}
    (data / "cases").mkdir(parents=True)
    (data / "cases" / "OAK-2026-0001.json").write_text("{}")
    out = tmp_path / "b.tar.gz"
    assert app_py(env, "backup", "--out", str(out)).returncode == 0
    # Rewrite the one case with other bytes under the same manifest.
    with tarfile.open(out) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    members["data/cases/OAK-2026-0001.json"] = b'{"tampered": true}'
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, __import__("io").BytesIO(body))
    done = app_py(env, "restore", str(damaged), "--to", str(tmp_path / "new"))
    assert done.returncode == 2
    assert "data/cases/OAK-2026-0001.json: missing or damaged" in done.stderr
    assert not (tmp_path / "new").exists()
