"""The directory: domains, accounts, groups, folders, grants, subscriptions.

Every change is one transaction: it is whole or it did not happen. Reads
that decide access build plain snapshots (``Viewer``, ``FolderFacts``) and
hand them to the ACL core; nothing here re-implements a rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, and_, delete, or_, select
from sqlalchemy.orm import Session

from icewarp_share import acl
from icewarp_share.store.db import Database
from icewarp_share.store.errors import Conflict, Invalid, NotFound
from icewarp_share.store.schema import (
    Account,
    Domain,
    Folder,
    Grant,
    Group,
    GroupMember,
    Setting,
    Subscription,
)

ACCOUNT_FOLDERS: tuple[tuple[str, acl.FolderKind], ...] = (
    ("INBOX", acl.FolderKind.MAIL),
    ("Sent", acl.FolderKind.MAIL),
    ("Drafts", acl.FolderKind.MAIL),
    ("Trash", acl.FolderKind.MAIL),
    ("Junk", acl.FolderKind.MAIL),
    ("Calendar", acl.FolderKind.CALENDAR),
    ("Tasks", acl.FolderKind.TASKS),
    ("Notes", acl.FolderKind.NOTES),
    ("Contacts", acl.FolderKind.CONTACTS),
    ("Documents", acl.FolderKind.FILES),
)

GROUP_FOLDERS: tuple[tuple[str, acl.FolderKind], ...] = (
    ("INBOX", acl.FolderKind.MAIL),
    ("Calendar", acl.FolderKind.CALENDAR),
    ("Tasks", acl.FolderKind.TASKS),
    ("Contacts", acl.FolderKind.CONTACTS),
    ("Documents", acl.FolderKind.FILES),
)

# What members of a group with public folders get unless changed.
GROUP_MEMBER_DEFAULT = "read"

MAX_PATH = 1000
MAX_SEGMENT = 255
MAX_DEPTH = 32

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

_hasher = PasswordHasher()

GrantListener = Callable[["GrantChange"], None]


@dataclass(frozen=True)
class Owner:
    """The owner of folders: an account or a group, by id and address."""

    kind: acl.OwnerKind
    id: int
    address: str


@dataclass(frozen=True)
class GrantChange:
    """What ``share`` did, for notifications and logs."""

    owner: str
    owner_kind: acl.OwnerKind
    path: str
    kind: acl.FolderKind
    grantee: acl.Grantee
    before: acl.Rights | None
    after: acl.Rights

    @property
    def widened(self) -> bool:
        """True when the grantee may now do something it could not."""
        before = self.before or acl.NO_RIGHTS
        return bool(self.after - before)


def normalize_address(address: str) -> str:
    """Lower-case an address and check its shape."""
    value = address.strip().lower()
    if not _ADDRESS.match(value):
        raise Invalid(f"not an e-mail address: {address!r}")
    return value


def normalize_domain(name: str) -> str:
    """Lower-case a domain name and check its shape."""
    value = name.strip().strip("[]").lower()
    if not _DOMAIN.match(value):
        raise Invalid(f"not a domain name: {name!r}")
    return value


def check_path(path: str) -> str:
    """A folder path: '/'-separated, no empty, '.' or '..' segment, no
    invisible characters, within the lengths every database stores."""
    value = path.strip("/")
    if any(c in "*%" for c in value):
        raise Invalid(f"folder path has a forbidden character: {path!r}")
    if len(value) > MAX_PATH or value.count("/") >= MAX_DEPTH or any(
            len(segment) > MAX_SEGMENT for segment in value.split("/")):
        raise Invalid(f"folder path is too long or too deep: {path[:80]!r}")
    try:
        return acl.check_path(value)
    except acl.FolderNameError as exc:
        raise Invalid(f"not a folder path: {exc}") from None


def check_display_name(name: str) -> str:
    """A display name: one line of at most 255 characters."""
    if len(name) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid("a display name is one line of at most 255 "
                      "characters")
    return name


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    if not password:
        raise Invalid("the password may not be empty")
    return _hasher.hash(password)


def parents(path: str) -> list[str]:
    """Ancestor paths of ``path``, nearest first."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


