"""The wsgidav provider over files folders.

Resources are built from a ``Place`` (see ``places``): the listing levels
(``/`` and ``/<address>/``) are read-only collections; below a files
folder, directories and files map onto the folder's directory on disk.
Rights are checked before wsgidav runs (see ``rules``); this module only
keeps every disk access inside the folder and writes files durably
(temporary file, fsync, rename).
"""

from __future__ import annotations

import errno
import logging
import mimetypes
import os
import shutil
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wsgidav import util, xml_tools  # type: ignore[import-untyped]
from wsgidav.dav_error import (  # type: ignore[import-untyped]
    HTTP_CONFLICT,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    DAVError,
)
from wsgidav.dav_provider import (  # type: ignore[import-untyped]
    DAVCollection,
    DAVNonCollection,
    DAVProvider,
)

from icewarp_share import acl
from icewarp_share.dav.files.places import Level, Place, Viewpoint
from icewarp_share.store import files as storage

log = logging.getLogger(__name__)

VIEWPOINT_KEY = "icewarp.files.viewpoint"
"""The environ key holding the request's ``Viewpoint``."""

HREF_AT_KEY = "icewarp.files.encode_at"
"""True when the client wrote ``@`` as ``%40``: hrefs do the same."""

WIN32_MODIFIED = "{urn:schemas-microsoft-com:}Win32LastModifiedTime"

_HREF_SAFE = "/!*'(),$-_|.~:@&=+;"


def split_path(path: str) -> list[str]:
    """A decoded URL path as segments, empty ones dropped."""
    return [part for part in path.split("/") if part]


def _href(environ: dict[str, Any], path: str) -> str:
    """Quote a path for an href, keeping ``@`` as the client wrote it."""
    text = quote(path, safe=_HREF_SAFE)
    if environ.get(HREF_AT_KEY):
        text = text.replace("@", "%40")
    return text


PRIVILEGES = "{DAV:}current-user-privilege-set"
LOCK_DISCOVERY = "{DAV:}lockdiscovery"
LOCK_ROOTS_KEY = "icewarp.files.lock_roots"
_LISTING_PRIVILEGES = frozenset({"read", "read-current-user-privilege-set"})


class _Common:
    """Behaviour shared by every resource of this provider."""

    environ: dict[str, Any]
    provider: DAVProvider
    path: str
    is_collection: bool
    place: Place

    def privileges(self) -> frozenset[str]:
        """RFC 3744 privileges of the account here, from the ACL core."""
        if self.place.folder is None:
            return _LISTING_PRIVILEGES
        return acl.dav_privileges(self.place.folder.rights)

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        names: list[str] = super().get_property_names(  # type: ignore[misc]
            is_allprop=is_allprop)
        if not is_allprop:
            # RFC 3744 5.4: not part of allprop, listed by propname.
            names.append(PRIVILEGES)
        return names

    def get_property_value(self, name: str) -> Any:
        if name == PRIVILEGES:
            return _privilege_set(self.privileges())
        if name == LOCK_DISCOVERY and not self._may_be_locked():
            return xml_tools.etree.Element(LOCK_DISCOVERY)
        return super().get_property_value(name)  # type: ignore[misc]

    def _may_be_locked(self) -> bool:
        """False when a PROPFIND found no lock at or below its target.

        One query per PROPFIND instead of one per member listed.
        """
        environ = self.environ
        if environ.get("REQUEST_METHOD") != "PROPFIND":
            return True
        storage_table = getattr(self.provider.lock_manager, "storage", None)
        if not isinstance(storage_table, storage.LockTable):
            return True
        if LOCK_ROOTS_KEY not in environ:
            target = quote(self.provider.share_path
                           + environ.get("PATH_INFO", "/"))
            environ[LOCK_ROOTS_KEY] = storage_table.roots_below(target)
        roots: set[str] = environ[LOCK_ROOTS_KEY]
        own = "/" + self.get_ref_url().strip("/")  # type: ignore[attr-defined]
        return own in roots

    def get_href(self) -> str:
        """The href of this resource, quoted as the client quotes."""
        path = self.provider.mount_path + self.provider.share_path \
            + self.get_preferred_path()  # type: ignore[attr-defined]
        return _href(self.environ, path.replace("//", "/"))


