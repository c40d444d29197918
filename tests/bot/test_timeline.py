"""The hash chain detects an edited, removed or reordered event, in memory and on disk."""

from __future__ import annotations

from dataclasses import replace

from bot.timeline import verify
from tests.conftest import HEAD, REPORTER
from tests.sealed_files import read_case_file, write_case_file


async def test_editing_a_stored_event_is_detected(service, make_answers, store):
    case, _ = await service.submit(REPORTER, make_answers(), "k")
    await service.approve(case.reference, HEAD, 1, ["discuss"])
    record = await service.get(case.reference)
    assert verify(record.timeline) == []

    path = store.cases_dir / f"{case.reference}.json"
    data = read_case_file(path)
    data["timeline"]["1"]["after"]["answers"]["post_text"] = "something milder"
    write_case_file(path, data)
    tampered = await store.load(case.reference)
    assert verify(tampered.timeline) == ["event 1: its content does not match its hash (edited)"]


async def test_removed_or_reordered_events_are_detected(service, make_answers):
    case, _ = await service.submit(REPORTER, make_answers(), "k")
    await service.approve(case.reference, HEAD, 1, ["discuss"])
    events = (await service.get(case.reference)).timeline
    assert any("chain broken" in p for p in verify(events[:1] + events[2:]))
    assert verify(events[::-1])
    rehashed = replace(events[1], summary="nothing to see")
    rehashed = replace(rehashed, hash=rehashed.computed_hash())
    assert any("chain broken" in p for p in verify((events[0], rehashed, *events[2:])))
