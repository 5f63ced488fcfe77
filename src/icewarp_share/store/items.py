"""Calendar and contact items, their collection properties and change log.

Each item is stored whole (its iCalendar or vCard text) next to what the
server asks about it without parsing: UID, component type, access class
and the time range it covers. Time-range queries and privacy filtering
are therefore indexed lookups. Every write bumps the folder's ``modseq``
and appends a row to the change log, from which sync tokens (RFC 6578)
are answered. The front end extracts the metadata; this module stores it
and decides nothing about who may see what.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from icewarp_share.store.db import Database
from icewarp_share.store.schema import Base, Folder, utcnow

MAX_HREF = 255
"""Longest item name (the last URL segment) accepted, in characters."""


class Item(Base):
    """One calendar object or vCard in a folder, with its extracted facts.

    ``start`` and ``end`` are POSIX seconds enclosing every occurrence
    (an endless recurrence ends far in the future); ``item_class`` is the
    most restrictive CLASS of its components.
    """

    __tablename__ = "dav_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"))
    href: Mapped[str] = mapped_column(String(MAX_HREF))
    uid: Mapped[str] = mapped_column(String(1024))
    component: Mapped[str] = mapped_column(String(16))
    item_class: Mapped[str] = mapped_column(String(16))
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(80))
    masked_etag: Mapped[str] = mapped_column(String(80), default="")
    body: Mapped[str] = mapped_column(Text)
    modseq: Mapped[int] = mapped_column(BigInteger)
    updated: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    masked_updated: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        UniqueConstraint("folder_id", "href", name="uq_dav_item_href"),
        Index("ix_dav_items_uid", "folder_id", "uid"),
        Index("ix_dav_items_range", "folder_id", "component", "start",
              "end"),
        Index("ix_dav_items_class", "folder_id", "item_class"),
    )


class ItemChange(Base):
    """One write to an item: the change log that sync tokens point into.

    Each row keeps the item's state before and after the write (class,
    ETag, placeholder ETag; all None when there was or is no item), so
    that the front end can tell, per viewer, whether what that viewer
    gets of the item changed at all.
    """

    __tablename__ = "dav_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"))
    href: Mapped[str] = mapped_column(String(MAX_HREF))
    modseq: Mapped[int] = mapped_column(BigInteger)
    prev_class: Mapped[str | None] = mapped_column(String(16))
    prev_etag: Mapped[str | None] = mapped_column(String(80))
    prev_masked_etag: Mapped[str | None] = mapped_column(String(80))
    item_class: Mapped[str | None] = mapped_column(String(16))
    etag: Mapped[str | None] = mapped_column(String(80))
    masked_etag: Mapped[str | None] = mapped_column(String(80))
    __table_args__ = (
        Index("ix_dav_changes_seq", "folder_id", "modseq"),
    )


class CollectionProps(Base):
    """Properties a client set on a collection (PROPPATCH), as JSON.

    ``account`` is '' for the folder's own properties (set by its owner
    or someone allowed to rename it); a sharee's personal display name
    and colour are kept under its address and seen by it alone.
    """

    __tablename__ = "dav_collection_props"
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True)
    account: Mapped[str] = mapped_column(String(320), primary_key=True,
                                         default="")
    props: Mapped[str] = mapped_column(Text, default="{}")


@dataclass(frozen=True)
class ItemFacts:
    """What the front end extracted from an item before storing it."""

    uid: str
    component: str
    item_class: str
    start: int
    end: int
    etag: str
    masked_etag: str = ""
    """The ETag of the item's time-only placeholder ('' if not made)."""


@dataclass(frozen=True)
class StoredItem:
    """An item as read back: its text and its facts.

    ``masked_updated`` is when the placeholder last changed: the only
    time a viewer of the placeholder may learn.
    """

    href: str
    body: str
    facts: ItemFacts
    modseq: int
    updated: datetime
    masked_updated: datetime | None = None


@dataclass(frozen=True)
class ItemState:
    """What the change log keeps of an item at one point in time."""

    item_class: str
    etag: str
    masked_etag: str


@dataclass(frozen=True)
class Change:
    """What happened to one href over some changes of the log.

    ``before`` is the item before the first of them, ``after`` after
    the last (None: no item); ``modseq`` is that of the last change.
    """

    href: str
    modseq: int
    before: ItemState | None
    after: ItemState | None


def _stored(row: Item) -> StoredItem:
    facts = ItemFacts(row.uid, row.component, row.item_class, row.start,
                      row.end, row.etag, row.masked_etag)
    return StoredItem(row.href, row.body, facts, row.modseq, row.updated,
                      row.masked_updated)


