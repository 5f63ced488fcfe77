"""The lock and property tables on SQLite and PostgreSQL, without HTTP.

These pin down what wsgidav relies on: expired locks vanish, children
are found by prefix even when names hold LIKE wildcards, and moving a
collection carries its members' properties along.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from icewarp_share.store import Store
from icewarp_share.store.files import (
    LockConflict,
    LockTable,
    PropertyTable,
    sweep_uploads,
)


def _lock(timeout: float = 60) -> dict[str, object]:
    return {"type": "write", "scope": "exclusive", "depth": "0",
            "owner": b"<owner xmlns='DAV:'>me</owner>",
            "principal": "bob@example.com", "timeout": timeout}


def test_lock_round_trip_and_expiry(store: Store) -> None:
    """A lock reads back with its owner as bytes; an expired one is gone."""
    table = LockTable(store.db)
    made = table.create("/a@example.com/Docs/x.txt", _lock())
    found = table.get(made["token"])
    assert found is not None and found["owner"].startswith(b"<owner")
    assert found["root"] == "/a@example.com/Docs/x.txt"
    short = table.create("/a@example.com/Docs/y.txt", _lock(0.01))
    time.sleep(0.05)
    assert table.get(short["token"]) is None


def test_lock_list_finds_children_literally(store: Store) -> None:
    """``%`` and ``_`` in paths match themselves, not any character."""
    table = LockTable(store.db)
    table.create("/a@example.com/Do_s/in.txt", _lock())
    table.create("/a@example.com/Doxs/other.txt", _lock())
    below = table.get_lock_list("/a@example.com/Do_s", include_root=False,
                                include_children=True, token_only=False)
    assert [lock["root"] for lock in below] == ["/a@example.com/Do_s/in.txt"]


def test_properties_follow_a_collection_move(store: Store) -> None:
    """Moving a directory moves its members' dead properties."""
    table = PropertyTable(store.db)
    table.write_property("/o/F/dir/", "{urn:x}p", b"<p xmlns='urn:x'>1</p>")
    table.write_property("/o/F/dir/f.txt", "{urn:x}p",
                         b"<p xmlns='urn:x'>2</p>")
    table.move_properties("/o/F/dir/", "/o/F/new/", with_children=True)
    assert table.get_properties("/o/F/dir") == []
    assert table.get_property("/o/F/new/f.txt", "{urn:x}p") == \
        b"<p xmlns='urn:x'>2</p>"
    table.copy_properties("/o/F/new/f.txt", "/o/F/copy.txt")
    assert table.get_properties("/o/F/copy.txt") == ["{urn:x}p"]
    table.remove_properties("/o/F/new/f.txt")
    assert table.get_property("/o/F/new/f.txt", "{urn:x}p") is None


def test_conflicting_lock_is_refused_by_the_table_itself(
        store: Store) -> None:
    """Two exclusive locks on one path, or under a depth-infinity lock."""
    table = LockTable(store.db)
    table.create("/o/F/doc.txt", _lock())
    with pytest.raises(LockConflict):
        table.create("/o/F/doc.txt", _lock())
    tree = dict(_lock(), depth="infinity")
    table.create("/o/G", tree)
    with pytest.raises(LockConflict):
        table.create("/o/G/inner/file.txt", _lock())
    shared = dict(_lock(), scope="shared")
    table.create("/o/H/s.txt", shared)
    table.create("/o/H/s.txt", dict(shared))
    table.create("/o/F/other.txt", _lock())


def test_sweep_removes_only_stale_unfinished_uploads(tmp_path: Path) -> None:
    """A day-old .part file goes; a fresh one and real files stay."""
    folder = tmp_path / "files" / "7" / "sub"
    folder.mkdir(parents=True)
    stale = folder / ".upload-0123456789abcdef.part"
    fresh = folder / ".upload-fedcba9876543210.part"
    real = folder / "report.part"
    for path in (stale, fresh, real):
        path.write_bytes(b"x")
    old = time.time() - 2 * 86400
    os.utime(stale, (old, old))
    os.utime(real, (old, old))
    assert sweep_uploads(tmp_path) == 1
    assert not stale.exists() and fresh.exists() and real.exists()