class Directory:
    """Operations on the directory, each in its own transaction."""

    def __init__(self, db: Database,
                 prefixes: acl.Prefixes | None = None,
                 map_policy: MapPolicy | None = None) -> None:
        self.db = db
        self.prefixes = prefixes or acl.Prefixes()
        self.map_policy = map_policy or MapPolicy()
        self.grant_listeners: list[GrantListener] = []

    # region settings

    def server_groupware(self) -> bool:
        """The server-wide groupware switch (on unless turned off)."""
        with self.db.read() as s:
            return _server_groupware(s)

    def set_server_groupware(self, enabled: bool) -> None:
        """Turn groupware on or off for the whole server."""
        with self.db.write() as s:
            row = s.get(Setting, "groupware")
            value = "on" if enabled else "off"
            if row is None:
                s.add(Setting(key="groupware", value=value))
            else:
                row.value = value

    # region domains

    def add_domain(self, name: str, groupware: bool = True) -> str:
        """Create a domain; refuse a duplicate."""
        value = normalize_domain(name)
        with self.db.write() as s:
            if s.scalar(select(Domain.id).where(Domain.name == value)):
                raise Conflict(f"domain {value} exists already")
            s.add(Domain(name=value, groupware=groupware))
        return value

    def list_domains(self) -> list[Domain]:
        """Every domain, by name."""
        with self.db.read() as s:
            return list(s.scalars(select(Domain).order_by(Domain.name)))

    def set_domain_groupware(self, name: str, enabled: bool) -> None:
        """Turn groupware on or off for one domain."""
        with self.db.write() as s:
            _domain(s, normalize_domain(name)).groupware = enabled

    # region accounts

    def add_account(self, address: str, password: str, *,
                    display_name: str = "", mail_mode: str = "imap",
                    groupware: bool = True, is_admin: bool = False,
                    create_domain: bool = False) -> Account:
        """Create an account with its standard folders."""
        value = normalize_address(address)
        if mail_mode not in {m.value for m in acl.MailMode}:
            raise Invalid(
                f"mail mode must be imap, pop+imap or pop, not {mail_mode!r}")
        check_display_name(display_name)
        hashed = hash_password(password)
        with self.db.write() as s:
            domain = self._domain_for(s, value, create_domain)
            if _owner_or_none(s, value) is not None:
                raise Conflict(f"address {value} is taken already")
            account = Account(
                address=value, domain_id=domain.id, password_hash=hashed,
                display_name=display_name, mail_mode=mail_mode,
                groupware=groupware, is_admin=is_admin)
            s.add(account)
            s.flush()
            for path, kind in ACCOUNT_FOLDERS:
                s.add(Folder(account_id=account.id, path=path,
                             kind=kind.value))
        return account

    def _domain_for(self, s: Session, address: str,
                    create: bool) -> Domain:
        name = address.rpartition("@")[2]
        found = s.scalar(select(Domain).where(Domain.name == name))
        if found is not None:
            return found
        if not create:
            raise NotFound(
                f"domain {name} does not exist; add it with "
                f"'icewarp-share domain add {name}'")
        domain = Domain(name=name)
        s.add(domain)
        s.flush()
        return domain

    def account(self, address: str) -> Account:
        """The account with this address."""
        with self.db.read() as s:
            return _account(s, address)

    def find_account(self, address: str) -> Account | None:
        """The account with this address, or None."""
        with self.db.read() as s:
            return s.scalar(select(Account).where(
                Account.address == address.strip().lower()))

    def list_accounts(self, domain: str | None = None) -> list[Account]:
        """Accounts, of one domain or all, by address."""
        query = select(Account).order_by(Account.address)
        if domain:
            query = query.join(Domain).where(
                Domain.name == normalize_domain(domain))
        with self.db.read() as s:
            return list(s.scalars(query))

    def authenticate(self, address: str, password: str) -> Account | None:
        """The account if the password matches, else None."""
        account = self.find_account(address)
        if account is None:
            # Spend the same time as a real check: no user enumeration.
            _verify(_DUMMY_HASH, password)
            return None
        if not _verify(account.password_hash, password):
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            self.set_password(account.address, password)
        return account

    def set_password(self, address: str, password: str) -> None:
        """Replace an account's password."""
        hashed = hash_password(password)
        with self.db.write() as s:
            _account(s, address).password_hash = hashed

    def update_account(self, address: str, *,
                       groupware: bool | None = None,
                       mail_mode: str | None = None,
                       is_admin: bool | None = None,
                       display_name: str | None = None) -> None:
        """Change the switches of an account."""
        if mail_mode is not None and \
                mail_mode not in {m.value for m in acl.MailMode}:
            raise Invalid(f"unknown mail mode {mail_mode!r}")
        with self.db.write() as s:
            account = _account(s, address)
            if groupware is not None:
                account.groupware = groupware
            if mail_mode is not None:
                account.mail_mode = mail_mode
            if is_admin is not None:
                account.is_admin = is_admin
            if display_name is not None:
                account.display_name = check_display_name(display_name)

    # region groups

    def add_group(self, address: str, *, members: Iterable[str] = (),
                  public_folder: bool = False,
                  deliver_to_folder: bool = False, gal: bool = False,
                  display_name: str = "") -> Group:
        """Create a group, its members and, if asked, its public folders."""
        value = normalize_address(address)
        check_display_name(display_name)
        if deliver_to_folder and not public_folder:
            raise Invalid("--deliver-to-folder needs --public-folder")
        with self.db.write() as s:
            domain = self._domain_for(s, value, False)
            if _owner_or_none(s, value) is not None:
                raise Conflict(f"address {value} is taken already")
            group = Group(address=value, domain_id=domain.id,
                          display_name=display_name,
                          public_folder=public_folder,
                          deliver_to_folder=deliver_to_folder, gal=gal)
            s.add(group)
            s.flush()
            for member in members:
                _add_member(s, group, member)
            if public_folder:
                _create_public_folders(s, group)
        return group

    def list_groups(self) -> list[Group]:
        """Every group, by address."""
        with self.db.read() as s:
            return list(s.scalars(select(Group).order_by(Group.address)))

    def group(self, address: str) -> Group:
        """The group with this address."""
        with self.db.read() as s:
            return _group(s, address)

    def add_member(self, group: str, member: str) -> None:
        """Add an account (address) or a whole domain (``[domain]``)."""
        with self.db.write() as s:
            _add_member(s, _group(s, group), member)

    def remove_member(self, group: str, member: str) -> None:
        """Remove an account or domain from a group."""
        with self.db.write() as s:
            row = _group(s, group)
            account_id, domain_id = _member_ids(s, member)
            result = s.execute(delete(GroupMember).where(
                GroupMember.group_id == row.id,
                GroupMember.account_id.is_(None) if account_id is None
                else GroupMember.account_id == account_id,
                GroupMember.domain_id.is_(None) if domain_id is None
                else GroupMember.domain_id == domain_id))
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"{member} is not a member of {row.address}")

    def members(self, group: str) -> list[str]:
        """Members of a group: addresses and ``[domain]`` entries."""
        with self.db.read() as s:
            row = _group(s, group)
            accounts = s.scalars(
                select(Account.address).join(
                    GroupMember, GroupMember.account_id == Account.id)
                .where(GroupMember.group_id == row.id))
            domains = s.scalars(
                select(Domain.name).join(
                    GroupMember, GroupMember.domain_id == Domain.id)
                .where(GroupMember.group_id == row.id))
            return sorted(accounts) + sorted(f"[{d}]" for d in domains)

    def member_accounts(self, group: str) -> list[Account]:
        """Every account in a group, directly or through its domain."""
        with self.db.read() as s:
            row = _group(s, group)
            by_domain = select(GroupMember.domain_id).where(
                GroupMember.group_id == row.id,
                GroupMember.domain_id.is_not(None))
            direct = select(GroupMember.account_id).where(
                GroupMember.group_id == row.id,
                GroupMember.account_id.is_not(None))
            return list(s.scalars(select(Account).where(or_(
                Account.id.in_(direct), Account.domain_id.in_(by_domain)))
                .order_by(Account.address)))

    def update_group(self, address: str, *,
                     public_folder: bool | None = None,
                     deliver_to_folder: bool | None = None,
                     gal: bool | None = None) -> None:
        """Change a group's options; turning on public folders makes them."""
        with self.db.write() as s:
            group = _group(s, address)
            if public_folder is not None:
                group.public_folder = public_folder
            if deliver_to_folder is not None:
                group.deliver_to_folder = deliver_to_folder
            if gal is not None:
                group.gal = gal
            if group.deliver_to_folder and not group.public_folder:
                raise Invalid("deliver-to-folder needs a public folder")
            if group.public_folder:
                _create_public_folders(s, group)

    # region folders

    def owner(self, address: str) -> Owner:
        """The account or group with this address."""
        with self.db.read() as s:
            return _owner(s, address)

    def add_folder(self, owner: str, path: str, kind: str, *,
                   map_dir: str | None = None, recursive: bool = False,
                   virtual: bool = False, gal: bool = False) -> Folder:
        """Create a folder of an account or a group."""
        value = check_path(path)
        folder_kind = _kind(kind)
        if map_dir is not None and folder_kind is not acl.FolderKind.FILES:
            raise Invalid("only files folders can be mapped to a directory")
        if gal and folder_kind is not acl.FolderKind.CONTACTS:
            raise Invalid("only contacts folders can be a GAL")
        if map_dir is not None:
            if virtual:
                raise Invalid("a virtual folder cannot map a directory")
            map_dir = self.map_policy.check(map_dir)
        with self.db.write() as s:
            who = _owner(s, owner)
            self._check_name(who, value)
            if _find_folder(s, who, value) is not None:
                raise Conflict(f"folder {who.address}/{value} exists already")
            _check_not_inside_mapped(s, who, value)
            folder = Folder(path=value, kind=folder_kind.value,
                            map_dir=map_dir, map_recursive=recursive,
                            virtual=virtual, gal=gal, **_owner_columns(who))
            s.add(folder)
        return folder

    def folders(self, owner: str) -> list[Folder]:
        """Every folder of an account or group, by path."""
        with self.db.read() as s:
            who = _owner(s, owner)
            return list(s.scalars(_owned(who).order_by(Folder.path)))

    def folder(self, owner: str, path: str) -> Folder:
        """One folder, by owner address and path."""
        with self.db.read() as s:
            return _folder(s, _owner(s, owner), path)

    def update_folder(self, owner: str, path: str, *,
                      map_dir: str | None = None,
                      recursive: bool | None = None,
                      gal: bool | None = None) -> None:
        """Administrator changes: mapped directory, GAL flag."""
        with self.db.write() as s:
            folder = _folder(s, _owner(s, owner), path)
            if map_dir is not None:
                if folder.kind != acl.FolderKind.FILES.value:
                    raise Invalid("only files folders can be mapped")
                folder.map_dir = self.map_policy.check(map_dir) \
                    if map_dir else None
            if recursive is not None:
                folder.map_recursive = recursive
            if gal is not None:
                if folder.kind != acl.FolderKind.CONTACTS.value:
                    raise Invalid("only contacts folders can be a GAL")
                folder.gal = gal

    def _check_name(self, who: Owner, path: str) -> None:
        """Refuse a path every protocol could not show and read back."""
        try:
            acl.display_name(who.address, who.address, who.kind, path,
                             self.prefixes)
        except acl.FolderNameError as exc:
            raise Invalid(f"cannot name a folder {path!r}: {exc}") from None

    # region grants

    def share(self, owner: str, path: str, grantee: str,
              rights: str) -> GrantChange:
        """Create or change the grant of ``grantee`` on a folder."""
        parsed_rights = _rights(rights)
        with self.db.write() as s:
            who = _owner(s, owner)
            folder = _folder(s, who, path)
            _check_shareable(s, who, folder)
            target = _grantee(s, grantee)
            if target.kind is acl.GranteeKind.ACCOUNT and \
                    target.name == who.address:
                raise Invalid("the owner has every right already")
            row = s.scalar(select(Grant).where(
                Grant.folder_id == folder.id,
                Grant.grantee_kind == target.kind.value,
                Grant.grantee_name == target.name))
            before = None if row is None else acl.Rights.of(row.rights)
            if row is None:
                s.add(Grant(folder_id=folder.id,
                            grantee_kind=target.kind.value,
                            grantee_name=target.name,
                            rights=parsed_rights.letters))
            else:
                row.rights = parsed_rights.letters
            change = GrantChange(who.address, who.kind, folder.path,
                                 acl.FolderKind(folder.kind), target, before,
                                 parsed_rights)
        for listener in self.grant_listeners:
            listener(change)
        return change

    def unshare(self, owner: str, path: str, grantee: str) -> None:
        """Remove the grant of ``grantee`` on a folder."""
        with self.db.write() as s:
            who = _owner(s, owner)
            folder = _folder(s, who, path)
            target = _grantee(s, grantee)
            result = s.execute(delete(Grant).where(
                Grant.folder_id == folder.id,
                Grant.grantee_kind == target.kind.value,
                Grant.grantee_name == target.name))
            if not getattr(result, "rowcount", 0):
                raise NotFound(
                    f"{target} has no grant on {who.address}/{folder.path}")

    def grants(self, owner: str, path: str) -> list[acl.Grant]:
        """The grants set on a folder itself (not inherited ones)."""
        with self.db.read() as s:
            folder = _folder(s, _owner(s, owner), path)
            return _grants_of(s, [folder.id]).get(folder.id, [])

    # region subscriptions

    def subscribe(self, user: str, owner: str,
                  path: str | None = None) -> None:
        """Subscribe ``user`` to one folder or, without path, an account."""
        with self.db.write() as s:
            account = _account(s, user)
            who = _owner(s, owner)
            if who.address == account.address:
                raise Invalid("one's own folders need no subscription")
            folder_id = None if path is None else \
                _folder(s, who, path).id
            if _find_subscription(s, account.id, who, folder_id) is None:
                s.add(Subscription(account_id=account.id,
                                   folder_id=folder_id,
                                   **_subscription_owner(who)))

    def unsubscribe(self, user: str, owner: str,
                    path: str | None = None) -> None:
        """Drop a subscription made by ``subscribe``."""
        with self.db.write() as s:
            account = _account(s, user)
            who = _owner(s, owner)
            folder_id = None if path is None else \
                _folder(s, who, path).id
            row = _find_subscription(s, account.id, who, folder_id)
            if row is None:
                what = who.address + ("" if path is None else "/" + path)
                raise NotFound(f"{account.address} is not subscribed to "
                               f"{what}")
            s.delete(row)

    def subscriptions(self, user: str) -> list[acl.Subscription]:
        """The subscriptions of ``user``, as the ACL core takes them."""
        with self.db.read() as s:
            return _subscriptions(s, _account(s, user).id)

    # region decisions

    def viewer(self, address: str) -> acl.Viewer:
        """The ACL core's snapshot of an account."""
        with self.db.read() as s:
            return _viewer(s, _account(s, address))

    def decide(self, user: str, owner: str, path: str) -> acl.Decision:
        """Effective rights of ``user`` on one folder, with the reason."""
        with self.db.read() as s:
            viewer = _viewer(s, _account(s, user))
            who = _owner(s, owner)
            folder = _folder(s, who, path)
            facts = _facts(s, [(who, folder)])[folder.id]
            return acl.effective_rights(viewer, facts)

    def facts(self, owner: str, path: str) -> acl.FolderFacts:
        """The ACL core's snapshot of one folder."""
        with self.db.read() as s:
            who = _owner(s, owner)
            folder = _folder(s, who, path)
            return _facts(s, [(who, folder)])[folder.id]

    def visible(self, user: str, *,
                kinds: Sequence[acl.FolderKind] | None = None,
                subscribed_only: bool = True) -> list[acl.VisibleFolder]:
        """Folders ``user`` sees: own, subscribed shares, public folders.

        With ``subscribed_only`` False, also every folder shared with the
        user that it has not subscribed to (the "shared with me" list).
        """
        with self.db.read() as s:
            account = _account(s, user)
            viewer = _viewer(s, account)
            subs = _subscriptions(s, account.id)
            rows = _candidate_folders(s, account, viewer, subs,
                                      subscribed_only)
            facts = _facts(s, rows)
        return acl.visible_folders(
            viewer, facts.values(), subs, self.prefixes,
            kinds=kinds, subscribed_only=subscribed_only)