def _state_of(row: Item | None) -> ItemState | None:
    if row is None:
        return None
    return ItemState(row.item_class, row.etag, row.masked_etag)


def _log(s: Session, folder_id: int, href: str, modseq: int,
         before: ItemState | None, after: ItemState | None) -> None:
    """Append one change, with the item's state before and after it."""
    s.add(ItemChange(
        folder_id=folder_id, href=href, modseq=modseq,
        prev_class=before and before.item_class,
        prev_etag=before and before.etag,
        prev_masked_etag=before and before.masked_etag,
        item_class=after and after.item_class,
        etag=after and after.etag,
        masked_etag=after and after.masked_etag))


def _row_state(klass: str | None, etag: str | None,
               masked: str | None) -> ItemState | None:
    if klass is None:
        return None
    return ItemState(klass, etag or "", masked or "")


def _bump(s: Session, folder_id: int) -> int:
    """Raise the folder's modseq by one and return the new value."""
    s.execute(update(Folder).where(Folder.id == folder_id)
              .values(modseq=Folder.modseq + 1))
    value = s.scalar(select(Folder.modseq).where(Folder.id == folder_id))
    assert value is not None
    return int(value)


_CHANGE_COLUMNS = (
    ItemChange.href, ItemChange.modseq, ItemChange.prev_class,
    ItemChange.prev_etag, ItemChange.prev_masked_etag,
    ItemChange.item_class, ItemChange.etag, ItemChange.masked_etag)


def _change(row: Any) -> Change:
    """One change log row as a Change."""
    (href, modseq, prev_class, prev_etag, prev_masked, item_class, etag,
     masked) = row
    return Change(href, int(modseq),
                  _row_state(prev_class, prev_etag, prev_masked),
                  _row_state(item_class, etag, masked))


