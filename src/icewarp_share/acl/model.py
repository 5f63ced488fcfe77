"""The plain values the core decides over: grantees, grants, viewers, folders.

The store fills these from its tables and hands them in; the core never
reaches back. Everything here is a frozen value, so a decision depends only
on what it was given.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from .rights import Rights

ANYONE_NAME = "anyone"
"""The RFC 4314 identifier meaning every authenticated user."""


class GranteeError(ValueError):
    """A grantee text is empty, malformed or of a kind we do not support."""


class GranteeKind(StrEnum):
    """Who a grant is given to."""

    ACCOUNT = "account"
    GROUP = "group"
    DOMAIN = "domain"
    ANYONE = "anyone"


def address_key(address: str) -> str:
    """The form in which addresses and domains are compared: lower case."""
    return address.strip().lower()


def _check_name(kind: GranteeKind, name: str) -> None:
    """Raise GranteeError when ``name`` cannot belong to ``kind``."""
    if kind is GranteeKind.ANYONE:
        if name:
            raise GranteeError(f"'anyone' takes no name, got {name!r}")
        return
    if not name:
        raise GranteeError(f"a {kind} grantee needs a name")
    if any(c.isspace() or not c.isprintable() for c in name):
        raise GranteeError(f"grantee {name!r} contains blanks or controls")
    if kind is GranteeKind.DOMAIN and "@" in name:
        raise GranteeError(f"domain {name!r} contains '@'")


@dataclass(frozen=True)
class Grantee:
    """An account, group, domain, or everyone, as named in a grant.

    Names are kept lower case, so equal addresses give equal grantees.
    """

    kind: GranteeKind
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", address_key(self.name))
        _check_name(self.kind, self.name)

    @classmethod
    def parse(cls, text: str,
              group_addresses: Collection[str] = ()) -> Grantee:
        """Read ``anyone``, ``[domain]`` or an address.

        An address is an account unless it is among ``group_addresses``
        (the caller knows the directory; the core does not). Negative
        rights identifiers (RFC 4314 ``-name``) are refused.
        """
        name = text.strip()
        if name.lower() == ANYONE_NAME:
            return cls(GranteeKind.ANYONE)
        if name.startswith("[") and name.endswith("]"):
            return cls(GranteeKind.DOMAIN, name[1:-1])
        if name.startswith("-"):
            raise GranteeError(f"negative rights are not supported: {name!r}")
        groups = {address_key(group) for group in group_addresses}
        if address_key(name) in groups:
            return cls(GranteeKind.GROUP, name)
        return cls(GranteeKind.ACCOUNT, name)

    def __str__(self) -> str:
        if self.kind is GranteeKind.ANYONE:
            return ANYONE_NAME
        if self.kind is GranteeKind.DOMAIN:
            return f"[{self.name}]"
        return self.name


@dataclass(frozen=True)
class Grant:
    """Rights on one folder given to one grantee."""

    grantee: Grantee
    rights: Rights

    def __str__(self) -> str:
        return f"{self.grantee}={self.rights or 'none'}"


class OwnerKind(StrEnum):
    """Whether a folder belongs to an account or to a group."""

    ACCOUNT = "account"
    GROUP = "group"


class FolderKind(StrEnum):
    """What a folder holds; one kind per folder."""

    MAIL = "mail"
    CALENDAR = "calendar"
    TASKS = "tasks"
    NOTES = "notes"
    JOURNAL = "journal"
    CONTACTS = "contacts"
    FILES = "files"


class MailMode(StrEnum):
    """Which mail protocols an account may use."""

    IMAP = "imap"
    POP_IMAP = "pop+imap"
    POP = "pop"


@dataclass(frozen=True)
class Viewer:
    """The authenticated account asking, with what the directory knows.

    ``groups`` holds every group address the account belongs to, directly
    or through its domain. ``groupware`` is the effective switch (server,
    domain and account all on). ``is_admin`` opens the admin pages only:
    it grants nothing on other people's folders.
    """

    address: str
    domain: str
    groups: frozenset[str]
    groupware: bool
    mail_mode: MailMode
    is_admin: bool = False


@dataclass(frozen=True)
class FolderFacts:
    """What the core needs to know about one folder to decide on it.

    ``grants`` are the folder's own grants. ``inherited`` holds the grants
    of its ancestors, nearest parent first; the first non-empty level
    applies when the folder has no grants of its own. ``owner_groupware``
    is the owner's effective groupware switch.
    """

    owner: str
    owner_kind: OwnerKind
    path: str
    kind: FolderKind
    virtual: bool = False
    owner_groupware: bool = True
    owner_mail_mode: MailMode = MailMode.IMAP
    grants: tuple[Grant, ...] = ()
    inherited: tuple[tuple[Grant, ...], ...] = ()


def is_owner(viewer: Viewer, folder: FolderFacts) -> bool:
    """Whether the viewer is the account that owns the folder.

    Group folders have no owning account: members act through grants.
    """
    return (folder.owner_kind is OwnerKind.ACCOUNT
            and address_key(folder.owner) == address_key(viewer.address))