# region module-level steps (each takes the open session)

_DUMMY_HASH = _hasher.hash("icewarp-share timing equaliser")


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _server_groupware(s: Session) -> bool:
    row = s.get(Setting, "groupware")
    return row is None or row.value == "on"


def _domain(s: Session, name: str) -> Domain:
    row = s.scalar(select(Domain).where(Domain.name == name))
    if row is None:
        raise NotFound(f"no domain {name}")
    return row


def _account(s: Session, address: str) -> Account:
    value = address.strip().lower()
    row = s.scalar(select(Account).where(Account.address == value))
    if row is None:
        raise NotFound(f"no account {value}")
    return row


def _group(s: Session, address: str) -> Group:
    value = address.strip().lower()
    row = s.scalar(select(Group).where(Group.address == value))
    if row is None:
        raise NotFound(f"no group {value}")
    return row


def _owner_or_none(s: Session, address: str) -> Owner | None:
    value = address.strip().lower()
    account = s.scalar(select(Account.id).where(Account.address == value))
    if account is not None:
        return Owner(acl.OwnerKind.ACCOUNT, account, value)
    group = s.scalar(select(Group.id).where(Group.address == value))
    if group is not None:
        return Owner(acl.OwnerKind.GROUP, group, value)
    return None


def _owner(s: Session, address: str) -> Owner:
    found = _owner_or_none(s, address)
    if found is None:
        raise NotFound(f"no account or group {address.strip().lower()}")
    return found


