"""Store write latency with 1,000, 10,000 and 100,000 cases stored (target: flat)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from bench.stats import print_table, save, summary_ms
from bot.config import EXAMPLE_TRUST, load_trust
from bot.forms import report_form, to_answers
from bot.models import Actor, CaseFile
from bot.policy import load_policy
from bot.sealing import Sealer
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore, _tables
from tests.samples import answers_values

REPORTER = Actor("slack", "UTEACH1", "teacher@oakprimary.example", "Tess Teacher")
HEAD = Actor("slack", "UHEAD01", "head@oakprimary.example", "Hana Head")


async def template(root: Path) -> CaseFile:
    """One real case, filed through the service, to copy when filling a store."""
    service = await make_service(root / "template")
    case, _ = await service.submit(REPORTER, answers(service), "template")
    record = await service.get(case.reference)
    assert record is not None
    return record


async def make_service(data_dir: Path) -> CaseService:
    store = TinyDBStore(data_dir)
    await store.open()
    return CaseService(store, load_trust(EXAMPLE_TRUST), load_policy())


def answers(service: CaseService):  # noqa: ANN201
    values = answers_values()
    return to_answers(report_form(service.policy), values, date(2026, 11, 26), "oak-primary")


def fill(data_dir: Path, record: CaseFile, count: int) -> None:
    """Write count case files as the store lays them out (set-up only: not durable, not timed).

    The template is made plain once and only its reference and key change per copy: building
    100,000 records would take longer than the benchmark itself.
    """
    cases = data_dir / "cases"
    cases.mkdir(parents=True, exist_ok=True)
    sealer = Sealer.for_data_dir(data_dir)  # sealed as the store writes them, with its key
    sealer.persist()
    tables = _tables(record)
    case = tables["case"]["1"]
    for message in tables["outbox"].values():  # at rest: every notification went out long ago
        message["delivered_at"] = message["created_at"]
    for n in range(1, count + 1):
        ref = f"OAK-2025-{n:06d}"
        tables["case"]["1"] = {**case, "reference": ref, "submission_key": f"fill-{n}"}
        (cases / f"{ref}.json").write_bytes(sealer.seal(json.dumps(tables).encode(), f"case:{ref}"))
    os.sync()  # or the timed writes' fsyncs would flush these hundreds of megabytes


async def measure(data_dir: Path, writes: int) -> dict[str, object]:
    started = time.perf_counter()
    service = await make_service(data_dir)
    opened = time.perf_counter() - started
    a = answers(service)
    submits, decisions = [], []
    for _ in range(writes):
        t = time.perf_counter()
        case, _ = await service.submit(REPORTER, a, uuid.uuid4().hex)
        submits.append(time.perf_counter() - t)
        t = time.perf_counter()
        await service.approve(case.reference, HEAD, case.version, ["discuss"])
        decisions.append(time.perf_counter() - t)
    await service.store.close()  # saves the index snapshot
    started = time.perf_counter()
    reopened = TinyDBStore(data_dir)
    await reopened.open()
    reopen = time.perf_counter() - started
    await reopened.close()
    return {
        "open_seconds": round(opened, 2),
        "reopen_seconds": round(reopen, 2),
        "submit": summary_ms(submits),
        "decision": summary_ms(decisions),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def run(sizes: list[int], writes: int, root: Path | None = None) -> dict[str, object]:
    """Fill a store of each size and time writes in it; under root the stores are kept."""
    if root is None:
        with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
            return await run(sizes, writes, Path(tmp))
    results: dict[str, object] = {}
    record = await template(root)
    for size in sizes:
        data_dir = store_dir(root, size)
        fill(data_dir, record, size)
        results[str(size)] = await measure(data_dir, writes)
    return results


def store_dir(root: Path, size: int) -> Path:
    return root / f"store-{size}"


def report(results: dict[str, object]) -> None:
    rows = [
        (
            f"{int(size):,}",
            r["submit"]["median_ms"],
            r["submit"]["p99_ms"],
            r["decision"]["median_ms"],
            r["decision"]["p99_ms"],
            r["open_seconds"],
            r["reopen_seconds"],
        )
        for size, r in results.items()
        if size.isdigit()
    ]
    print_table(
        "Store writes (durable: fsync + atomic rename), TinyDB, one file per case",
        (
            "cases stored",
            "submit median ms",
            "submit p99 ms",
            "decide median ms",
            "decide p99 ms",
            "first open s",
            "open with index s",
        ),
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = asyncio.run(run(sizes, args.writes))
    report(results)
    first, last = results[str(sizes[0])], results[str(sizes[-1])]
    ratio = last["submit"]["median_ms"] / first["submit"]["median_ms"]
    verdict = "met" if ratio <= 2 else "MISSED"
    print(
        f"\n  median submit at {sizes[-1]:,} / at {sizes[0]:,} = {ratio:.2f} "
        f"(target <= 2: {verdict})"
    )
    results["ratio_largest_to_smallest"] = round(ratio, 2)
    print(f"  results: {save('store', results)}")


if __name__ == "__main__":
    main()
