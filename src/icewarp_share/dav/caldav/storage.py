"""Radicale's storage plugin over our database.

Collections are our folders as the requesting viewer reaches them
(``places``); items come from the item store. Every item handed to
Radicale, whichever request asks, is built by ``privacy.present``: that
is the one privacy filter. Time-range queries, UID look-ups and sync
deltas are answered from indexed columns instead of parsing every item.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from radicale import item as radicale_item
from radicale import storage as radicale_storage
from radicale.item import filter as radicale_filter

from icewarp_share import acl
from icewarp_share.dav.caldav import privacy
from icewarp_share.dav.caldav.content import facts_of
from icewarp_share.dav.caldav.places import (
    FolderView,
    Place,
    PlaceKind,
    Places,
)
from icewarp_share.dav.caldav.request import RequestState, current
from icewarp_share.store import Store
from icewarp_share.store.errors import StoreError
from icewarp_share.store.items import ItemStore, StoredItem

log = logging.getLogger(__name__)

SYNC_PREFIX = "urn:icewarp-share:sync:"
"""Sync tokens are ``urn:icewarp-share:sync:<folder>:<modseq>:<view>``.

``<view>`` is ``privacy.view_mark``: a token stops being valid when the
viewer's rights change what it gets of private items.
"""

COLOR_KEY = "ICAL:calendar-color"

# Properties that say what a collection is; clients may not change them.
_FIXED_PROPS = frozenset({"tag", "C:supported-calendar-component-set"})

PERSONAL_PROPS = frozenset({"D:displayname", COLOR_KEY,
                            "ICAL:calendar-order"})
"""What a sharee who may not rename a folder may still set on it, for
itself alone: how its client names, colours and orders the calendar."""


def manages(folder: FolderView) -> bool:
    """Whether the viewer may change the folder's own properties: its
    owner, or a grantee allowed to rename (``x``) or administer it."""
    return folder.is_owner or \
        folder.allows(acl.Operation.DELETE_FOLDER) or \
        folder.allows(acl.Operation.ADMINISTER)


def _http_date(value: datetime) -> str:
    """An HTTP-date (RFC 9110 5.6.7) for Last-Modified."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return email.utils.format_datetime(value.astimezone(UTC),
                                       usegmt=True)


def _state() -> RequestState:
    """The current request's state; plugins are only called inside one."""
    state = current()
    if state is None:
        raise RuntimeError("DAV storage used outside a request")
    return state


class Root(radicale_storage.BaseCollection):
    """The DAV root: its only member is the viewer's own home."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    @property
    def path(self) -> str:
        return ""

    def get_meta(self, key: str | None = None) -> Any:
        return {} if key is None else None

    def get_all(self) -> Iterable[radicale_item.Item]:
        return ()

    def get_multi(self, hrefs: Iterable[str]) -> Iterable[Any]:
        return ((href, None) for href in hrefs)

    @property
    def last_modified(self) -> str:
        return _http_date(datetime.now(UTC))


class Home(Root):
    """A user's principal, calendar home and address-book home in one."""

    def __init__(self, storage: Storage, address: str) -> None:
        super().__init__(storage)
        self._address = address

    @property
    def path(self) -> str:
        return self._address

    def get_meta(self, key: str | None = None) -> Any:
        """The account's display name, as the principal's displayname."""
        account = self._storage.store.directory.find_account(self._address)
        name = account.display_name if account is not None else ""
        meta = {"D:displayname": name or self._address}
        return meta if key is None else meta.get(key)