def _owner_columns(who: Owner) -> dict[str, int]:
    if who.kind is acl.OwnerKind.ACCOUNT:
        return {"account_id": who.id}
    return {"group_id": who.id}


def _subscription_owner(who: Owner) -> dict[str, int]:
    if who.kind is acl.OwnerKind.ACCOUNT:
        return {"owner_account_id": who.id}
    return {"owner_group_id": who.id}


def _owned(who: Owner) -> Select[Any]:
    if who.kind is acl.OwnerKind.ACCOUNT:
        return select(Folder).where(Folder.account_id == who.id)
    return select(Folder).where(Folder.group_id == who.id)


@dataclass(frozen=True)
class MapPolicy:
    """Which server directories a files folder may be mapped to.

    A mapped directory is served to every grantee of the folder, so it may
    never contain or lie inside the data directory (database, message
    bodies, TLS key), and, when ``roots`` is set, must lie inside one of
    them.
    """

    data_dir: Path | None = None
    roots: tuple[Path, ...] = ()

    def check(self, directory: str) -> str:
        """An existing absolute directory, resolved, within policy."""
        path = Path(directory)
        if not path.is_absolute():
            raise Invalid(
                f"--map-dir must be an absolute path: {directory!r}")
        resolved = path.resolve()
        if not resolved.is_dir():
            raise Invalid(f"--map-dir is not an existing directory: "
                          f"{directory!r}")
        if self.data_dir is not None:
            data = self.data_dir.resolve()
            if _overlaps(resolved, data):
                raise Invalid(
                    "--map-dir may not contain or lie inside the data "
                    "directory")
        roots = [r.resolve() for r in self.roots]
        if roots and not any(resolved.is_relative_to(r) for r in roots):
            raise Invalid(
                "--map-dir must lie inside one of storage.map_roots")
        return str(resolved)


