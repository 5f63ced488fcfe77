"""Files folders: where their contents live, WebDAV locks, dead properties.

A files folder keeps its contents under ``data_dir/files/<folder id>/``,
or, when the administrator mapped it, in a server directory. Every path a
client names is resolved here and checked for containment on every use:
no segment may climb out, and a symbolic link whose target leaves the
folder's directory is treated as absent. A non-recursive mapped directory
shows only its direct regular files.

WebDAV locks and dead properties live in the database so that they
survive a restart and are shared by several server processes. The two
classes at the end speak the storage interfaces wsgidav expects (lock
storage and property manager) with plain values only.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Index, String, Text, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column

from icewarp_share.store.db import Database
from icewarp_share.store.schema import Base

log = logging.getLogger(__name__)

MAX_SEGMENT = 255
"""Longest file or directory name accepted, in characters."""

MAX_DEPTH = 64
"""Most path segments below a folder's root."""

LOCK_TIMEOUT_DEFAULT = 604800.0
"""Lifetime of a lock whose client asked for none (one week)."""

LOCK_TIMEOUT_MAX = 4 * 604800.0
"""Longest lock lifetime granted, whatever the client asks for."""


class FileLock(Base):
    """A WebDAV lock on a URL path below ``/webdav/``."""

    __tablename__ = "file_locks"
    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    root: Mapped[str] = mapped_column(String(2048), index=True)
    principal: Mapped[str] = mapped_column(String(320), default="")
    owner: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    depth: Mapped[str] = mapped_column(String(16))
    timeout: Mapped[float] = mapped_column(Float)
    expire: Mapped[float] = mapped_column(Float)


class FileProperty(Base):
    """A dead property a client set on a file or directory."""

    __tablename__ = "file_properties"
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    name: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    __table_args__ = (Index("ix_file_properties_url", "url"),)


# region contents on disk


class OutsideFolder(Exception):
    """A path that leaves its folder or names what may not be reached."""


@dataclass(frozen=True)
class FolderRoot:
    """Where one files folder's contents live, and how far they reach.

    ``recursive`` False limits the folder to the direct regular files of
    ``directory`` (a non-recursive mapped directory).
    """

    directory: Path
    recursive: bool = True
    mapped: bool = False


def folder_root(data_dir: Path, folder_id: int, map_dir: str | None,
                map_recursive: bool) -> FolderRoot:
    """The root of a files folder from its database row's values."""
    if map_dir:
        return FolderRoot(Path(map_dir), map_recursive, True)
    return FolderRoot(data_dir / "files" / str(folder_id))


def check_segments(segments: Iterable[str]) -> list[str]:
    """The segments of a path below a folder, refused if any is unsafe.

    Refuses empty, ``.`` and ``..`` segments, separators and NUL inside a
    segment, names longer than MAX_SEGMENT and paths deeper than
    MAX_DEPTH, so that no later join can leave the folder.
    """
    checked = list(segments)
    if len(checked) > MAX_DEPTH:
        raise OutsideFolder("the path is too deep")
    for segment in checked:
        if segment in ("", ".", "..") or "/" in segment \
                or "\\" in segment or not _presentable(segment):
            raise OutsideFolder("the path has an unsafe segment")
        if len(segment) > MAX_SEGMENT:
            raise OutsideFolder("a name in the path is too long")
    return checked


def _real_root(root: FolderRoot, create: bool) -> Path:
    """The root directory with links resolved; made for stored folders."""
    if create and not root.mapped:
        root.directory.mkdir(parents=True, exist_ok=True)
    return Path(os.path.realpath(root.directory))


