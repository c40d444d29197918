"""Backups: `backup` writes a consistent snapshot with SHA-256 sums; `restore` unpacks it into an
empty folder and verifies every hash chain. Keys are never in a backup."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError
from handlers.cli.checks import audit_store
from handlers.cli.common import load, make_store, redact

MANIFEST = "MANIFEST.json"
DATA = "data"
DUMP = "postgresql.dump"
# Never copied: the keys (a backup and its key kept apart, or a stolen backup is readable) and
# the running server's lock.
SKIPPED = (".lock", ".lock-owner.json")
# Case files first: each names evidence written before it, so every file a copied case needs
# is copied after it, even while the server keeps writing.
ORDER = ("cases", "access", "values")


def is_key(path: Path) -> bool:
    return path.name.startswith("link-signing.") or path.suffix == ".key"


def data_files(data_dir: Path) -> Iterator[Path]:
    """Every file of the data folder worth keeping, in the order that keeps it consistent."""
    first = [data_dir / name for name in ORDER]
    rest = sorted(p for p in data_dir.iterdir() if p not in first) if data_dir.exists() else []
    for top in [*first, *rest]:
        if not top.exists():
            continue
        found = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in found:
            if path.name not in SKIPPED and not is_key(path):
                yield path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def pg_dump(url: str) -> bytes | None:
    """PostgreSQL's own consistent dump (custom format), if pg_dump is installed."""
    binary = shutil.which("pg_dump")
    if binary is None:
        return None
    done = subprocess.run(  # noqa: S603 - the binary found on PATH, the operator's own URL
        [binary, "--format=custom", "--no-owner", "--dbname", url],
        capture_output=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise ConfigError("backup", "pg_dump", f"failed: {' '.join(why) or done.returncode}")
    return done.stdout


def cmd_backup(args: argparse.Namespace) -> int:
    settings = load(Settings.from_env()).settings
    out = Path(args.out)
    if out.exists():
        raise ConfigError("backup", "--out", f"{out} exists already: name a new file")
    sums: dict[str, str] = {}
    notes = []
    # Written 0600 from the start: it holds the (encrypted) cases and their evidence.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        if settings.database_url:
            dump = pg_dump(settings.database_url)
            if dump is None:
                notes.append(
                    "pg_dump is not installed here: the database is NOT in this backup; "
                    "back it up with PostgreSQL's own tools"
                )
            else:
                add(tar, DUMP, dump)
                sums[DUMP] = sha256(dump)
        for path in data_files(settings.data_dir):
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # removed by the running server since it was listed
                continue
            name = f"{DATA}/{path.relative_to(settings.data_dir).as_posix()}"
            add(tar, name, data)
            sums[name] = sha256(data)
        manifest = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "store": "postgresql" if settings.database_url else "tinydb",
            "files": sums,
            "notes": notes,
        }
        add(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
    where = f"PostgreSQL at {redact(settings.database_url)}" if settings.database_url else ""
    print(f"Wrote {out}: {len(sums)} file(s) from {settings.data_dir} {where}".rstrip() + ".")
    for note in notes:
        print(f"Warning: {note}")
    print("Keys are not in it: keep ENCRYPTION_KEY or its file, and DATA_DIR's link key, apart.")
    return 0


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """A regular file's bytes (extractfile gives None only for other kinds of member)."""
    handle = tar.extractfile(member)
    if handle is None:
        raise ValueError(f"{member.name} is not a regular file")
    return handle.read()


def read_backup(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every file, each checked against its SHA-256 before anything is written."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            if MANIFEST not in members:
                raise ConfigError("restore", str(path), f"not a backup: no {MANIFEST}")
            manifest = json.loads(_read(tar, members[MANIFEST]))
            files = {}
            for name, digest in manifest["files"].items():
                member = members.get(name)
                data = _read(tar, member) if member else b""
                if member is None or sha256(data) != digest:
                    raise ConfigError("restore", name, "missing or damaged (its SHA-256 differs)")
                files[name] = data
    except (tarfile.TarError, EOFError, ValueError, KeyError) as exc:
        raise ConfigError("restore", str(path), f"not a readable backup ({exc})") from None
    return manifest, files


def cmd_restore(args: argparse.Namespace) -> int:
    target = Path(args.to)
    if target.exists() and any(target.iterdir()):
        raise ConfigError("restore", "--to", f"{target} is not empty: restore into a new folder")
    manifest, files = read_backup(Path(args.backup))
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, data in files.items():
        if name == DUMP:
            dest = target / DUMP
        else:
            relative = Path(name).relative_to(DATA)
            if ".." in relative.parts or relative.is_absolute():
                raise ConfigError("restore", name, "a path outside the folder")
            dest = target / relative
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    print(f"Restored {len(files)} file(s) from {args.backup} into {target}.")
    if manifest["store"] == "postgresql":
        print(
            f"The database dump is {target / DUMP}: load it into an empty database with "
            f"pg_restore --no-owner --dbname URL {target / DUMP}; evidence files are in {target}."
        )
        return 0

    async def verify() -> int:
        # The store as the server would open it on the new folder (with the same key).
        store = make_store(replace(Settings.from_env(), data_dir=target, database_url=""))
        await store.open()
        try:
            return await audit_store(store)
        finally:
            await store.close()

    return asyncio.run(verify())


def register(sub: argparse._SubParsersAction) -> None:
    about = "write a snapshot of the cases and evidence (no keys) with SHA-256 sums"
    backup = sub.add_parser("backup", help=about, description=about)
    backup.add_argument("--out", required=True, help="the backup file to write (.tar.gz, 0600)")
    backup.set_defaults(func=cmd_backup)
    about = "restore a backup into an empty folder, then verify every hash chain"
    restore = sub.add_parser("restore", help=about, description=about)
    restore.add_argument("backup", help="the file `backup` wrote")
    restore.add_argument("--to", required=True, help="an empty (or new) folder: the new DATA_DIR")
    restore.set_defaults(func=cmd_restore)
