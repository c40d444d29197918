"""The TinyDB index snapshot: open trusts it only for unchanged case files, and reads the rest."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bot.models import CaseFile
from bot.sealing import TEXT_PREFIX
from bot.service import CaseService
from bot.storage import case_index
from bot.storage.case_index import FORMAT
from bot.storage.tinydb_store import INDEX_FILE, TinyDBStore
from tests.conftest import HEAD, REPORTER


async def reopened(data_dir: Path) -> TinyDBStore:
    store = TinyDBStore(data_dir)
    await store.open()
    return store


async def filed(
    service: CaseService,
    make_answers,  # noqa: ANN001
    n: int,
    tag: str = "key",
) -> list[CaseFile]:
    records = []
    for i in range(n):
        case, _ = await service.submit(REPORTER, make_answers(), f"{tag}-{i}")
        records.append(await service.get(case.reference))
    return records


async def test_close_saves_the_index_and_open_uses_it(
    service: CaseService, store: TinyDBStore, make_answers
):
    await filed(service, make_answers, 3)
    before = sorted(await store.summaries(), key=lambda s: s.reference)
    await store.close()
    snapshot = json.loads((store.root / INDEX_FILE).read_text())
    assert snapshot["format"] == FORMAT and len(snapshot["rows"]) == 3
    # A row whose file is unchanged is believed as it is: open did not read that file.
    snapshot["rows"][0][3] = "not a bool, so visibly from the snapshot"
    (store.root / INDEX_FILE).write_text(json.dumps(snapshot))
    again = await reopened(store.root)
    assert sorted(await again.summaries(), key=lambda s: s.reference) == before
    assert await again.find_submission("key-1") == before[1].reference
    ref = snapshot["rows"][0][4]
    assert ref in await again.with_pending_outbox()
    await again.close()


async def test_the_next_reference_follows_the_snapshot_with_or_without_its_numbers(
    service: CaseService, store: TinyDBStore, make_answers
):
    records = await filed(service, make_answers, 3)
    prefix, year, number = records[-1].case.reference.split("-")
    await store.close()
    path = store.root / INDEX_FILE
    snapshot = json.loads(path.read_text())
    assert snapshot["sequences"] == {f"{prefix}-{year}": int(number)}
    assert snapshot["folder"] is not None  # it vouches for the folder: the fast open follows

    # The fast open takes the saved numbers as they are (here made visibly its own).
    path.write_text(json.dumps({**snapshot, "sequences": {f"{prefix}-{year}": 41}}))
    again = await reopened(store.root)
    assert again._entries.keys() == {r.case.reference for r in records}
    assert await again.next_reference(prefix, int(year)) == f"{prefix}-{year}-0042"
    await again.close()

    # A snapshot saved before the numbers were kept: they come from the references.
    del snapshot["sequences"]
    path.write_text(json.dumps(snapshot))
    older = await reopened(store.root)
    assert await older.next_reference(prefix, int(year)) == f"{prefix}-{year}-{int(number) + 1:04d}"
    await older.close()


async def test_files_changed_since_the_snapshot_are_read_again(
    service: CaseService, store: TinyDBStore, make_answers
):
    first, second, third = await filed(service, make_answers, 3)
    await store.close()
    # A later run changes one case, deletes another, files a new one, and is killed (no close).
    later = await reopened(store.root)
    service = CaseService(later, service.trust, service.policy, service.clock)
    await service.approve(first.case.reference, HEAD, first.case.version, ["discuss"])
    await later.delete(second.case.reference)
    [fourth] = await filed(service, make_answers, 1, "later")
    again = await reopened(store.root)
    summaries = {s.reference: s for s in await again.summaries()}
    assert sorted(summaries) == sorted(r.case.reference for r in (first, third, fourth))
    assert (
        summaries[first.case.reference].status
        == (await later.load(first.case.reference)).case.status
    )
    assert summaries[first.case.reference].version == first.case.version + 1
    assert await again.find_submission(second.case.submission_key) is None
    assert await again.next_reference("OAK", fourth.case.created_at.year) != fourth.case.reference


async def test_a_broken_or_foreign_snapshot_means_reading_every_file(
    service: CaseService, store: TinyDBStore, make_answers
):
    records = await filed(service, make_answers, 2)
    await store.close()
    saved = json.loads((store.root / INDEX_FILE).read_text())
    misshapen = json.dumps({**saved, "rows": [[1, 2, "key"]] + saved["rows"][1:]})
    for text in ("{not json", json.dumps({"format": FORMAT + 1, "rows": []}), "[]", misshapen):
        (store.root / INDEX_FILE).write_text(text)
        again = await reopened(store.root)
        assert await again.references() == sorted(r.case.reference for r in records)
        await again.close()


async def test_a_rewrite_at_the_same_size_is_noticed(
    service: CaseService, store: TinyDBStore, make_answers
):
    [record] = await filed(service, make_answers, 1)
    await store.close()
    later = await reopened(store.root)
    # Same length, new content, a new inode (every write renames a new file into place).
    changed = replace(record, revision=record.revision + 1)
    await later.save(changed)
    again = await reopened(store.root)
    assert (await again.summaries())[0] == (await later.summaries())[0]
    assert await again.lease(record.case.reference, "me", 1)


async def test_summaries_that_do_not_parse_are_read_from_the_files(
    service: CaseService, store: TinyDBStore, make_answers
):
    records = await filed(service, make_answers, 2)
    before = sorted(await store.summaries(), key=lambda s: s.reference)
    await store.close()
    snapshot = json.loads((store.root / INDEX_FILE).read_text())
    snapshot["summaries"] = [*snapshot["summaries"], "not\x1fenough\x1efields"]
    (store.root / INDEX_FILE).write_text(json.dumps(snapshot))
    again = await reopened(store.root)
    assert sorted(await again.summaries(), key=lambda s: s.reference) == before
    assert len(records) == 2
    await again.close()


async def test_a_store_opened_beside_the_server_does_not_vouch_for_its_stale_view(
    service: CaseService, store: TinyDBStore, make_answers
):
    """A command run beside the server (export, audit) closes after the server wrote: its
    snapshot must not make the next start believe the old revision (the outbox would stick)."""
    [record] = await filed(service, make_answers, 1)
    beside = await reopened(store.root)  # sees revision 1
    await service.approve(record.case.reference, HEAD, record.case.version, ["discuss"])
    await beside.close()  # writes its snapshot after the server's write
    restarted = await reopened(store.root)
    loaded = await restarted.load(record.case.reference)
    assert loaded is not None
    [summary] = await restarted.summaries()
    assert summary.status.value == "approved"
    restarted_service = CaseService(restarted, service.trust, service.policy, service.clock)
    await restarted_service.delivered(record.case.reference, loaded.outbox[0].id)  # no Conflict
    await restarted.close()


async def test_summaries_are_saved_sealed_in_chunks_and_read_back(
    service: CaseService, store: TinyDBStore, make_answers, monkeypatch
):
    """Each sealed text holds CHUNK summaries, so open never holds all of them at once; a
    snapshot saved as one text (before chunks) is still read as it is, not from the files."""
    monkeypatch.setattr(case_index, "CHUNK", 2)
    await filed(service, make_answers, 5)
    before = sorted(await store.summaries(), key=lambda s: s.reference)
    await store.close()
    snapshot = json.loads((store.root / INDEX_FILE).read_text())
    texts = snapshot["summaries"]
    assert len(texts) == 3 and all(t.startswith(TEXT_PREFIX) for t in texts)
    assert REPORTER.email not in json.dumps(snapshot)
    opened = [store.sealer.open_text(t, "case-index") for t in texts]
    assert [t.count(case_index.RECORD) + 1 for t in opened] == [2, 2, 1]
    again = await reopened(store.root)
    assert sorted(await again.summaries(), key=lambda s: s.reference) == before
    await again.close()
    # The older form: every summary in one sealed text; one version changed to show it is used.
    snapshot = json.loads((store.root / INDEX_FILE).read_text())
    one = case_index.RECORD.join(store.sealer.open_text(t, "case-index") for t in texts)
    first = before[0]
    line = case_index.summary_line(first)
    one = one.replace(line, case_index.summary_line(replace(first, version=first.version + 7)))
    snapshot["summaries"] = store.sealer.seal_text(one, "case-index")
    (store.root / INDEX_FILE).write_text(json.dumps(snapshot))
    older = await reopened(store.root)
    summaries = {s.reference: s for s in await older.summaries()}
    assert summaries[first.reference].version == first.version + 7
    assert len(summaries) == 5
    await older.close()
