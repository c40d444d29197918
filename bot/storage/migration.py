"""Copying the embedded TinyDB store into PostgreSQL, verifiably and without copying twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import case_file_from
from bot.storage.postgres_store import PostgresStore
from bot.storage.tinydb_store import TinyDBStore
from bot.timeline import verify

BATCH = 500  # case files per transaction: big enough to be quick, small enough to hold in memory


@dataclass
class CopyReport:
    """What a copy did, by reference (cases) or by table and key (values)."""

    copied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # there already, identical: skipped
    different: list[str] = field(default_factory=list)  # there already, not identical: kept
    verified: int = 0
    problems: list[str] = field(default_factory=list)  # broken chains or failed read-backs
    values_copied: int = 0
    values_already: int = 0
    values_different: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.different and not self.values_different


def batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def copy_store(
    source: TinyDBStore,
    target: PostgresStore,
    progress: Callable[[int], None] = lambda n: None,
) -> CopyReport:
    """Copy every case file and value; read each copied case back and check its hash chain."""
    report = CopyReport()
    logged = await source.access_references()  # most cases were never opened: no log to copy
    for chunk in batches(await source.references(), BATCH):
        originals = await source.plain_many(chunk)
        result = await target.import_cases(list(originals.values()))
        report.copied += result.copied
        report.already += result.same  # identical to a copy checked when it was made
        report.different += result.different
        await _check(originals, result.copied, target, report)
        await _copy_access(source, target, [r for r in chunk if r in logged and r in originals])
        progress(len(chunk))
    await _copy_values(source, target, report)
    return report


async def _check(
    originals: dict[str, dict[str, Any]],
    copied: Sequence[str],
    target: PostgresStore,
    report: CopyReport,
) -> None:
    """Each copy must be the original exactly, and its hash chain intact."""
    stored = await target.plain_many(copied)
    for ref in copied:
        copy = stored.get(ref)
        if copy != originals[ref]:
            report.problems.append(f"{ref}: the copy in PostgreSQL differs from the original")
            continue
        report.problems += [f"{ref}: {p}" for p in verify(case_file_from(copy).timeline)]
        report.verified += 1


async def _copy_access(source: TinyDBStore, target: PostgresStore, refs: Sequence[str]) -> None:
    """Each case's access log, entry by entry (its chain copied as it is); a case copied by an
    earlier run gets the entries added since (a log that differs is left as it is: migrate then
    keeps the TinyDB files)."""
    for ref in refs:
        theirs, ours = await target.access_log(ref), await source.access_log(ref)
        if ours[: len(theirs)] != theirs:
            continue
        for entry in ours[len(theirs) :]:
            await target.append_access(ref, entry)


async def _copy_values(source: TinyDBStore, target: PostgresStore, report: CopyReport) -> None:
    for table in await source.tables():
        theirs = await target.values(table)
        for key, value in (await source.values(table)).items():
            if key not in theirs:
                await target.put_value(table, key, value)
                report.values_copied += 1
            elif theirs[key] == value:
                report.values_already += 1
            else:
                report.values_different.append(f"{table}/{key}")