def resolve(root: FolderRoot, segments: Iterable[str], *,
            create_root: bool = False) -> Path:
    """The real path of ``segments`` below ``root``, contained in it.

    The answer has every symbolic link resolved; it may not exist yet.
    Raises OutsideFolder when the path climbs out, when a link leads
    outside the root, or, for a non-recursive root, when it names
    anything but a direct child.
    """
    parts = check_segments(segments)
    base = _real_root(root, create_root)
    if not parts:
        return base
    if not root.recursive and len(parts) > 1:
        raise OutsideFolder("subdirectories of this folder are not served")
    real = Path(os.path.realpath(base.joinpath(*parts)))
    if not root.recursive:
        if real.parent != base or real.is_dir():
            raise OutsideFolder("only direct files of this folder are served")
    elif real != base and base not in real.parents:
        raise OutsideFolder("the path leads outside the folder")
    return real


def listing(root: FolderRoot, directory: Path) -> list[str]:
    """Names in ``directory`` that ``resolve`` would accept, sorted."""
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    base = _real_root(root, False)
    relative = directory.relative_to(base).parts
    shown = []
    for name in names:
        if not _presentable(name):
            continue
        try:
            real = resolve(root, [*relative, name])
        except OutsideFolder:
            continue
        if real.exists() and (real.is_dir() or real.is_file()):
            shown.append(name)
    return shown