class Collection(radicale_storage.BaseCollection):
    """One folder, as the requesting viewer reaches it."""

    def __init__(self, storage: Storage, folder: FolderView) -> None:
        self._storage = storage
        self.folder = folder
        self._items = storage.items

    # region identity

    @property
    def path(self) -> str:
        return self.folder.url

    @property
    def owner(self) -> str:
        return self.folder.owner

    @property
    def is_principal(self) -> bool:
        return False

    @property
    def last_modified(self) -> str:
        latest = [item.last_modified for item in self._visible()]
        stamps = [email.utils.parsedate_to_datetime(text)
                  for text in latest if text]
        return _http_date(max(stamps, default=datetime(
            1970, 1, 1, tzinfo=UTC)))

    # region reading: everything goes through privacy.present

    def _item(self, stored: StoredItem,
              purpose: privacy.Purpose = privacy.Purpose.READ
              ) -> radicale_item.Item | None:
        """The Radicale item the viewer gets for ``stored``, or None."""
        shown = privacy.present(stored, self.folder, purpose)
        if shown is None:
            return None
        facts = stored.facts
        component = "" if facts.component == "VCARD" else facts.component
        # A placeholder's time is when the placeholder last changed: the
        # real edit time of the hidden text is not the viewer's to know.
        updated = stored.updated
        if shown.treatment is not acl.Treatment.SHOW:
            updated = stored.masked_updated or stored.updated
        return radicale_item.Item(
            collection=self, href=stored.href,
            last_modified=_http_date(updated), text=shown.text,
            etag=shown.etag, uid=facts.uid, component_name=component,
            time_range=(facts.start, facts.end))

    def _visible(self) -> list[radicale_item.Item]:
        key = ("items", self.folder.folder_id, self.folder.url)
        cache = _state().cache
        if key not in cache:
            shown = (self._item(s) for s in self._items.all(
                self.folder.folder_id))
            cache[key] = [item for item in shown if item is not None]
        found: list[radicale_item.Item] = cache[key]
        return found

    def get_all(self) -> Iterable[radicale_item.Item]:
        return list(self._visible())

    def get_multi(self, hrefs: Iterable[str]
                  ) -> Iterable[tuple[str, radicale_item.Item | None]]:
        wanted = list(dict.fromkeys(hrefs))
        # Hidden items are never read: a multiget of hidden hrefs does
        # the same work, and takes the same time, as one of missing ones.
        hidden = [klass.value for klass in acl.ItemClass
                  if privacy.hidden(klass.value, self.folder)]
        found = self._items.get(self.folder.folder_id, wanted, hidden)
        for href in wanted:
            stored = found.get(href)
            yield href, None if stored is None else self._item(stored)

    def get_filtered(self, filters: Iterable[ET.Element]
                     ) -> Iterable[tuple[radicale_item.Item, bool]]:
        """Items that may match: an indexed time-range and type lookup.

        Radicale re-checks the full filter unless the answer says the
        lookup was exact; either way it tests what ``present`` returned.
        """
        tag, start, end, simple = radicale_filter.simplify_prefilters(
            filters, self.tag)
        purpose = privacy.Purpose.READ
        if _state().freebusy:
            purpose = privacy.Purpose.FREEBUSY
        rows = self._items.in_range(self.folder.folder_id, tag, start, end)
        for stored in rows:
            item = self._item(stored, purpose)
            if item is None:
                continue
            istart, iend = stored.facts.start, stored.facts.end
            yield item, simple and (start <= istart or iend <= end)

    def has_uid(self, uid: str) -> bool:
        return self._items.href_of_uid(self.folder.folder_id, uid) \
            is not None

    @property
    def etag(self) -> str:
        """The CTag: a digest of what this viewer sees, nothing more."""
        digest = hashlib.sha256()
        for item in self._visible():
            digest.update(f"{item.href}/{item.etag}\n".encode())
        meta = sorted(self.get_meta().items())
        digest.update(repr(meta).encode())
        return f'"{digest.hexdigest()}"'

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        """The viewer's token and the hrefs changed since ``old_token``.

        An href is reported only when what this viewer gets of it (its
        ETag through the privacy filter, or nothing) differs between the
        token and now: an item hidden at both ends is never named, and a
        change the viewer cannot see (a hidden item, a placeholder that
        stayed the same) is not reported. The token is the folder's
        counter at the last change this viewer could see, so hidden
        writes do not move it. PROPFIND DAV:sync-token answers the same.
        """
        since = self._parse_token(old_token)
        changed = [
            change.href
            for change in self._items.changes(self.folder.folder_id, since)
            if privacy.shown_etag(change.before, self.folder)
            != privacy.shown_etag(change.after, self.folder)]
        return self._token(), changed

    def _token(self) -> str:
        """The token of the newest change this viewer could see."""
        key = ("token", self.folder.folder_id, self.folder.url)
        cache = _state().cache
        if key not in cache:
            newest = 0
            for change in self._items.newest_first(self.folder.folder_id):
                if privacy.shown_etag(change.before, self.folder) != \
                        privacy.shown_etag(change.after, self.folder):
                    newest = change.modseq
                    break
            cache[key] = (f"{SYNC_PREFIX}{self.folder.folder_id}:{newest}:"
                          f"{privacy.view_mark(self.folder)}")
        token: str = cache[key]
        return token

    def _parse_token(self, token: str) -> int:
        """The modseq of a token handed to this viewer of this folder."""
        if not token:
            return 0
        folder, modseq, mark = (token.removeprefix(SYNC_PREFIX).split(":")
                                + ["", ""])[:3]
        if not token.startswith(SYNC_PREFIX) or not modseq.isdigit() or \
                folder != str(self.folder.folder_id) or \
                mark != privacy.view_mark(self.folder) or \
                token.count(":") != SYNC_PREFIX.count(":") + 2:
            raise ValueError("unknown sync token")
        if int(modseq) > self._items.modseq(self.folder.folder_id):
            raise ValueError("sync token from the future")
        return int(modseq)

    # region metadata

    def get_meta(self, key: str | None = None) -> Any:
        meta = self._meta()
        return meta if key is None else meta.get(key)

    def _meta(self) -> dict[str, str]:
        cache = _state().cache
        key = ("meta", self.folder.folder_id, self.folder.url)
        if key not in cache:
            stored = self._items.props(self.folder.folder_id)
            meta = {k: v for k, v in stored.items() if k not in _FIXED_PROPS}
            meta["tag"] = self.folder.tag
            component = self.folder.component
            if component is not None:
                meta["C:supported-calendar-component-set"] = component
            if not self.folder.is_owner:
                meta["D:displayname"] = self.folder.name
            else:
                meta.setdefault("D:displayname", self.folder.name)
            if not manages(self.folder):
                personal = self._items.props(self.folder.folder_id,
                                             _state().account)
                meta.update((k, v) for k, v in personal.items()
                            if k in PERSONAL_PROPS)
            cache[key] = meta
        found: dict[str, str] = cache[key]
        return dict(found)

    def set_meta(self, props: Mapping[str, str]) -> None:
        """Store a PROPPATCH: on the folder, or for this sharee alone.

        The application refused, before Radicale ran, any change by a
        sharee that does not manage the folder beyond PERSONAL_PROPS.
        """
        if manages(self.folder):
            kept = {k: v for k, v in props.items()
                    if k not in _FIXED_PROPS}
            self._items.set_props(self.folder.folder_id, kept)
        else:
            kept = {k: v for k, v in props.items() if k in PERSONAL_PROPS}
            self._items.set_props(self.folder.folder_id, kept,
                                  _state().account)
        _state().cache.pop(("meta", self.folder.folder_id, self.folder.url),
                           None)

    # region writing

    def upload(self, href: str, item: radicale_item.Item
               ) -> tuple[radicale_item.Item, radicale_item.Item | None]:
        text, facts = facts_of(item)
        new, old = self._items.put(self.folder.folder_id, href, text, facts)
        self._forget()
        uploaded = self._item(new)
        assert uploaded is not None
        return uploaded, None if old is None else self._item(old)

    def _forget(self) -> None:
        """Drop what this request cached of the folder's items."""
        cache = _state().cache
        for what in ("items", "token"):
            cache.pop((what, self.folder.folder_id, self.folder.url), None)

    def delete(self, href: str | None = None) -> None:
        if href is None:
            raise ValueError("collections are not deleted over DAV")
        self._items.delete(self.folder.folder_id, href)
        self._forget()