def _privilege_set(names: frozenset[str]) -> Any:
    etree = xml_tools.etree
    element = etree.Element(PRIVILEGES)
    for name in sorted(names):
        privilege = etree.SubElement(element, "{DAV:}privilege")
        etree.SubElement(privilege, "{DAV:}" + name)
    return element


class ListingCollection(_Common, DAVCollection):  # type: ignore[misc]
    """``/`` or ``/<address>/[prefix/]``: names only, never written."""

    def __init__(self, path: str, environ: dict[str, Any],
                 place: Place) -> None:
        super().__init__(path, environ)
        self.place = place

    def get_display_name(self) -> str:
        return self.name or "webdav"

    def get_member_names(self) -> list[str]:
        view: Viewpoint = self.environ[VIEWPOINT_KEY]
        if self.place.level is Level.ROOT:
            return view.owners()
        return view.children(self.place.owner, self.place.prefix)

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(
            util.join_uri(self.path, name), self.environ)

    def get_last_modified(self) -> None:
        return None

    def get_etag(self) -> None:
        return None

    def support_etag(self) -> bool:
        return False

    def create_empty_resource(self, name: str) -> Any:
        raise DAVError(HTTP_FORBIDDEN)

    def create_collection(self, name: str) -> Any:
        raise DAVError(HTTP_FORBIDDEN)

    def delete(self) -> Any:
        raise DAVError(HTTP_FORBIDDEN)

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> Any:
        raise DAVError(HTTP_FORBIDDEN)

    def prevent_locking(self) -> bool:
        return True

    def set_property_value(self, name: str, value: Any,
                           dry_run: bool = False) -> Any:
        raise DAVError(HTTP_FORBIDDEN)


class _OnDisk(_Common):
    """A directory or file inside a files folder."""

    place: Place

    @property
    def real(self) -> Path:
        assert self.place.real is not None
        return self.place.real

    def get_creation_date(self) -> float | None:
        try:
            return self.real.stat().st_ctime
        except FileNotFoundError:
            return None

    def get_last_modified(self) -> float | None:
        try:
            return self.real.stat().st_mtime
        except FileNotFoundError:
            return None

    def get_display_name(self) -> str:
        return self.name  # type: ignore[attr-defined,no-any-return]

    def _target(self, dest_path: str) -> Place:
        """The place a copy or move goes to; it must be in a folder."""
        view: Viewpoint = self.environ[VIEWPOINT_KEY]
        target = view.locate(split_path(dest_path))
        if target is None or target.level is not Level.CONTENT \
                or target.is_folder_root:
            raise DAVError(HTTP_FORBIDDEN)
        return target

    def _carry_properties(self, dest_path: str, is_move: bool,
                          children: bool) -> None:
        manager = self.provider.prop_manager
        if manager is None:
            return
        source = self.get_ref_url()  # type: ignore[attr-defined]
        dest = quote(self.provider.share_path + dest_path)
        if is_move:
            manager.move_properties(source, dest, with_children=children,
                                    environ=self.environ)
        else:
            manager.copy_properties(source, dest, self.environ)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *,
                          dry_run: bool) -> bool:
        """Honour a client's modification time (Windows sends one)."""
        seconds = _seconds(time_stamp)
        if seconds is None:
            return False
        if not dry_run:
            os.utime(self.real, (seconds, seconds))
        return True

    def set_property_value(self, name: str, value: Any,
                           dry_run: bool = False) -> Any:
        """Store the property; Win32LastModifiedTime also sets the time."""
        if name == WIN32_MODIFIED and value is not None:
            self.set_last_modified(self.path, value.text, dry_run=dry_run)
        return super().set_property_value(  # type: ignore[misc]
            name, value, dry_run=dry_run)


def _seconds(stamp: Any) -> float | None:
    if isinstance(stamp, (int, float)):
        return float(stamp)
    try:
        return parsedate_to_datetime(str(stamp).strip()).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