def _presentable(name: str) -> bool:
    """Whether a name on disk can be sent to a client at all.

    Names that are not UTF-8 (kept by Python as surrogates) or hold
    control characters cannot appear in an XML answer; a mapped directory
    may contain such files, and they are left out rather than break the
    listing.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 32 or ord(c) == 127 for c in name)


def new_temporary(directory: Path) -> tuple[int, Path]:
    """A fresh temporary file next to its final place (same file system)."""
    for _ in range(10):
        name = directory / f".upload-{secrets.token_hex(8)}.part"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o640)
        except FileExistsError:
            continue
        return fd, name
    raise OSError("could not create a temporary file")


def durable_replace(temporary: Path, final: Path) -> None:
    """Rename a written, fsynced temporary file over its final name."""
    os.replace(temporary, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_temporary(name: str) -> bool:
    """Whether a name is one of our unfinished uploads (never listed)."""
    return name.startswith(".upload-") and name.endswith(".part")


STALE_UPLOAD = 86400.0
"""Age in seconds after which an unfinished upload is left-over junk."""


def sweep_uploads(data_dir: Path, older_than: float = STALE_UPLOAD) -> int:
    """Remove unfinished uploads a crash left in the data directory.

    Only files older than ``older_than`` go: another process sharing the
    data directory may be writing a fresh one right now. Mapped
    directories are not swept (they belong to the administrator).
    Returns how many were removed.
    """
    removed = 0
    limit = time.time() - older_than
    for path in (data_dir / "files").rglob(".upload-*.part"):
        try:
            if path.is_file() and not path.is_symlink() \
                    and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


# region locks


def _lock_dict(row: FileLock) -> dict[str, Any]:
    # wsgidav hands the owner over as XML bytes and parses it back.
    return {"token": row.token, "root": row.root,
            "principal": row.principal, "owner": row.owner.encode(),
            "scope": row.scope, "type": row.type, "depth": row.depth,
            "timeout": row.timeout, "expire": row.expire}


def _lock_root(path: str) -> str:
    """The key a lock is filed under: no trailing slash, except ``/``."""
    return "/" + path.strip("/")


def _timeout(requested: Any) -> float:
    value = LOCK_TIMEOUT_DEFAULT if requested is None else float(requested)
    if value < 0 or value > LOCK_TIMEOUT_MAX:
        return LOCK_TIMEOUT_MAX
    return value


class LockConflict(Exception):
    """Another process holds a lock that the new one conflicts with."""


_ADVISORY_KEY = 0x1CE5_F11E
"""PostgreSQL advisory lock key under which lock creations take turns."""


class LockTable:
    """WebDAV locks in the database, shaped as wsgidav's lock storage.

    Expired locks are dropped when met. Every method is one transaction,
    so two processes sharing the database see the same locks.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def __repr__(self) -> str:
        return "LockTable"

    def open(self) -> None:
        """Nothing to open: the database is ready."""

    def close(self) -> None:
        """Nothing to close: sessions are per call."""

    def cleanup(self) -> None:
        """Drop every expired lock."""
        with self.db.write() as s:
            s.execute(delete(FileLock).where(FileLock.expire >= 0,
                                             FileLock.expire < time.time()))

    def clear(self) -> None:
        """Drop every lock."""
        with self.db.write() as s:
            s.execute(delete(FileLock))

    def get(self, token: str) -> dict[str, Any] | None:
        """The lock with this token, unless missing or expired."""
        with self.db.read() as s:
            row = s.get(FileLock, token)
            if row is None:
                return None
            found = _lock_dict(row)
        if 0 <= found["expire"] < time.time():
            self.delete(token)
            return None
        return found

    def create(self, path: str, lock: dict[str, Any]) -> dict[str, Any]:
        """File a new lock on ``path``; fills in root, token and expiry."""
        lock["root"] = _lock_root(path)
        lock["timeout"] = _timeout(lock.get("timeout"))
        lock["expire"] = time.time() + lock["timeout"]
        lock["token"] = "opaquelocktoken:" + secrets.token_hex(16)
        with self.db.write() as s:
            self._serialise(s)
            if self._conflicts(s, lock):
                raise LockConflict(lock["root"])
            s.add(FileLock(
                token=lock["token"], root=lock["root"],
                principal=lock.get("principal") or "",
                owner=_text(lock.get("owner")), scope=lock["scope"],
                type=lock["type"], depth=str(lock["depth"]),
                timeout=lock["timeout"], expire=lock["expire"]))
        return lock

    def _serialise(self, s: Any) -> None:
        """Make lock creations of every process take turns.

        wsgidav checks for conflicting locks in its own process only; two
        processes on one database could both grant an exclusive lock.
        SQLite's writers already queue (BEGIN IMMEDIATE); PostgreSQL takes
        a transaction-scoped advisory lock.
        """
        if self.db.dialect == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                      {"key": _ADVISORY_KEY})

    def _conflicts(self, s: Any, lock: dict[str, Any]) -> bool:
        """Whether a live lock stands in the way (RFC 4918 6.1, 7)."""
        root = lock["root"]
        parts = root.strip("/").split("/")
        above = ["/" + "/".join(parts[:n]) for n in range(len(parts))]
        query = select(FileLock).where(
            FileLock.root.in_([root, *above]))
        rows = list(s.scalars(query))
        if str(lock["depth"]).lower() == "infinity":
            below = root.rstrip("/") + "/"
            rows += s.scalars(select(FileLock).where(
                FileLock.root.startswith(below, autoescape=True)))
        now = time.time()
        for row in rows:
            if 0 <= row.expire < now:
                continue
            covers = row.root == root or row.root not in above \
                or row.depth.lower() == "infinity"
            shared = row.scope == "shared" and lock["scope"] == "shared"
            if covers and not shared:
                return True
        return False

    def refresh(self, token: str, *, timeout: float) -> dict[str, Any]:
        """Give a lock a new lifetime; ValueError if it is gone."""
        with self.db.write() as s:
            row = s.get(FileLock, token)
            if row is None:
                raise ValueError("no such lock")
            row.timeout = _timeout(timeout)
            row.expire = time.time() + row.timeout
            return _lock_dict(row)

    def delete(self, token: str) -> bool:
        """Remove a lock; False if there was none."""
        with self.db.write() as s:
            result = s.execute(delete(FileLock).where(
                FileLock.token == token))
            return bool(getattr(result, "rowcount", 0))

    def get_lock_list(self, path: str, *, include_root: bool,
                      include_children: bool,
                      token_only: bool) -> list[Any]:
        """Live locks on ``path`` and/or below it."""
        root = _lock_root(path)
        found = self._rows(root, include_root, include_children)
        now = time.time()
        live = [lock for lock in found if not 0 <= lock["expire"] < now]
        # Newest first: a LOCK answer lists every lock of the resource,
        # and clients that read the first one expect the one just made.
        live.sort(key=lambda lock: lock["expire"] - lock["timeout"],
                  reverse=True)
        if token_only:
            return [lock["token"] for lock in live]
        return live

    def roots_below(self, path: str) -> set[str]:
        """Roots of every lock at ``path`` or below it, expired or not."""
        root = _lock_root(path)
        below = root.rstrip("/") + "/"
        with self.db.read() as s:
            return set(s.scalars(select(FileLock.root).where(
                (FileLock.root == root)
                | FileLock.root.startswith(below, autoescape=True))))

    def _rows(self, root: str, include_root: bool,
              include_children: bool) -> list[dict[str, Any]]:
        below = root.rstrip("/") + "/"
        with self.db.read() as s:
            rows: list[dict[str, Any]] = []
            if include_root:
                rows += map(_lock_dict, s.scalars(
                    select(FileLock).where(FileLock.root == root)))
            if include_children:
                # Escape LIKE wildcards: URL paths may contain % and _.
                pattern = (below.replace("\\", "\\\\").replace("%", "\\%")
                           .replace("_", "\\_") + "%")
                rows += map(_lock_dict, s.scalars(select(FileLock).where(
                    FileLock.root.like(pattern, escape="\\"))))
            return rows