def _kind_for(props: Mapping[str, str]) -> acl.FolderKind:
    """The folder kind a new collection's properties ask for."""
    if props.get("tag") == "VADDRESSBOOK":
        return acl.FolderKind.CONTACTS
    wanted = props.get("C:supported-calendar-component-set", "VEVENT")
    components = {c.strip().upper() for c in wanted.split(",")}
    if "VEVENT" not in components and "VTODO" in components:
        return acl.FolderKind.TASKS
    if components == {"VJOURNAL"}:
        return acl.FolderKind.NOTES
    return acl.FolderKind.CALENDAR


class Storage(radicale_storage.BaseStorage):
    """Radicale's entry point: discovery of collections and items."""

    # Names live in the database, not a file system: any printable
    # character is fine (control characters are still refused).
    _supports_unicode = True
    _supports_trailing_whitespace = False
    _supports_problematic_chars = True

    def __init__(self, configuration: Any, store: Store) -> None:
        super().__init__(configuration)
        self.store = store
        self.items = ItemStore(store.db)
        self.places = Places(store)

    def discover(self, path: str, depth: str = "0",
                 child_context_manager: Any = None,
                 user_groups: Any = frozenset()) -> Iterable[Any]:
        state = _state()
        place = self.places.resolve(state, path.strip("/"))
        if place is None:
            return
        found = self._object(place)
        if found is None:
            return
        yield found
        if depth == "0":
            return
        yield from self._members(state, place, found)

    def _object(self, place: Place) -> Any:
        if place.kind is PlaceKind.ROOT:
            return Root(self)
        if place.kind is PlaceKind.HOME:
            return Home(self, place.home)
        assert place.folder is not None
        collection = Collection(self, place.folder)
        if place.kind is PlaceKind.COLLECTION:
            return collection
        item, = (found for _, found in collection.get_multi([place.href]))
        return item

    def _members(self, state: RequestState, place: Place,
                 found: Any) -> Iterator[Any]:
        if place.kind is PlaceKind.ROOT:
            viewer = self.places.viewer(state)
            if viewer is not None:
                yield Home(self, viewer.address)
        elif place.kind is PlaceKind.HOME:
            for folder in self.places.home_members(state):
                yield Collection(self, folder)
        elif place.kind is PlaceKind.COLLECTION and \
                place.folder is not None and \
                place.folder.allows(acl.Operation.READ):
            yield from found.get_all()

    def create_collection(self, href: str, items: Any = None,
                          props: Any = None) -> Any:
        """A new folder in the viewer's own home (MKCALENDAR, MKCOL).

        Its kind follows the requested component set: VTODO makes a task
        folder, VJOURNAL a notes folder, anything else a calendar; an
        address book makes a contacts folder. Uploading a whole
        collection at once is not accepted.
        """
        state = _state()
        home, _, name = href.strip("/").partition("/")
        if items is not None or not props or home != state.account or \
                not name or "/" in name:
            raise ValueError("only empty collections in one's own home")
        kind = _kind_for(props)
        try:
            acl.display_name(home, home, acl.OwnerKind.ACCOUNT, name,
                             self.store.prefixes)
            folder = self.store.directory.add_folder(home, name, kind.value)
        except (acl.FolderNameError, StoreError) as exc:
            raise ValueError(str(exc)) from None
        kept = {k: v for k, v in props.items() if k not in _FIXED_PROPS}
        self.items.set_props(folder.id, kept)
        log.info("%s made the %s folder %s", home, kind.value, name)
        state.cache.clear()
        place = self.places.resolve(state, href.strip("/"))
        assert place is not None and place.folder is not None
        return Collection(self, place.folder), {}, []

    def move(self, item: radicale_item.Item, to_collection: Any,
             to_href: str) -> None:
        """Move an item; the application checked both ends' rights."""
        source = item.collection
        if not isinstance(source, Collection) or \
                not isinstance(to_collection, Collection) or not item.href:
            raise ValueError("items move between our collections only")
        self.items.move(source.folder.folder_id, item.href,
                        to_collection.folder.folder_id, to_href)
        _state().cache.clear()

    @contextlib.contextmanager
    def acquire_lock(self, mode: str, user: str = "", *args: Any,
                     **kwargs: Any) -> Iterator[None]:
        # Every store operation is its own database transaction.
        yield

    def verify(self) -> bool:
        return True