def _overlaps(one: Path, other: Path) -> bool:
    return one.is_relative_to(other) or other.is_relative_to(one)


def _check_not_inside_mapped(s: Session, who: Owner, path: str) -> None:
    """A mapped folder shows its directory; no stored folder goes in it."""
    for parent in parents(path):
        found = _find_folder(s, who, parent)
        if found is not None and found.map_dir:
            raise Invalid(
                f"{who.address}/{parent} is mapped to a server directory; "
                "its subfolders are that directory's subdirectories")


def _check_shareable(s: Session, who: Owner, folder: Folder) -> None:
    """Refuse grants that could never take effect."""
    if folder.virtual:
        raise Invalid(
            f"{who.address}/{folder.path} is a virtual folder; "
            "virtual folders are never shared")
    if who.kind is acl.OwnerKind.ACCOUNT and \
            folder.kind == acl.FolderKind.MAIL.value:
        account = s.get(Account, who.id)
        if account is not None and account.mail_mode == "pop":
            raise Invalid(
                f"{who.address} is a POP-only account; its mail is "
                "never shared")


def _find_folder(s: Session, who: Owner, path: str) -> Folder | None:
    found: Folder | None = s.scalar(_owned(who).where(Folder.path == path))
    return found


def _folder(s: Session, who: Owner, path: str) -> Folder:
    value = check_path(path)
    row = _find_folder(s, who, value)
    if row is None:
        raise NotFound(f"no folder {who.address}/{value}")
    return row