class DirectoryResource(_OnDisk, DAVCollection):  # type: ignore[misc]
    """A files folder's root, or a directory inside it."""

    def __init__(self, path: str, environ: dict[str, Any],
                 place: Place) -> None:
        super().__init__(path, environ)
        self.place = place

    def get_etag(self) -> None:
        return None

    def support_etag(self) -> bool:
        return False

    def get_descendants(self, *, depth: str = "infinity",
                        **options: Any) -> list[Any]:
        """Members below; only this collection for a Depth 0 COPY.

        wsgidav walks every member for a COPY whatever its Depth; RFC 4918
        9.8.3 says Depth 0 copies the collection and its properties only.
        """
        if self._is_shallow_copy_source():
            depth = "0"
        return super().get_descendants(  # type: ignore[no-any-return]
            depth=depth, **options)

    def _is_shallow_copy_source(self) -> bool:
        environ = self.environ
        if environ.get("REQUEST_METHOD") != "COPY" or \
                environ.get("HTTP_DEPTH") != "0":
            return False
        source = str(environ.get("PATH_INFO", "")).rstrip("/")
        return bool(self.path.rstrip("/") == source)

    def get_member_names(self) -> list[str]:
        view: Viewpoint = self.environ[VIEWPOINT_KEY]
        folder = self.place.folder
        assert folder is not None
        if not folder.may(acl.Operation.READ):
            # Looking a folder up does not show what is in it.
            return []
        nested = view.nested_folders(self.place)
        on_disk = [] if not self.real.is_dir() else [
            name for name in storage.listing(folder.root, self.real)
            if not storage.is_temporary(name) and name not in nested]
        return sorted([*on_disk, *nested])

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(
            util.join_uri(self.path, name), self.environ)

    def _child(self, name: str) -> Place:
        view: Viewpoint = self.environ[VIEWPOINT_KEY]
        child = view.locate(split_path(util.join_uri(self.path, name)))
        if child is None or child.level is not Level.CONTENT \
                or child.folder is not self.place.folder:
            raise DAVError(HTTP_FORBIDDEN)
        return child

    def _ensure_root(self) -> None:
        folder = self.place.folder
        assert folder is not None
        storage.resolve(folder.root, (), create_root=True)

    def create_empty_resource(self, name: str) -> Any:
        child = self._child(name)
        self._ensure_root()
        assert child.real is not None
        child.real.touch()
        return FileResource(util.join_uri(self.path, name), self.environ,
                            child)

    def create_collection(self, name: str) -> Any:
        child = self._child(name)
        folder = self.place.folder
        assert folder is not None and child.real is not None
        if not folder.root.recursive:
            raise DAVError(HTTP_FORBIDDEN)
        self._ensure_root()
        child.real.mkdir()
        return DirectoryResource(util.join_uri(self.path, name),
                                 self.environ, child)

    def delete(self) -> None:
        if self.place.is_folder_root:
            raise DAVError(HTTP_FORBIDDEN)
        shutil.rmtree(self.real)
        self.remove_all_properties(recursive=True)
        self.remove_all_locks(recursive=True)

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        target = self._target(dest_path)
        assert target.real is not None
        if not target.folder.root.recursive:  # type: ignore[union-attr]
            raise DAVError(HTTP_FORBIDDEN)
        if not target.real.exists():
            target.real.mkdir()
        shutil.copystat(self.real, target.real)
        self._carry_properties(dest_path, is_move, children=False)

    def support_recursive_move(self, dest_path: str) -> bool:
        return True

    def move_recursive(self, dest_path: str) -> None:
        """Rename the directory; wsgidav removed the destination first."""
        if self.place.is_folder_root:
            raise DAVError(HTTP_FORBIDDEN)
        _rename(self.real, self._target(dest_path))
        self._carry_properties(dest_path, True, children=True)


def _rename(real: Path, target: Place) -> None:
    """Move a file or directory to a place checked by ``_target``."""
    assert target.real is not None
    if not target.real.parent.is_dir():
        raise DAVError(HTTP_CONFLICT)
    try:
        os.replace(real, target.real)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        # Another file system (a mapped directory): copy, then remove.
        shutil.move(real, target.real)


