"""Which right each WebDAV method needs, asked before wsgidav acts.

The rights come from the ACL core (``acl.may`` over the folder's
effective rights); this table only says which operation a method is:

- ``r`` for GET, HEAD, PROPFIND (and to be the source of a COPY);
- ``i`` to create a file (PUT, COPY or MOVE into, LOCK of a new name),
  with ``k`` as well to create a directory (MKCOL, COPY of a directory);
- ``w`` to overwrite a file, PROPPATCH, and LOCK an existing resource;
- ``t`` to delete a file or move it away, ``x`` for a directory.

Places the viewer may not look up never reach this module: the provider
answers them as missing (404), like anything that does not exist. A
viewer who may look a folder up but not read it gets 403 for every name
inside, so that missing and present files cannot be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from icewarp_share.acl import Operation
from icewarp_share.dav.files.places import Level, Place

READS = frozenset({"GET", "HEAD", "PROPFIND"})


@dataclass(frozen=True)
class Request:
    """What the gate needs to know about one request."""

    method: str
    place: Place | None
    destination: Place | None = None
    destination_given: bool = False


def refusal(request: Request) -> str | None:
    """The name of the reply refusing the request, or None to go on."""
    place = request.place
    if place is None or request.method in ("OPTIONS", "UNLOCK"):
        return None
    if place.level is not Level.CONTENT:
        return _listing(request.method)
    if not place.folder or not place.folder.may(Operation.LOOKUP):
        return "not-found"
    if request.method in READS:
        return _need(place, Operation.READ)
    check = _CHECKS.get(request.method)
    if check is None:
        return None
    return check(request)


def _listing(method: str) -> str | None:
    """``/`` and ``/<address>/`` can be read, never changed."""
    if method in READS:
        return None
    if method in ("PUT", "MKCOL", "LOCK"):
        return "folders-by-admin"
    return "listing-read-only"


def _need(place: Place, *operations: Operation) -> str | None:
    folder = place.folder
    assert folder is not None
    if all(folder.may(op) for op in operations):
        return None
    return "forbidden"


def _put(request: Request) -> str | None:
    place = request.place
    assert place is not None
    if place.exists:
        return _need(place, Operation.WRITE_ITEM)
    return _need(place, Operation.INSERT)


def _mkcol(request: Request) -> str | None:
    place = request.place
    assert place is not None
    refused = _need(place, Operation.INSERT, Operation.CREATE_CHILD)
    if refused is None and place.folder and \
            not place.folder.root.recursive:
        return "flat-folder"
    return refused


def _delete(request: Request) -> str | None:
    place = request.place
    assert place is not None
    if place.is_folder_root:
        return "folder-root"
    if not place.exists:
        return _need(place, Operation.READ)
    if place.is_collection:
        return _need(place, Operation.DELETE_FOLDER)
    return _need(place, Operation.DELETE_ITEM)


def _proppatch(request: Request) -> str | None:
    place = request.place
    assert place is not None
    if not place.exists:
        return _need(place, Operation.READ)
    return _need(place, Operation.WRITE_ITEM)


def _lock(request: Request) -> str | None:
    place = request.place
    assert place is not None
    if place.exists:
        return _need(place, Operation.WRITE_ITEM)
    return _need(place, Operation.INSERT)


def _into(request: Request, source: Place) -> str | None:
    """The destination side of COPY and MOVE."""
    dest = request.destination
    if dest is None:
        # Missing parent or not visible: wsgidav answers 409 or 502.
        return None
    if dest.level is not Level.CONTENT or dest.is_folder_root:
        return "listing-read-only"
    if dest.folder is None or not dest.folder.may(Operation.LOOKUP):
        return "forbidden"
    needed = [Operation.INSERT]
    if dest.exists:
        needed.append(Operation.WRITE_ITEM)
        if dest.is_collection:
            needed.append(Operation.DELETE_FOLDER)
    if source.is_collection:
        needed.append(Operation.CREATE_CHILD)
        if not dest.folder.root.recursive:
            return "flat-folder"
    return _need(dest, *needed)


def _copy(request: Request) -> str | None:
    place = request.place
    assert place is not None
    refused = _need(place, Operation.READ)
    if refused or not place.exists:
        return refused
    return _into(request, place)


def _move(request: Request) -> str | None:
    place = request.place
    assert place is not None
    if place.is_folder_root:
        return "folder-root"
    refused = _need(place, Operation.READ)
    if refused or not place.exists:
        return refused
    away = Operation.DELETE_FOLDER if place.is_collection \
        else Operation.DELETE_ITEM
    return _need(place, away) or _into(request, place)


_CHECKS = {
    "PUT": _put,
    "MKCOL": _mkcol,
    "DELETE": _delete,
    "PROPPATCH": _proppatch,
    "LOCK": _lock,
    "COPY": _copy,
    "MOVE": _move,
}