def _key(url: str) -> str:
    """One key per resource, whether or not the URL ends with a slash."""
    return "/" + url.strip("/")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# region dead properties


class PropertyTable:
    """Dead properties in the database, shaped as wsgidav's manager.

    Values are the XML text of the property element, as wsgidav hands
    them over. Keys are the URL paths wsgidav uses for the resource.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def __repr__(self) -> str:
        return "PropertyTable"

    def get_properties(self, norm_url: str,
                       environ: Any = None) -> list[str]:
        """Names of the dead properties of a resource."""
        norm_url = _key(norm_url)
        cached = self._siblings(norm_url, environ)
        if cached is not None:
            return sorted(cached.get(norm_url, {}))
        with self.db.read() as s:
            return list(s.scalars(select(FileProperty.name).where(
                FileProperty.url == norm_url).order_by(FileProperty.name)))

    def get_property(self, norm_url: str, name: str,
                     environ: Any = None) -> bytes | None:
        """One property's value (XML bytes, as written), or None."""
        norm_url = _key(norm_url)
        cached = self._siblings(norm_url, environ)
        if cached is not None:
            value = cached.get(norm_url, {}).get(name)
            return None if value is None else value.encode()
        with self.db.read() as s:
            row = s.get(FileProperty, (norm_url, name))
            return None if row is None else row.value.encode()

    def _siblings(self, url: str, environ: Any
                  ) -> dict[str, dict[str, str]] | None:
        """For a PROPFIND, the properties of ``url`` and its siblings.

        A Depth 1 PROPFIND asks for every member's properties one by one;
        reading the whole level in one query keeps it to one round trip.
        Only PROPFIND, which changes nothing, uses this per-request cache.
        """
        if not isinstance(environ, dict) or \
                environ.get("REQUEST_METHOD") != "PROPFIND":
            return None
        parent = url.rsplit("/", 1)[0] or "/"
        cache = environ.setdefault("icewarp.files.properties", {})
        if parent not in cache:
            cache[parent] = self._level(parent)
        found: dict[str, dict[str, str]] = cache[parent]
        return found

    def _level(self, parent: str) -> dict[str, dict[str, str]]:
        below = parent.rstrip("/") + "/"
        pattern = (below.replace("\\", "\\\\").replace("%", "\\%")
                   .replace("_", "\\_"))
        level = FileProperty.url.like(pattern + "%", escape="\\") & \
            ~FileProperty.url.like(pattern + "%/%", escape="\\")
        found: dict[str, dict[str, str]] = {}
        with self.db.read() as s:
            for row in s.scalars(select(FileProperty).where(level)):
                found.setdefault(row.url, {})[row.name] = row.value
        return found

    def write_property(self, norm_url: str, name: str, property_value: Any,
                       dry_run: bool = False, environ: Any = None) -> None:
        """Set a property (nothing happens on a dry run)."""
        if dry_run:
            return
        value = _text(property_value)
        norm_url = _key(norm_url)
        with self.db.write() as s:
            row = s.get(FileProperty, (norm_url, name))
            if row is None:
                s.add(FileProperty(url=norm_url, name=name, value=value))
            else:
                row.value = value

    def remove_property(self, norm_url: str, name: str,
                        dry_run: bool = False, environ: Any = None) -> None:
        """Remove one property; removing a missing one is no error."""
        if dry_run:
            return
        with self.db.write() as s:
            s.execute(delete(FileProperty).where(
                FileProperty.url == _key(norm_url),
                FileProperty.name == name))

    def remove_properties(self, norm_url: str, environ: Any = None) -> None:
        """Remove every property of a resource (it was deleted)."""
        norm_url = _key(norm_url)
        with self.db.write() as s:
            s.execute(delete(FileProperty).where(
                FileProperty.url == norm_url))

    def copy_properties(self, src_url: str, dest_url: str,
                        environ: Any = None) -> None:
        """Give the destination of a copy the source's properties."""
        src_url, dest_url = _key(src_url), _key(dest_url)
        with self.db.write() as s:
            rows = list(s.scalars(select(FileProperty).where(
                FileProperty.url == src_url)))
            s.execute(delete(FileProperty).where(
                FileProperty.url == dest_url))
            for row in rows:
                s.add(FileProperty(url=dest_url, name=row.name,
                                   value=row.value))

    def move_properties(self, src_url: str, dest_url: str,
                        with_children: bool, environ: Any = None) -> None:
        """Carry properties along a move, of the children too if asked."""
        src_url, dest_url = _key(src_url), _key(dest_url)
        with self.db.write() as s:
            for old, new in self._moved(s, src_url, dest_url, with_children):
                s.execute(delete(FileProperty).where(
                    FileProperty.url == new))
                rows = list(s.scalars(select(FileProperty).where(
                    FileProperty.url == old)))
                for row in rows:
                    s.add(FileProperty(url=new, name=row.name,
                                       value=row.value))
                    s.delete(row)

    @staticmethod
    def _moved(s: Any, src: str, dest: str,
               with_children: bool) -> Iterator[tuple[str, str]]:
        yield src, dest
        if not with_children:
            return
        below = src.rstrip("/") + "/"
        urls = set(s.scalars(select(FileProperty.url).where(
            FileProperty.url.startswith(below, autoescape=True))))
        for url in sorted(urls):
            yield url, dest.rstrip("/") + "/" + url[len(below):]


# region demo content

DEMO_FILES = (
    ("alice@example.com", "Documents", "Welcome.txt",
     ("Files in this folder are shared with bob@example.com (write).\n"
      "Map it in Windows as a network drive on\n"
      "https://HOST/webdav/alice@example.com/Documents/\n")),
    ("alice@example.com", "Documents", "Budget 2026.csv",
     "item,amount\nrent,1200\ntravel,300\n"),
    ("bob@example.com", "Documents", "Notes.txt",
     "Bob's own files; nobody else sees them.\n"),
)


def write_file(root: FolderRoot, segments: Iterable[str],
               content: bytes) -> Path:
    """Write a file durably into a files folder (temporary, rename)."""
    target = resolve(root, segments, create_root=True)
    fd, temporary = new_temporary(target.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    durable_replace(temporary, target)
    return target


def demo_content(store: Any) -> Iterator[str]:
    """A few files in the demo accounts' Documents folders."""
    for owner, path, name, content in DEMO_FILES:
        folder = store.directory.folder(owner, path)
        root = folder_root(store.data_dir, folder.id, folder.map_dir,
                           folder.map_recursive)
        write_file(root, [name], content.encode())
        yield f"file {owner}/{path}/{name}"