class FileResource(_OnDisk, DAVNonCollection):  # type: ignore[misc]
    """A file inside a files folder."""

    def __init__(self, path: str, environ: dict[str, Any],
                 place: Place) -> None:
        super().__init__(path, environ)
        self.place = place
        self._upload: tuple[_Upload, Path] | None = None

    def get_content_length(self) -> int:
        return self.real.stat().st_size

    def get_content_type(self) -> str:
        guessed, _ = mimetypes.guess_type(self.name)
        return guessed or "application/octet-stream"

    def get_etag(self) -> str:
        info = self.real.stat()
        return f"{info.st_ino:x}-{info.st_mtime_ns:x}-{info.st_size:x}"

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_content(self) -> Any:
        return open(self.real, "rb")

    def begin_write(self, *, content_type: str | None = None) -> Any:
        """A temporary file next to the target, renamed in end_write."""
        fd, temporary = storage.new_temporary(self.real.parent)
        upload = _Upload(fd, self.environ.get("icewarp.files.max_upload"))
        self._upload = (upload, temporary)
        return upload

    def end_write(self, *, with_errors: bool) -> None:
        if self._upload is None:
            return
        upload, temporary = self._upload
        self._upload = None
        if with_errors:
            upload.discard()
            temporary.unlink(missing_ok=True)
            return
        upload.close()
        storage.durable_replace(temporary, self.real)

    def delete(self) -> None:
        if not self.real.is_file():
            raise DAVError(HTTP_CONFLICT)
        self.real.unlink()
        self.remove_all_properties(recursive=True)
        self.remove_all_locks(recursive=True)

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        target = self._target(dest_path)
        assert target.real is not None
        if not target.real.parent.is_dir():
            raise DAVError(HTTP_CONFLICT)
        fd, temporary = storage.new_temporary(target.real.parent)
        os.close(fd)
        shutil.copy2(self.real, temporary)
        storage.durable_replace(temporary, target.real)
        self._carry_properties(dest_path, is_move, children=False)

    def support_recursive_move(self, dest_path: str) -> bool:
        return True

    def move_recursive(self, dest_path: str) -> None:
        """Rename the file over its destination."""
        _rename(self.real, self._target(dest_path))
        self._carry_properties(dest_path, True, children=False)


class UploadTooLarge(Exception):
    """The upload grew past the configured limit while it was written."""


class _Upload:
    """The file object wsgidav writes a PUT body into.

    Counts bytes against the upload limit (a chunked body has no declared
    length) and fsyncs before close, so the rename that follows publishes
    a complete file.
    """

    def __init__(self, fd: int, limit: int | None) -> None:
        self._file = os.fdopen(fd, "wb")
        self._limit = limit
        self._written = 0

    def write(self, data: bytes) -> int:
        self._written += len(data)
        if self._limit is not None and self._written > self._limit:
            raise UploadTooLarge
        try:
            return self._file.write(data)
        except OSError as error:
            raise DAVError(HTTP_INSUFFICIENT_STORAGE) from error

    def close(self) -> None:
        """Flush and fsync, then close (once)."""
        if self._file.closed:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def discard(self) -> None:
        """Close without syncing: the upload failed and is thrown away."""
        if not self._file.closed:
            self._file.close()


class FilesProvider(DAVProvider):  # type: ignore[misc]
    """Resolves WebDAV paths to listing levels, directories and files."""

    def __repr__(self) -> str:
        return "FilesProvider"

    def is_readonly(self) -> bool:
        return False

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> Any:
        """The resource at ``path`` for the request's account, or None."""
        self._count_get_resource_inst += 1
        view: Viewpoint = environ[VIEWPOINT_KEY]
        place = view.locate(split_path(path))
        if place is None:
            return None
        if place.level is not Level.CONTENT:
            return ListingCollection(path, environ, place)
        assert place.real is not None
        if place.real.is_dir() or place.is_folder_root:
            return DirectoryResource(path, environ, place)
        if place.real.is_file():
            return FileResource(path, environ, place)
        return None
