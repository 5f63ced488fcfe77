"""What a WebDAV path names for the account asking, and its rights there.

``/`` lists the accounts whose files folders the viewer may see,
``/<address>/`` that owner's files folders the viewer may look up, and
below a folder its contents on disk. Which folders exist for the viewer,
and with which rights, comes from the directory's ``visible`` answer (the
ACL core's ``visible_folders``), taken once per request. A folder the
viewer may not look up is absent, exactly like a missing one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from icewarp_share import acl
from icewarp_share.store import Store
from icewarp_share.store import files as storage
from icewarp_share.store.errors import NotFound

log = logging.getLogger(__name__)


class Level(Enum):
    """Where in the tree a path lands."""

    ROOT = "root"
    OWNER = "owner"
    CONTENT = "content"


@dataclass(frozen=True)
class FilesFolder:
    """A files folder the viewer may look up, with its rights and root."""

    owner: str
    path: str
    rights: acl.Rights
    root: storage.FolderRoot

    def may(self, operation: acl.Operation) -> bool:
        """Whether the viewer's rights here allow the operation."""
        return acl.may(self.rights, operation)


@dataclass(frozen=True)
class Place:
    """A located path: a listing level or a spot inside a files folder.

    For ``Level.OWNER``, ``prefix`` is the part of folder paths named so
    far (empty at ``/<address>/``). For ``Level.CONTENT``, ``segments``
    are the path below the folder's root and ``real`` the file system
    path they resolve to (which may not exist).
    """

    level: Level
    owner: str = ""
    prefix: str = ""
    folder: FilesFolder | None = None
    segments: tuple[str, ...] = ()
    real: Path | None = None

    @property
    def exists(self) -> bool:
        """Whether the place is there (listing levels always are)."""
        if self.level is not Level.CONTENT:
            return True
        assert self.real is not None
        return self.real.is_dir() or self.real.is_file()

    @property
    def is_collection(self) -> bool:
        """Whether the place is a collection (listing level or directory)."""
        if self.level is not Level.CONTENT:
            return True
        assert self.real is not None
        return self.real.is_dir()

    @property
    def is_folder_root(self) -> bool:
        """Whether this is the files folder itself, not something in it."""
        return self.level is Level.CONTENT and not self.segments


@dataclass
class Viewpoint:
    """The files folders one account sees, computed once per request."""

    store: Store
    account: str
    _folders: dict[str, list[FilesFolder]] | None = field(default=None)

    def folders(self) -> dict[str, list[FilesFolder]]:
        """Visible files folders by owner address, with their roots."""
        if self._folders is None:
            self._folders = self._load()
        return self._folders

    def _load(self) -> dict[str, list[FilesFolder]]:
        directory = self.store.directory
        try:
            visible = directory.visible(
                self.account, kinds=[acl.FolderKind.FILES],
                subscribed_only=False)
        except NotFound:
            return {}
        by_owner: dict[str, list[FilesFolder]] = {}
        rows: dict[str, dict[str, storage.FolderRoot]] = {}
        for entry in visible:
            owner = acl.address_key(entry.folder.owner)
            if owner not in rows:
                rows[owner] = self._roots(owner)
            root = rows[owner].get(entry.folder.path)
            if root is None:
                continue
            by_owner.setdefault(owner, []).append(FilesFolder(
                owner, entry.folder.path, entry.decision.rights, root))
        return by_owner

    def _roots(self, owner: str) -> dict[str, storage.FolderRoot]:
        roots = {}
        for row in self.store.directory.folders(owner):
            if row.kind == acl.FolderKind.FILES.value:
                roots[row.path] = storage.folder_root(
                    self.store.data_dir, row.id, row.map_dir,
                    row.map_recursive)
        return roots

    def owners(self) -> list[str]:
        """Owners listed at ``/``: oneself first, then the others."""
        others = sorted(o for o in self.folders() if o != self.account)
        return [self.account, *others]

    def children(self, owner: str, prefix: str) -> list[str]:
        """Names one level below ``prefix`` among an owner's folders."""
        start = prefix + "/" if prefix else ""
        names = set()
        for folder in self.folders().get(owner, []):
            if folder.path.startswith(start) and folder.path != prefix:
                names.add(folder.path[len(start):].split("/", 1)[0])
        return sorted(names)

    def locate(self, segments: list[str]) -> Place | None:
        """The place ``segments`` (URL path, decoded) names, or None.

        None means "not there for this viewer": missing, not visible, or
        refused by the containment rules. Callers answer it as 404.
        """
        if not segments:
            return Place(Level.ROOT)
        owner = acl.address_key(segments[0])
        if owner != self.account and owner not in self.folders():
            return None
        rest = segments[1:]
        folder, depth = self._deepest_folder(owner, rest)
        if folder is None:
            prefix = "/".join(rest)
            if rest and not self.children(owner, prefix):
                return None
            return Place(Level.OWNER, owner, prefix)
        below = tuple(rest[depth:])
        try:
            real = storage.resolve(folder.root, below)
        except storage.OutsideFolder:
            return None
        if any(storage.is_temporary(s) for s in below):
            return None
        return Place(Level.CONTENT, owner, folder=folder, segments=below,
                     real=real)

    def _deepest_folder(self, owner: str, rest: list[str]
                        ) -> tuple[FilesFolder | None, int]:
        """The folder with the longest path that ``rest`` starts with."""
        best: FilesFolder | None = None
        depth = 0
        for folder in self.folders().get(owner, []):
            parts = folder.path.split("/")
            if rest[:len(parts)] == parts and len(parts) > depth:
                best, depth = folder, len(parts)
        return best, depth

    def nested_folders(self, place: Place) -> list[str]:
        """Names of visible folders of the same owner nested right here.

        A files folder ``Projects/2024`` shows up inside ``Projects`` as a
        subdirectory; it shadows a directory of the same name on disk.
        """
        if place.folder is None:
            return []
        prefix = "/".join((place.folder.path, *place.segments))
        return self.children(place.owner, prefix)