def _kind(kind: str) -> acl.FolderKind:
    try:
        return acl.FolderKind(kind.lower())
    except ValueError:
        known = ", ".join(k.value for k in acl.FolderKind)
        raise Invalid(f"unknown folder kind {kind!r} (one of {known})") \
            from None


def _rights(text: str) -> acl.Rights:
    try:
        return acl.Rights.parse(text)
    except acl.RightsError as exc:
        raise Invalid(str(exc)) from None


def _grantee(s: Session, text: str) -> acl.Grantee:
    """Parse a grantee and check that what it names exists."""
    value = text.strip()
    if value.lower() == "anyone":
        return acl.Grantee(acl.GranteeKind.ANYONE, "")
    if value.startswith("["):
        if not value.endswith("]"):
            raise Invalid(f"not a grantee: {text!r}")
        name = normalize_domain(value)
        _domain(s, name)
        return acl.Grantee(acl.GranteeKind.DOMAIN, name)
    address = normalize_address(value)
    found = _owner(s, address)
    if found.kind is acl.OwnerKind.GROUP:
        return acl.Grantee(acl.GranteeKind.GROUP, address)
    return acl.Grantee(acl.GranteeKind.ACCOUNT, address)


def _member_ids(s: Session, member: str) -> tuple[int | None, int | None]:
    value = member.strip()
    if value.startswith("["):
        return None, _domain(s, normalize_domain(value)).id
    return _account(s, normalize_address(value)).id, None


