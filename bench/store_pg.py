"""Reports filed per second through CaseService: TinyDB (one instance), PostgreSQL (one, two)."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import print_table, save
from bench.store import answers
from bot.config import EXAMPLE_TRUST, load_trust
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.port import Store
from bot.storage.postgres_store import PostgresStore
from bot.storage.tinydb_store import TinyDBStore
from tests.bot.pg_child import REPORTER, fixed_clock
from tests.pg import PgServer, _admin, run_sync, server_binaries, with_database

ROOT = Path(__file__).resolve().parents[1]


async def submit_all(store: Store, count: int, tag: str, concurrency: int) -> float:
    """Open the store, file count reports with concurrency in flight; seconds taken."""
    await store.open()
    service = CaseService(store, load_trust(EXAMPLE_TRUST), load_policy(), fixed_clock)
    a = answers(service)
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await service.submit(REPORTER, a, f"{tag}-{n}")

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    taken = time.perf_counter() - started
    await store.close()
    return taken


async def migrate(url: str, data_dir: Path) -> None:
    store = PostgresStore(url, data_dir)
    await store.open()
    await store.close()


def in_processes(url: str, data_dir: Path, count: int, processes: int) -> float:
    """Wall time for processes children to file count reports each, started together."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.bot.pg_child", url, str(data_dir), "submit", f"p{n}"]
            + [str(count)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        child.communicate(timeout=600)
        assert child.returncode == 0
    return time.perf_counter() - started


def run(count: int, concurrency: int) -> dict[str, dict[str, float]]:
    binaries = server_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL server binaries not found: apt-get install postgresql-15")
    server = PgServer(binaries)
    server.start()
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
            data = Path(tmp)
            taken = asyncio.run(submit_all(TinyDBStore(data / "tiny"), count, "t", concurrency))
            results["tinydb, 1 instance"] = rate(count, taken)
            for name in ("one", "two"):
                run_sync(_admin, server.admin_url, f"CREATE DATABASE {name}")
            one = with_database(server.admin_url, "one")
            taken = asyncio.run(submit_all(PostgresStore(one, data), count, "p", concurrency))
            results["postgresql, 1 instance"] = rate(count, taken)
            two = with_database(server.admin_url, "two")
            asyncio.run(migrate(two, data))  # before the clock starts
            taken = in_processes(two, data, count, 2)
            results["postgresql, 2 instances (processes)"] = rate(2 * count, taken)
    finally:
        server.stop()
    return results


def rate(reports: int, seconds: float) -> dict[str, float]:
    return {
        "reports": reports,
        "seconds": round(seconds, 2),
        "per_second": round(reports / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=500, help="per instance")
    parser.add_argument("--concurrency", type=int, default=4, help="in flight per instance")
    args = parser.parse_args()
    results = run(args.reports, args.concurrency)
    rows = [(k, r["reports"], r["seconds"], r["per_second"]) for k, r in results.items()]
    print_table(
        "Report submissions through CaseService (durable commits; fsync on)",
        ("store", "reports", "seconds", "reports/s"),
        rows,
    )
    print(f"  results: {save('store_pg', results)}")


if __name__ == "__main__":
    main()
