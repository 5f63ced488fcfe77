"""The item store on SQLite and PostgreSQL: facts, ranges, change log."""

from __future__ import annotations

from sqlalchemy import delete

from icewarp_share.store import Store
from icewarp_share.store.items import ItemFacts, ItemStore
from icewarp_share.store.schema import Folder


def _folder(store: Store) -> int:
    store.directory.add_domain("example.com")
    store.directory.add_account("alice@example.com", "pw")
    return store.directory.folder("alice@example.com", "Calendar").id


def _facts(uid: str, start: int, end: int,
           item_class: str = "PUBLIC") -> ItemFacts:
    return ItemFacts(uid, "VEVENT", item_class, start, end, f'"{uid}"')


def test_put_get_and_replace_keep_one_item_per_href(store):
    """A second PUT to an href replaces the item and returns the old one."""
    items, folder = ItemStore(store.db), _folder(store)
    first, old = items.put(folder, "a.ics", "one", _facts("a", 0, 10))
    assert old is None and first.body == "one"
    second, old = items.put(folder, "a.ics", "two", _facts("a", 0, 10))
    assert old is not None and old.body == "one"
    assert [i.body for i in items.all(folder)] == ["two"]
    assert second.modseq > first.modseq
    assert items.get(folder, ["a.ics", "b.ics"]).keys() == {"a.ics"}


def test_get_leaves_out_classes_in_the_query(store):
    """Items of a class left out are not read, like missing hrefs."""
    items, folder = ItemStore(store.db), _folder(store)
    items.put(folder, "p.ics", "x", _facts("p", 0, 1, "PRIVATE"))
    items.put(folder, "a.ics", "x", _facts("a", 0, 1))
    found = items.get(folder, ["p.ics", "a.ics", "nope.ics"], ["PRIVATE"])
    assert found.keys() == {"a.ics"}


def test_in_range_is_an_overlap_lookup(store):
    """Items overlapping [start, end) of the component asked are found."""
    items, folder = ItemStore(store.db), _folder(store)
    items.put(folder, "early.ics", "x", _facts("early", 0, 100))
    items.put(folder, "late.ics", "x", _facts("late", 200, 300))
    found = items.in_range(folder, "VEVENT", 50, 250)
    assert [i.href for i in found] == ["early.ics", "late.ics"]
    assert [i.href for i in items.in_range(folder, "VEVENT", 100, 200)] \
        == []
    assert items.in_range(folder, "VTODO", 0, 300) == []


def test_change_log_gives_state_before_and_after_per_href(store):
    """changes() after a modseq lists each href once, with the item's
    state before its first change and after its last (None: no item)."""
    items, folder = ItemStore(store.db), _folder(store)
    items.put(folder, "a.ics", "x", _facts("a", 0, 1))
    mark = items.modseq(folder)
    items.put(folder, "b.ics", "x", _facts("b", 0, 1, "PRIVATE"))
    items.put(folder, "b.ics", "y", _facts("b", 0, 1))
    items.delete(folder, "a.ics")
    changes = {c.href: c for c in items.changes(folder, mark)}
    assert set(changes) == {"a.ics", "b.ics"}
    assert changes["a.ics"].after is None
    assert changes["a.ics"].before is not None
    assert changes["b.ics"].before is None
    assert changes["b.ics"].after is not None
    assert changes["b.ics"].after.item_class == "PUBLIC"
    newest = [c.href for c in items.newest_first(folder, batch=1)]
    assert newest == ["a.ics", "b.ics", "b.ics", "a.ics"]
    assert items.delete(folder, "a.ics") is None


def test_uid_lookup_and_collection_properties(store):
    """href_of_uid finds the item; props round-trip as a mapping."""
    items, folder = ItemStore(store.db), _folder(store)
    items.put(folder, "a.ics", "x", _facts("uid-a", 0, 1))
    assert items.href_of_uid(folder, "uid-a") == "a.ics"
    assert items.href_of_uid(folder, "nope") is None
    items.set_props(folder, {"D:displayname": "Work"})
    assert items.props(folder) == {"D:displayname": "Work"}


def test_items_go_with_their_folder(store):
    """Deleting a folder row deletes its items and change log (cascade)."""
    items, folder = ItemStore(store.db), _folder(store)
    items.put(folder, "a.ics", "x", _facts("a", 0, 1))
    with store.db.write() as session:
        session.execute(delete(Folder).where(Folder.id == folder))
    assert items.all(folder) == []
    assert items.changes(folder, 0) == []
