"""Effective rights: the one function that says what a viewer may do.

Every protocol asks ``effective_rights`` and then ``may``; none of them
reads grants on its own. The answer carries the grant that decided it and
a sentence saying why, so an administrator can ask "why can Jean see
this?" and get the same answer the server acted on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType

from .model import (
    FolderFacts,
    FolderKind,
    Grant,
    GranteeKind,
    MailMode,
    Viewer,
    address_key,
    is_owner,
)
from .rights import ALL_RIGHTS, NO_RIGHTS, Rights


class Source(StrEnum):
    """Which kind of rule gave the viewer their rights."""

    OWNER = "owner"
    ACCOUNT = "account"
    GROUP = "group"
    DOMAIN = "domain"
    ANYONE = "anyone"
    NONE = "none"


@dataclass(frozen=True)
class Decision:
    """The rights a viewer holds on a folder, and why.

    ``grants`` are the grants that decided (several when the grants of
    several groups were united). ``inherited_from`` is None for the
    folder's own grants, else the ancestor level (0 is the parent).
    ``reason`` is one sentence for people.
    """

    rights: Rights
    source: Source
    grants: tuple[Grant, ...]
    inherited_from: int | None
    reason: str

    def explain(self) -> str:
        """A few lines for the CLI: the rights, the grants, the reason."""
        preset = self.rights.preset_name()
        shown = str(self.rights) or "none"
        if preset is not None and preset != "none":
            shown += f" ({preset})"
        lines = [f"rights: {shown}", f"source: {self.source}"]
        if self.grants:
            lines.append("grants: " + ", ".join(map(str, self.grants)))
        lines.append(f"reason: {self.reason}")
        return "\n".join(lines)


def _nothing(reason: str) -> Decision:
    """A decision giving no rights, for the stated reason."""
    return Decision(NO_RIGHTS, Source.NONE, (), None, reason)


def _refusal(viewer: Viewer, folder: FolderFacts) -> str | None:
    """Why sharing cannot apply to this folder at all, if it cannot."""
    if folder.virtual:
        return "virtual folders are never shared"
    if not folder.owner_groupware:
        return ("groupware is off for the owner (its account, its "
                "domain or the server)")
    if not viewer.groupware:
        return ("groupware is off for the viewer (its account, its "
                "domain or the server)")
    pop_only = folder.owner_mail_mode is MailMode.POP
    if folder.kind is FolderKind.MAIL and pop_only:
        return "mail of a POP-only account is not shared"
    return None


def applicable_grants(
        folder: FolderFacts) -> tuple[tuple[Grant, ...], int | None]:
    """The grants that apply to a folder and where they come from.

    A folder with grants of its own uses them; otherwise the nearest
    ancestor level that has any. The index is None for own grants, else
    the ancestor level (0 is the parent). With no grants anywhere, the
    answer is ``((), None)``.
    """
    if folder.grants:
        return folder.grants, None
    for level, grants in enumerate(folder.inherited):
        if grants:
            return grants, level
    return (), None


def _matchers(viewer: Viewer) -> tuple[
        tuple[Source, Callable[[Grant], bool]], ...]:
    """Tests for each precedence level, most specific first."""
    address = address_key(viewer.address)
    groups = {address_key(group) for group in viewer.groups}
    domain = address_key(viewer.domain)

    def kind_and(kind: GranteeKind,
                 test: Callable[[str], bool]) -> Callable[[Grant], bool]:
        return lambda g: g.grantee.kind is kind and test(g.grantee.name)

    return (
        (Source.ACCOUNT, kind_and(GranteeKind.ACCOUNT,
                                  lambda n: n == address)),
        (Source.GROUP, kind_and(GranteeKind.GROUP, lambda n: n in groups)),
        (Source.DOMAIN, kind_and(GranteeKind.DOMAIN,
                                 lambda n: n == domain)),
        (Source.ANYONE, kind_and(GranteeKind.ANYONE, lambda n: True)),
    )


def _ancestor(path: str, level: int) -> str:
    """The path of the ancestor ``level`` steps above the parent."""
    parts = path.split("/")
    return "/".join(parts[:len(parts) - 1 - level])


def _origin(path: str, level: int | None) -> str:
    """How a reason names the place the grants came from."""
    if level is None:
        return ""
    return f" (inherited from {_ancestor(path, level)})"


def _reason(source: Source, grants: tuple[Grant, ...],
            path: str, level: int | None) -> str:
    """One sentence naming the deciding grant(s)."""
    if source is Source.ANYONE:
        subject = "grant to anyone"
    else:
        names = ", ".join(str(g.grantee) for g in grants)
        plural = "s" if len(grants) > 1 else ""
        subject = f"grant{plural} to {source}{plural} {names}"
    return subject + _origin(path, level)


def effective_rights(viewer: Viewer, folder: FolderFacts) -> Decision:
    """Decide the viewer's rights on the folder.

    The owner holds every right. For anyone else, sharing must apply (not
    a virtual folder, groupware on for both sides, not the mail of a
    POP-only account); then the most specific matching grant wins, even
    when it gives fewer rights: account, then the union of the viewer's
    groups, then domain, then anyone. An account grant of no rights is how
    an owner keeps one person out of a group share.
    """
    if is_owner(viewer, folder):
        return Decision(ALL_RIGHTS, Source.OWNER, (), None, "owner")

    refusal = _refusal(viewer, folder)
    if refusal is not None:
        return _nothing(refusal)

    grants, level = applicable_grants(folder)
    for source, matches in _matchers(viewer):
        deciding = tuple(g for g in grants if matches(g))
        if deciding:
            rights = NO_RIGHTS
            for grant in deciding:
                rights = rights | grant.rights
            reason = _reason(source, deciding, folder.path, level)
            return Decision(rights, source, deciding, level, reason)
    if not grants:
        return _nothing("no grant applies")
    where = "this folder" if level is None else \
        _ancestor(folder.path, level)
    return _nothing(
        f"no grant on {where} names the viewer; {where} has grants of "
        "its own, so nothing above it is inherited")


class Operation(Enum):
    """Something a protocol wants to do, named by what it does.

    ``required_rights`` gives the right each one needs on the folder it
    acts on. Compound commands combine them: an IMAP rename needs
    DELETE_FOLDER on the old name and CREATE_CHILD on the new parent
    (RFC 4314 section 4); a move needs READ, DELETE_ITEM and EXPUNGE on
    the source and INSERT on the target.
    """

    LOOKUP = "lookup"
    READ = "read"
    SET_SEEN = "set-seen"
    WRITE_FLAGS = "write-flags"
    INSERT = "insert"
    POST = "post"
    CREATE_CHILD = "create-child"
    DELETE_FOLDER = "delete-folder"
    DELETE_ITEM = "delete-item"
    EXPUNGE = "expunge"
    ADMINISTER = "administer"
    WRITE_ITEM = "write-item"
    CREATE_ITEM = "create-item"
    REMOVE_ITEM = "remove-item"


_REQUIRED: Mapping[Operation, Rights] = MappingProxyType({
    Operation.LOOKUP: Rights("l"),
    Operation.READ: Rights("r"),
    Operation.SET_SEEN: Rights("s"),
    Operation.WRITE_FLAGS: Rights("w"),
    Operation.INSERT: Rights("i"),
    Operation.POST: Rights("p"),
    Operation.CREATE_CHILD: Rights("k"),
    Operation.DELETE_FOLDER: Rights("x"),
    Operation.DELETE_ITEM: Rights("t"),
    Operation.EXPUNGE: Rights("e"),
    Operation.ADMINISTER: Rights("a"),
    Operation.WRITE_ITEM: Rights("w"),
    Operation.CREATE_ITEM: Rights("i"),
    Operation.REMOVE_ITEM: Rights("t"),
})


def required_rights(operation: Operation) -> Rights:
    """The rights an operation needs on the folder it acts on."""
    return _REQUIRED[operation]


def may(decision_or_rights: Decision | Rights, operation: Operation) -> bool:
    """Whether the given rights allow the operation."""
    rights = decision_or_rights
    if isinstance(rights, Decision):
        rights = rights.rights
    return rights.has(required_rights(operation).letters)


# RFC 3744 section 3 privileges, from the letters that grant them:
# read is reading items (r); write-content and write-properties are
# changing existing items and their properties (w); bind is adding a
# member (i); unbind is removing one (t). read-acl and write-acl are the
# administer right (a). read-current-user-privilege-set is given to anyone
# who can see the collection (l or r) so clients can show it read-only.
_DAV_SINGLE: tuple[tuple[str, str], ...] = (
    ("read", "r"),
    ("write-content", "w"),
    ("write-properties", "w"),
    ("bind", "i"),
    ("unbind", "t"),
    ("read-acl", "a"),
    ("write-acl", "a"),
)
_DAV_WRITE_PARTS = frozenset(
    {"write-content", "write-properties", "bind", "unbind"})


def dav_privileges(rights: Rights) -> frozenset[str]:
    """The RFC 3744 privileges (DAV: namespace) these rights amount to.

    ``write`` is reported only when all four of its parts are held, since
    RFC 3744 3.2 makes it their aggregate; ``all`` only for every right.
    """
    granted = {name for name, letter in _DAV_SINGLE if letter in rights}
    if "l" in rights or "r" in rights:
        granted.add("read-current-user-privilege-set")
    if _DAV_WRITE_PARTS <= granted:
        granted.add("write")
    if rights == ALL_RIGHTS:
        granted.add("all")
    return frozenset(granted)