def _add_member(s: Session, group: Group, member: str) -> None:
    account_id, domain_id = _member_ids(s, member)
    exists = s.scalar(select(GroupMember.id).where(
        GroupMember.group_id == group.id,
        GroupMember.account_id == account_id if account_id is not None
        else GroupMember.domain_id == domain_id))
    if exists is not None:
        raise Conflict(f"{member} is a member of {group.address} already")
    s.add(GroupMember(group_id=group.id, account_id=account_id,
                      domain_id=domain_id))


def _create_public_folders(s: Session, group: Group) -> None:
    """The group's folders, readable by its members by default."""
    who = Owner(acl.OwnerKind.GROUP, group.id, group.address)
    for path, kind in GROUP_FOLDERS:
        if _find_folder(s, who, path) is not None:
            continue
        folder = Folder(group_id=group.id, path=path, kind=kind.value,
                        gal=group.gal and kind is acl.FolderKind.CONTACTS)
        s.add(folder)
        s.flush()
        rights = acl.PRESETS[GROUP_MEMBER_DEFAULT].letters
        s.add(Grant(folder_id=folder.id, grantee_kind="group",
                    grantee_name=group.address, rights=rights))


def _find_subscription(s: Session, account_id: int, who: Owner,
                       folder_id: int | None) -> Subscription | None:
    owner_col = Subscription.owner_account_id \
        if who.kind is acl.OwnerKind.ACCOUNT else Subscription.owner_group_id
    folder_cond = Subscription.folder_id.is_(None) if folder_id is None \
        else Subscription.folder_id == folder_id
    return s.scalar(select(Subscription).where(
        Subscription.account_id == account_id, owner_col == who.id,
        folder_cond))


def _subscriptions(s: Session, account_id: int) -> list[acl.Subscription]:
    query = (
        select(Account.address, Group.address, Folder.path)
        .select_from(Subscription)
        .outerjoin(Account, Account.id == Subscription.owner_account_id)
        .outerjoin(Group, Group.id == Subscription.owner_group_id)
        .outerjoin(Folder, Folder.id == Subscription.folder_id)
        .where(Subscription.account_id == account_id))
    return [acl.Subscription(owner=account or group, path=path)
            for account, group, path in s.execute(query)]


def _viewer(s: Session, account: Account) -> acl.Viewer:
    domain = s.get(Domain, account.domain_id)
    assert domain is not None
    groups = s.scalars(
        select(Group.address).join(
            GroupMember, GroupMember.group_id == Group.id)
        .where(or_(GroupMember.account_id == account.id,
                   GroupMember.domain_id == account.domain_id)))
    groupware = (_server_groupware(s) and domain.groupware
                 and account.groupware)
    return acl.Viewer(
        address=account.address, domain=domain.name,
        groups=frozenset(groups), groupware=groupware,
        mail_mode=acl.MailMode(account.mail_mode),
        is_admin=account.is_admin)