class ItemStore:
    """Reads and writes of items, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self, folder_id: int) -> list[StoredItem]:
        """Every item of a folder, by href."""
        with self.db.read() as s:
            rows = s.scalars(select(Item).where(Item.folder_id == folder_id)
                             .order_by(Item.href))
            return [_stored(row) for row in rows]

    def get(self, folder_id: int, hrefs: Iterable[str],
            without_classes: Iterable[str] = ()) -> dict[str, StoredItem]:
        """The items found among ``hrefs``; missing ones are left out.

        Items of ``without_classes`` are left out by the query itself,
        so asking for them costs what asking for missing hrefs costs.
        """
        wanted = sorted(set(hrefs))
        left_out = sorted(set(without_classes))
        found: dict[str, StoredItem] = {}
        with self.db.read() as s:
            for chunk in range(0, len(wanted), 500):
                query = select(Item).where(
                    Item.folder_id == folder_id,
                    Item.href.in_(wanted[chunk:chunk + 500]))
                if left_out:
                    query = query.where(Item.item_class.not_in(left_out))
                rows = s.scalars(query)
                found.update((row.href, _stored(row)) for row in rows)
        return found

    def in_range(self, folder_id: int, component: str | None,
                 start: int, end: int) -> list[StoredItem]:
        """Items of one component type overlapping [start, end)."""
        query = select(Item).where(Item.folder_id == folder_id,
                                   Item.start < end, Item.end > start)
        if component is not None:
            query = query.where(Item.component == component)
        with self.db.read() as s:
            return [_stored(row) for row in s.scalars(
                query.order_by(Item.href))]

    def href_of_uid(self, folder_id: int, uid: str) -> str | None:
        """The href holding ``uid`` in the folder, if any."""
        with self.db.read() as s:
            return s.scalar(select(Item.href).where(
                Item.folder_id == folder_id, Item.uid == uid).limit(1))

    def put(self, folder_id: int, href: str, body: str,
            facts: ItemFacts) -> tuple[StoredItem, StoredItem | None]:
        """Create or replace an item; return it and the one replaced."""
        with self.db.write() as s:
            row = s.scalar(select(Item).where(Item.folder_id == folder_id,
                                              Item.href == href))
            old = None if row is None else _stored(row)
            before = _state_of(row)
            modseq = _bump(s, folder_id)
            now = utcnow()
            if row is None:
                row = Item(folder_id=folder_id, href=href)
                s.add(row)
            if before is None or before.masked_etag != facts.masked_etag:
                row.masked_updated = now
            row.uid, row.component = facts.uid, facts.component
            row.item_class, row.etag = facts.item_class, facts.etag
            row.masked_etag = facts.masked_etag
            row.start, row.end = facts.start, facts.end
            row.body, row.modseq, row.updated = body, modseq, now
            _log(s, folder_id, href, modseq, before, _state_of(row))
            s.flush()
            return _stored(row), old

    def delete(self, folder_id: int, href: str) -> StoredItem | None:
        """Remove an item; return it, or None when there was none."""
        with self.db.write() as s:
            row = s.scalar(select(Item).where(Item.folder_id == folder_id,
                                              Item.href == href))
            if row is None:
                return None
            old = _stored(row)
            modseq = _bump(s, folder_id)
            _log(s, folder_id, href, modseq, _state_of(row), None)
            s.execute(delete(Item).where(Item.id == row.id))
            return old

    def move(self, folder_id: int, href: str, to_folder_id: int,
             to_href: str) -> StoredItem | None:
        """Move an item, replacing any at the target; None if none moved.

        Both folders log the change, the source as a deletion.
        """
        with self.db.write() as s:
            row = s.scalar(select(Item).where(Item.folder_id == folder_id,
                                              Item.href == href))
            if row is None:
                return None
            replaced = s.scalar(select(Item).where(
                Item.folder_id == to_folder_id, Item.href == to_href))
            if replaced is row:
                return _stored(row)
            replaced_state = _state_of(replaced)
            if replaced is not None:
                s.delete(replaced)
                s.flush()
            state = _state_of(row)
            gone = _bump(s, folder_id)
            _log(s, folder_id, href, gone, state, None)
            arrived = _bump(s, to_folder_id)
            row.folder_id, row.href = to_folder_id, to_href
            row.modseq, row.updated = arrived, utcnow()
            _log(s, to_folder_id, to_href, arrived, replaced_state, state)
            s.flush()
            return _stored(row)

    def changes(self, folder_id: int, since: int) -> list[Change]:
        """What happened to each href changed after ``since``.

        Each href appears once, with its state before its first change
        after ``since`` and after its last one.
        """
        with self.db.read() as s:
            rows = s.execute(
                select(*_CHANGE_COLUMNS)
                .where(ItemChange.folder_id == folder_id,
                       ItemChange.modseq > since)
                .order_by(ItemChange.modseq))
            merged: dict[str, Change] = {}
            for row in rows:
                change = _change(row)
                first = merged.get(change.href)
                before = change.before if first is None else first.before
                merged[change.href] = Change(change.href, change.modseq,
                                             before, change.after)
        return sorted(merged.values(), key=lambda change: change.modseq)

    def newest_first(self, folder_id: int,
                     batch: int = 200) -> Iterator[Change]:
        """Every change of the folder, one per row, newest first.

        Read in batches, so a caller that stops early reads little.
        """
        below: int | None = None
        while True:
            query = select(*_CHANGE_COLUMNS).where(
                ItemChange.folder_id == folder_id)
            if below is not None:
                query = query.where(ItemChange.modseq < below)
            with self.db.read() as s:
                rows = [_change(row) for row in s.execute(
                    query.order_by(ItemChange.modseq.desc()).limit(batch))]
            yield from rows
            if len(rows) < batch:
                return
            below = rows[-1].modseq

    def modseq(self, folder_id: int) -> int:
        """The folder's current modseq."""
        with self.db.read() as s:
            value = s.scalar(select(Folder.modseq)
                             .where(Folder.id == folder_id))
        return int(value or 0)

    def oldest_change(self, folder_id: int) -> int:
        """The lowest modseq still in the change log (0 when empty)."""
        with self.db.read() as s:
            value = s.scalar(select(func.min(ItemChange.modseq))
                             .where(ItemChange.folder_id == folder_id))
        return int(value or 0)

    def props(self, folder_id: int, account: str = "") -> dict[str, str]:
        """The properties set on the folder's collection ('' account:
        the folder's own, else that account's personal ones)."""
        with self.db.read() as s:
            row = s.get(CollectionProps, (folder_id, account))
            return {} if row is None else dict(json.loads(row.props))

    def set_props(self, folder_id: int, props: dict[str, str],
                  account: str = "") -> None:
        """Replace the folder's own or one account's personal properties."""
        text = json.dumps(props, sort_keys=True)
        with self.db.write() as s:
            row = s.get(CollectionProps, (folder_id, account))
            if row is None:
                s.add(CollectionProps(folder_id=folder_id, account=account,
                                      props=text))
            else:
                row.props = text
            if not account:
                _bump(s, folder_id)
