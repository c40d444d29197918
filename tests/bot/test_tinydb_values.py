"""The TinyDB store's value tables: a file per table; scratch tables may be cut by a crash."""

from __future__ import annotations

import json

import pytest

from bot.storage.tinydb_store import TinyDBStore


async def test_each_table_is_its_own_file_and_survives_reopening(tmp_path):
    store = TinyDBStore(tmp_path)
    await store.open()
    await store.put_value("teams_refs", "head@oakprimary.example", {"id": "29:1"})
    await store.put_value("drafts", "d1", {"step": 1})
    await store.close()
    assert sorted(p.name for p in (tmp_path / "values").iterdir()) == [
        "drafts.json",
        "teams_refs.json",
    ]
    again = TinyDBStore(tmp_path)
    await again.open()
    assert await again.get_value("teams_refs", "head@oakprimary.example") == {"id": "29:1"}
    assert await again.get_value("drafts", "d1") == {"step": 1}
    assert await again.tables() == ["drafts", "teams_refs"]
    await again.close()


async def test_a_torn_scratch_table_starts_empty_but_a_durable_one_does_not(tmp_path):
    store = TinyDBStore(tmp_path)
    await store.open()
    await store.put_value("drafts", "d1", {"step": 1})
    await store.put_value("teams_refs", "x", {"id": "29:1"})
    await store.close()
    (tmp_path / "values" / "drafts.json").write_text('{"values": {"1": ')  # cut short
    (tmp_path / "values" / "teams_refs.json").write_text('{"values": {"1": ')
    again = TinyDBStore(tmp_path)
    await again.open()
    assert await again.get_value("drafts", "d1") is None
    await again.put_value("drafts", "d2", {"step": 2})
    assert await again.get_value("drafts", "d2") == {"step": 2}
    with pytest.raises(json.JSONDecodeError):
        await again.get_value("teams_refs", "x")
    with pytest.raises(ValueError, match="not a value table name"):
        await again.get_value("../etc", "x")
    await again.close()


async def test_a_sealed_scratch_table_cut_before_its_truncation_starts_empty(tmp_path):
    """A crash between the in-place write and the truncation leaves a new sealed blob followed
    by the old one's tail: it does not open (the seal's tag fails), so no drafts, as with JSON."""
    store = TinyDBStore(tmp_path)
    await store.open()
    await store.put_value("drafts", "d1", {"step": 1, "notes": "x" * 500})
    path = tmp_path / "values" / "drafts.json"
    longer = path.read_bytes()
    await store.put_value("drafts", "d1", {"step": 2})
    await store.close()
    shorter = path.read_bytes()
    path.write_bytes(shorter + longer[len(shorter) :])  # written, not yet truncated
    again = TinyDBStore(tmp_path)
    await again.open()
    assert await again.get_value("drafts", "d1") is None
    await again.put_value("drafts", "d2", {"step": 3})
    assert await again.get_value("drafts", "d2") == {"step": 3}
    await again.close()