def _grants_of(s: Session,
               folder_ids: Iterable[int]) -> dict[int, list[acl.Grant]]:
    found: dict[int, list[acl.Grant]] = {}
    ids = list(folder_ids)
    for chunk in range(0, len(ids), 500):
        rows = s.execute(select(Grant).where(
            Grant.folder_id.in_(ids[chunk:chunk + 500]))
            .order_by(Grant.id))
        for (row,) in rows:
            grantee = acl.Grantee(acl.GranteeKind(row.grantee_kind),
                                  row.grantee_name)
            found.setdefault(row.folder_id, []).append(
                acl.Grant(grantee, acl.Rights.of(row.rights)))
    return found


def _owner_state(s: Session,
                 who: Owner) -> tuple[bool, acl.MailMode]:
    """Effective groupware switch and mail mode of a folder owner."""
    server = _server_groupware(s)
    if who.kind is acl.OwnerKind.GROUP:
        group = s.get(Group, who.id)
        assert group is not None
        domain = s.get(Domain, group.domain_id)
        return server and bool(domain and domain.groupware), \
            acl.MailMode.IMAP
    account = s.get(Account, who.id)
    assert account is not None
    domain = s.get(Domain, account.domain_id)
    on = server and bool(domain and domain.groupware) and account.groupware
    return on, acl.MailMode(account.mail_mode)


def _facts(s: Session, rows: Iterable[tuple[Owner, Folder]]
           ) -> dict[int, acl.FolderFacts]:
    """ACL snapshots of folders, with their ancestors' grants."""
    rows = list(rows)
    by_owner: dict[Owner, dict[str, Folder]] = {}
    for who, folder in rows:
        by_owner.setdefault(who, {})
    for who in by_owner:
        by_owner[who] = {f.path: f for f in s.scalars(_owned(who))}
    grants = _grants_of(
        s, [f.id for folders in by_owner.values() for f in folders.values()])
    states = {who: _owner_state(s, who) for who in by_owner}
    facts = {}
    for who, folder in rows:
        tree = by_owner[who]
        inherited = tuple(
            tuple(grants.get(tree[p].id, ())) if p in tree else ()
            for p in parents(folder.path))
        groupware, mode = states[who]
        facts[folder.id] = acl.FolderFacts(
            owner=who.address, owner_kind=who.kind, path=folder.path,
            kind=acl.FolderKind(folder.kind), virtual=folder.virtual,
            owner_groupware=groupware, owner_mail_mode=mode,
            grants=tuple(grants.get(folder.id, ())), inherited=inherited)
    return facts


def _candidate_folders(s: Session, account: Account, viewer: acl.Viewer,
                       subs: list[acl.Subscription],
                       subscribed_only: bool) -> list[tuple[Owner, Folder]]:
    """Folders that might be visible: the core makes the decision."""
    owners: dict[str, Owner] = {
        account.address: Owner(acl.OwnerKind.ACCOUNT, account.id,
                               account.address)}
    for sub in subs:
        found = _owner_or_none(s, sub.owner)
        if found is not None:
            owners[found.address] = found
    for group_id, address in s.execute(
            select(Group.id, Group.address).where(Group.public_folder)):
        owners[address] = Owner(acl.OwnerKind.GROUP, group_id, address)
    if not subscribed_only:
        for who in _owners_granting(s, viewer):
            owners[who.address] = who
    rows: list[tuple[Owner, Folder]] = []
    for who in owners.values():
        rows.extend((who, f) for f in s.scalars(_owned(who)))
    return rows


def _owners_granting(s: Session, viewer: acl.Viewer) -> list[Owner]:
    """Owners with at least one grant that could reach ``viewer``."""
    matches = or_(
        and_(Grant.grantee_kind == "account",
             Grant.grantee_name == viewer.address),
        and_(Grant.grantee_kind == "group",
             Grant.grantee_name.in_(sorted(viewer.groups))),
        and_(Grant.grantee_kind == "domain",
             Grant.grantee_name == viewer.domain),
        Grant.grantee_kind == "anyone")
    query = (select(Folder.account_id, Folder.group_id).distinct()
             .join(Grant, Grant.folder_id == Folder.id).where(matches))
    owners = []
    for account_id, group_id in s.execute(query):
        if account_id is not None:
            row = s.get(Account, account_id)
            if row is not None:
                owners.append(Owner(acl.OwnerKind.ACCOUNT, row.id,
                                    row.address))
        elif group_id is not None:
            group = s.get(Group, group_id)
            if group is not None:
                owners.append(Owner(acl.OwnerKind.GROUP, group.id,
                                    group.address))
    return owners

