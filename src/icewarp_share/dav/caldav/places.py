"""Where a DAV path leads: the root, a home, a collection or an item.

Paths are those Radicale hands its plugins (below ``/dav``, without
leading or trailing slash). A user's home is ``<address>``; inside it,
every folder the user sees is named as the naming core names it for that
user, so own folders sit at ``<address>/Calendar`` and a folder shared by
Alice at ``<address>/~alice@example.com/Calendar``. The owner's own URL,
``alice@example.com/Calendar``, leads to the same folder for anyone the
ACL lets look it up. A folder the user may not look up is not found, the
same answer as for a folder that does not exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from icewarp_share import acl
from icewarp_share.dav.caldav.request import RequestState
from icewarp_share.store import Store
from icewarp_share.store.errors import StoreError

log = logging.getLogger(__name__)

GROUPWARE_KINDS = (acl.FolderKind.CALENDAR, acl.FolderKind.TASKS,
                   acl.FolderKind.NOTES, acl.FolderKind.JOURNAL,
                   acl.FolderKind.CONTACTS)
"""Folder kinds served as CalDAV or CardDAV collections."""

COMPONENTS: dict[acl.FolderKind, str] = {
    acl.FolderKind.CALENDAR: "VEVENT",
    acl.FolderKind.TASKS: "VTODO",
    acl.FolderKind.NOTES: "VJOURNAL",
    acl.FolderKind.JOURNAL: "VJOURNAL",
}
"""The iCalendar component each calendar-like folder kind holds."""


class PlaceKind(Enum):
    """What a path designates."""

    ROOT = "root"
    HOME = "home"
    COLLECTION = "collection"
    ITEM = "item"


@dataclass(frozen=True)
class FolderView:
    """A folder as one viewer reaches it through one URL.

    ``url`` is the collection's path as the viewer used it; ``name`` is the
    folder's name for the viewer (the naming core's), which says whose it
    is; ``rights`` are the viewer's effective rights.
    """

    folder_id: int
    owner: str
    owner_kind: acl.OwnerKind
    path: str
    kind: acl.FolderKind
    url: str
    name: str
    rights: acl.Rights
    is_owner: bool
    gal: bool = False

    @property
    def tag(self) -> str:
        """Radicale's collection type: VCALENDAR or VADDRESSBOOK."""
        if self.kind is acl.FolderKind.CONTACTS:
            return "VADDRESSBOOK"
        return "VCALENDAR"

    @property
    def component(self) -> str | None:
        """The one component type the collection holds (None: vCards)."""
        return COMPONENTS.get(self.kind)

    def allows(self, operation: acl.Operation) -> bool:
        """Whether the viewer's rights allow the operation here."""
        return self.is_owner or acl.may(self.rights, operation)


@dataclass(frozen=True)
class Place:
    """The answer for one path: its kind, home, folder and item name."""

    kind: PlaceKind
    path: str
    home: str = ""
    folder: FolderView | None = None
    href: str = ""


class Places:
    """Resolves paths for the requesting viewer, asking the directory."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def viewer(self, state: RequestState) -> acl.Viewer | None:
        """The ACL snapshot of the requesting account (cached)."""
        if state.viewer is None and "viewer" not in state.cache:
            try:
                state.viewer = self.store.directory.viewer(state.account)
            except StoreError:
                state.viewer = None
            state.cache["viewer"] = True
        return state.viewer

    def resolve(self, state: RequestState, path: str) -> Place | None:
        """Where ``path`` leads for this request's viewer, or None."""
        key = ("place", path)
        if key not in state.cache:
            state.cache[key] = self._resolve(state, path)
        found: Place | None = state.cache[key]
        return found

    def _resolve(self, state: RequestState, path: str) -> Place | None:
        viewer = self.viewer(state)
        if viewer is None:
            return None
        if not path:
            return Place(PlaceKind.ROOT, "")
        home, _, rest = path.partition("/")
        if not rest:
            if home != viewer.address:
                return None
            return Place(PlaceKind.HOME, path, home)
        folder = self.folder_at(state, home, rest)
        if folder is not None:
            return Place(PlaceKind.COLLECTION, path, home, folder)
        parent, _, href = rest.rpartition("/")
        if not parent:
            return None
        folder = self.folder_at(state, home, parent)
        if folder is None:
            return None
        return Place(PlaceKind.ITEM, path, home, folder, href)

    def folder_at(self, state: RequestState, home: str,
                  rest: str) -> FolderView | None:
        """The folder named ``rest`` below ``home``, if the viewer sees it.

        In the viewer's own home, names are read by the naming core; in
        someone else's, ``rest`` is the owner's own path of the folder.
        """
        viewer = self.viewer(state)
        assert viewer is not None
        try:
            if home == viewer.address:
                parsed = acl.parse_name(viewer.address, rest,
                                        self.store.prefixes)
                owner, path = parsed.owner, parsed.path
            else:
                owner, path = home, rest
        except acl.FolderNameError:
            return None
        if owner is None or not path:
            return None
        return self.folder(state, owner, path, f"{home}/{rest}")

    def folder(self, state: RequestState, owner: str, path: str,
               url: str) -> FolderView | None:
        """The viewer's view of one folder reached through ``url``."""
        key = ("folder", owner, path, url)
        if key not in state.cache:
            state.cache[key] = self._folder(state, owner, path, url)
        found: FolderView | None = state.cache[key]
        return found

    def _folder(self, state: RequestState, owner: str, path: str,
                url: str) -> FolderView | None:
        viewer = self.viewer(state)
        assert viewer is not None
        directory = self.store.directory
        try:
            row = directory.folder(owner, path)
            facts = directory.facts(owner, path)
        except StoreError:
            return None
        if facts.kind not in GROUPWARE_KINDS or facts.virtual:
            return None
        decision = acl.effective_rights(viewer, facts)
        is_owner = acl.is_owner(viewer, facts)
        if not is_owner and not acl.may(decision, acl.Operation.LOOKUP):
            return None
        name = acl.display_name(viewer.address, facts.owner,
                                facts.owner_kind, facts.path,
                                self.store.prefixes)
        return FolderView(row.id, facts.owner, facts.owner_kind,
                          facts.path, facts.kind, url, name,
                          decision.rights, is_owner, bool(row.gal))

    def home_members(self, state: RequestState) -> list[FolderView]:
        """The collections in the viewer's home: own and shared folders.

        Shared folders come from the visibility core (subscriptions and
        group public folders). A global address list the viewer may read
        is there without a subscription, so that contact search finds
        it. Folders the viewer may not read are left out, since a client
        could do nothing with them.
        """
        viewer = self.viewer(state)
        if viewer is None:
            return []
        members = []
        for visible in self.store.directory.visible(
                viewer.address, kinds=GROUPWARE_KINDS,
                subscribed_only=False):
            facts = visible.folder
            url = f"{viewer.address}/{visible.name}"
            folder = self.folder(state, facts.owner, facts.path, url)
            if folder is None or not (visible.subscribed or folder.gal):
                continue
            if folder.is_owner or folder.allows(acl.Operation.READ):
                members.append(folder)
        return members
