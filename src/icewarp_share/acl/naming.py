"""Folder names as people and clients see them, in three namespaces.

A viewer's own folders sit at the root; other accounts' folders under the
shared prefix followed by the owner's address; group public folders under
the public prefix followed by the group's address. IMAP, DAV and the web
pages all build and read names here, so a folder has the same name in
every client, and renaming a prefix changes names but no stored data.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .model import OwnerKind, address_key

DELIMITER = "/"
"""The hierarchy delimiter of every namespace."""

INBOX = "INBOX"
"""How the inbox is always spelled; clients may send any case."""


class FolderNameError(ValueError):
    """A folder name or prefix is empty, has an empty, ``.`` or ``..``
    segment, or holds a control character."""


# Control, format (bidi overrides, zero-width) and line/paragraph
# separators: invisible or reordering characters let one folder name pose
# as another in a grantee's list.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})


def _check_segment(segment: str, whole: str) -> None:
    """Raise FolderNameError when one segment of ``whole`` is unusable."""
    if segment in ("", ".", ".."):
        raise FolderNameError(f"bad segment {segment!r} in {whole!r}")
    if any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES
           for c in segment):
        raise FolderNameError(
            f"control or invisible character in {whole!r}")
    if segment != segment.strip() or "\\" in segment:
        raise FolderNameError(
            f"leading or trailing space or a backslash in {whole!r}")


def _check_path(path: str) -> None:
    """Raise FolderNameError unless every segment of ``path`` is usable."""
    if not path:
        raise FolderNameError("empty folder name")
    for segment in path.split(DELIMITER):
        _check_segment(segment, path)


def check_path(path: str) -> str:
    """A folder path fit to store: checked, with INBOX spelled upper case.

    The store calls this before it creates a folder, so that every stored
    name can be shown and read back by every protocol.
    """
    _check_path(path)
    return _inbox(path)


def _inbox(path: str) -> str:
    """Spell a leading INBOX segment in upper case.

    RFC 3501 5.1 makes INBOX case-insensitive; clients send any spelling.
    """
    first, sep, rest = path.partition(DELIMITER)
    if first.upper() == INBOX:
        return INBOX + sep + rest
    return path


@dataclass(frozen=True)
class Prefixes:
    """Where other accounts' folders and group public folders appear.

    Neither prefix may be empty or start the other, so that every name
    belongs to exactly one namespace.
    """

    shared: str = "~"
    public: str = "Public/"

    def __post_init__(self) -> None:
        for prefix in (self.shared, self.public):
            _check_path(prefix.removesuffix(DELIMITER))
        if (self.shared.startswith(self.public)
                or self.public.startswith(self.shared)):
            raise FolderNameError(
                f"prefixes {self.shared!r} and {self.public!r} overlap")


@dataclass(frozen=True)
class ParsedName:
    """Whose folder a name designates, and its path inside the owner.

    ``owner`` is None and ``path`` empty for a namespace root itself;
    ``path`` is empty for an owner root such as ``~jean@example.com``.
    Own folders come back with the viewer as owner, also when named
    through the shared prefix.
    """

    owner: str | None
    owner_kind: OwnerKind
    path: str


def _namespaces(prefixes: Prefixes) -> tuple[tuple[str, OwnerKind], ...]:
    """Each non-personal prefix with the kind of owner found under it."""
    return ((prefixes.shared, OwnerKind.ACCOUNT),
            (prefixes.public, OwnerKind.GROUP))


def _is_root(name: str, prefix: str) -> bool:
    """Whether ``name`` is the namespace root ``prefix`` stands for."""
    return name in (prefix, prefix.removesuffix(DELIMITER))


def _in_other_namespace(name: str, prefixes: Prefixes) -> bool:
    """Whether ``name`` falls under the shared or public namespace."""
    return any(_is_root(name, prefix) or name.startswith(prefix)
               for prefix, _ in _namespaces(prefixes))


def display_name(viewer_address: str, owner: str, owner_kind: OwnerKind,
                 path: str, prefixes: Prefixes) -> str:
    """The name of a folder as the given viewer sees it.

    An empty ``path`` names the owner root of another account or group.
    Raises FolderNameError for a path that could not be read back, such
    as an own folder whose name starts with a namespace prefix.
    """
    own = (owner_kind is OwnerKind.ACCOUNT
           and address_key(owner) == address_key(viewer_address))
    if own:
        _check_path(path)
        if _in_other_namespace(path, prefixes):
            raise FolderNameError(
                f"own folder {path!r} collides with a namespace prefix")
        return _inbox(path)

    _check_segment(owner, owner)
    prefix = prefixes.shared
    if owner_kind is OwnerKind.GROUP:
        prefix = prefixes.public
    name = prefix + address_key(owner)
    if path:
        _check_path(path)
        name += DELIMITER + _inbox(path)
    return name


def _parse_under(rest: str, kind: OwnerKind, name: str) -> ParsedName:
    """Read ``owner[/path]`` found after a namespace prefix."""
    owner, sep, path = rest.partition(DELIMITER)
    if not owner:
        raise FolderNameError(f"no owner in {name!r}")
    _check_segment(owner, name)
    if sep:
        _check_path(path)
    return ParsedName(address_key(owner), kind, _inbox(path))


def parse_name(viewer_address: str, name: str,
               prefixes: Prefixes) -> ParsedName:
    """Read a name as ``display_name`` writes it.

    Names are case-sensitive except a leading INBOX. A trailing delimiter
    (as in IMAP CREATE) is the caller's to strip first.
    """
    for prefix, kind in _namespaces(prefixes):
        if _is_root(name, prefix):
            return ParsedName(None, kind, "")
        if name.startswith(prefix):
            return _parse_under(name[len(prefix):], kind, name)
    _check_path(name)
    return ParsedName(address_key(viewer_address), OwnerKind.ACCOUNT,
                      _inbox(name))


def namespace_roots(prefixes: Prefixes) -> tuple[str, str]:
    """The other-users and shared prefixes, as IMAP NAMESPACE shows them.

    RFC 2342 prefixes are sent verbatim, delimiter included when the
    prefix has one; the personal namespace is always the empty prefix.
    """
    return prefixes.shared, prefixes.public
