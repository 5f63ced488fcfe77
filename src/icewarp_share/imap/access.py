"""What one logged-in account may do with mailboxes, decided by the core.

Every IMAP command that names a mailbox goes through ``Mailboxes``: the
name is read with the core's ``parse_name``, the rights come from the
core's ``effective_rights`` (through the directory) and the folder list
from its ``visible_folders``. A mailbox the account may not look up is
refused exactly like a missing one. Methods block: the protocol calls
them from the store's thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from icewarp_share import acl
from icewarp_share.store.errors import NotFound, StoreError
from icewarp_share.store.mail import MailFolder, MailStore

SPECIAL_USE = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash",
               "Junk": "\\Junk"}


class Refused(Exception):
    """A command refused for a reason named in the reply table."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class Target:
    """A mailbox named by the client, resolved, with the rights held."""

    name: str
    owner: str
    path: str
    folder: MailFolder
    rights: acl.Rights


@dataclass(frozen=True)
class Entry:
    """One line of a LIST answer."""

    name: str
    selectable: bool
    subscribed: bool
    special_use: str | None = None


class Mailboxes:
    """Mailbox names and rights for one account."""

    def __init__(self, store: object, mail: MailStore, user: str) -> None:
        self.store = store
        self.directory = mail.directory
        self.mail = mail
        self.user = user
        self.prefixes: acl.Prefixes = mail.directory.prefixes

    # region names

    def parse(self, name: str) -> acl.ParsedName:
        """The owner and path a client's name designates."""
        try:
            return acl.parse_name(self.user, name.rstrip(acl.DELIMITER),
                                  self.prefixes)
        except acl.FolderNameError:
            raise Refused("nonexistent") from None

    def resolve(self, name: str,
                need: acl.Operation | None = None) -> Target:
        """The mailbox ``name``, checked for lookup and ``need``.

        A namespace or owner root is no mailbox (plain NO); a folder the
        account may not look up is NONEXISTENT; a missing right NOPERM.
        """
        parsed = self.parse(name)
        if parsed.owner is None or not parsed.path:
            raise Refused("noselect")
        folder = self.mail.mail_folder(parsed.owner, parsed.path)
        if folder is None:
            raise Refused("nonexistent")
        rights = self.rights(folder.owner, folder.path)
        if not acl.may(rights, acl.Operation.LOOKUP):
            raise Refused("nonexistent")
        if need is not None and not acl.may(rights, need):
            raise Refused("noperm")
        return Target(name, folder.owner, folder.path, folder, rights)

    def recheck(self, target: Target,
                need: acl.Operation | None = None) -> Target:
        """The selected mailbox with the rights held now.

        Rights can change while a mailbox is selected; every command
        asks again, so a revoked grant takes effect at once.
        """
        rights = self.rights(target.owner, target.path)
        if not acl.may(rights, acl.Operation.LOOKUP):
            raise Refused("nonexistent")
        if need is not None and not acl.may(rights, need):
            raise Refused("noperm")
        return replace(target, rights=rights)

    def rights(self, owner: str, path: str) -> acl.Rights:
        """The account's effective rights on a folder (none if missing)."""
        try:
            return self.directory.decide(self.user, owner, path).rights
        except NotFound:
            return acl.NO_RIGHTS

    # region the folder tree

    def entries(self) -> list[Entry]:
        """Every mailbox of the account's tree, parents included."""
        visible = self.directory.visible(
            self.user, kinds=[acl.FolderKind.MAIL], subscribed_only=True)
        own_subscribed = {
            s.path for s in self.directory.subscriptions(self.user)
            if acl.address_key(s.owner) == self.user and s.path}
        found: dict[str, Entry] = {}
        for item in visible:
            own = item.via is acl.Via.OWN
            subscribed = not own or item.folder.path in own_subscribed \
                or item.folder.path == acl.INBOX
            special = SPECIAL_USE.get(item.folder.path) if own else None
            found[item.name] = Entry(item.name, True, subscribed, special)
        for name in list(found):
            for parent in _ancestors(name):
                found.setdefault(parent, Entry(parent, False, False))
        return sorted(found.values(), key=lambda e: e.name)

    def has_children(self, entries: list[Entry]) -> set[str]:
        """Names with at least one child in ``entries``."""
        parents: set[str] = set()
        for entry in entries:
            parents.update(_ancestors(entry.name))
        return parents

    # region subscriptions

    def subscribe(self, name: str, on: bool) -> None:
        """SUBSCRIBE or UNSUBSCRIBE, recorded for this account only."""
        parsed = self.parse(name)
        if parsed.owner is None:
            raise Refused("nonexistent")
        if not parsed.path:
            self._check_owner_visible(parsed.owner)
            path: str | None = None
        else:
            path = self.resolve(name).path
        try:
            if on:
                self.directory.subscribe(self.user, parsed.owner, path)
            else:
                self.directory.unsubscribe(self.user, parsed.owner, path)
        except NotFound:
            if on:
                raise Refused("nonexistent") from None

    def _check_owner_visible(self, owner: str) -> None:
        shared = self.directory.visible(
            self.user, kinds=[acl.FolderKind.MAIL], subscribed_only=False)
        if not any(acl.address_key(v.folder.owner) == owner
                   for v in shared if v.via is not acl.Via.OWN):
            raise Refused("nonexistent")

    # region folders

    def create(self, name: str) -> None:
        """CREATE: own folders freely, others' with ``k`` on the parent."""
        parsed = self.parse(name)
        if parsed.owner is None or not parsed.path:
            raise Refused("exists")
        if self.mail.mail_folder(parsed.owner, parsed.path) is not None:
            # Only a folder the user may look up is said to exist.
            if "l" in self.rights(parsed.owner, parsed.path):
                raise Refused("exists")
            raise Refused("noperm")
        parent = parsed.path.rpartition(acl.DELIMITER)[0]
        may_create = parsed.owner == self.user or bool(parent) and acl.may(
            self.rights(parsed.owner, parent), acl.Operation.CREATE_CHILD)
        if not may_create:
            raise Refused("noperm")
        try:
            self.mail.create_folder(parsed.owner, parsed.path)
        except StoreError:
            raise Refused("cannot") from None

    def delete(self, name: str) -> None:
        """DELETE: needs ``x``; INBOX and folders with children stay."""
        target = self.resolve(name, acl.Operation.DELETE_FOLDER)
        if target.path == acl.INBOX:
            raise Refused("cannot")
        if self.mail.children(target.owner, target.path):
            raise Refused("haschildren")
        self.mail.delete_folder(target.folder.id)

    def rename(self, old: str, new: str) -> None:
        """RENAME inside one owner: ``x`` on the old, ``k`` on the new."""
        target = self.resolve(old, acl.Operation.DELETE_FOLDER)
        parsed = self.parse(new)
        if parsed.owner != target.owner or not parsed.path:
            raise Refused("cannot")
        if target.path == acl.INBOX:
            raise Refused("cannot")
        parent = parsed.path.rpartition(acl.DELIMITER)[0]
        if target.owner != self.user and not (parent and acl.may(
                self.rights(target.owner, parent),
                acl.Operation.CREATE_CHILD)):
            raise Refused("noperm")
        if self.mail.mail_folder(parsed.owner, parsed.path) is not None:
            raise Refused("exists")
        try:
            self.mail.rename_folder(target.folder.id, parsed.path)
        except StoreError:
            raise Refused("cannot") from None

    # region RFC 4314

    def administered(self, name: str) -> Target:
        """The mailbox, checked for ``a`` (GETACL, SETACL, LISTRIGHTS)."""
        return self.resolve(name, acl.Operation.ADMINISTER)

    def get_acl(self, name: str) -> tuple[Target, list[tuple[str, str]]]:
        """GETACL: the owner's full rights, then each grant as stored."""
        target = self.administered(name)
        pairs = []
        if target.folder.owner_kind is acl.OwnerKind.ACCOUNT:
            pairs.append((target.owner, acl.ALL_RIGHTS.letters))
        for grant in self.directory.grants(target.owner, target.path):
            pairs.append((str(grant.grantee), grant.rights.letters))
        return target, pairs

    def set_acl(self, name: str, identifier: str, rights: str) -> None:
        """SETACL with RFC 4314 ``+``/``-`` modifiers."""
        target = self.administered(name)
        mode = rights[:1] if rights[:1] in "+-" else "="
        letters = rights[1:] if mode != "=" else rights
        try:
            wanted = acl.Rights.of(letters)
        except acl.RightsError:
            raise Refused("badrights") from None
        if mode != "=":
            current = self._granted(target, identifier)
            wanted = current | wanted if mode == "+" else current - wanted
        try:
            self.directory.share(target.owner, target.path, identifier,
                                 wanted.letters)
        except StoreError:
            raise Refused("badidentifier") from None

    def delete_acl(self, name: str, identifier: str) -> None:
        """DELETEACL: drop the identifier's grant."""
        target = self.administered(name)
        try:
            self.directory.unshare(target.owner, target.path, identifier)
        except StoreError:
            raise Refused("badidentifier") from None

    def _granted(self, target: Target, identifier: str) -> acl.Rights:
        key = identifier.strip().lower()
        for grant in self.directory.grants(target.owner, target.path):
            if str(grant.grantee) == key:
                return grant.rights
        return acl.NO_RIGHTS

    def my_rights(self, name: str) -> acl.Rights:
        """MYRIGHTS: any right at all lets the account ask (RFC 4314 3.5)."""
        return self.resolve(name).rights


def _ancestors(name: str) -> list[str]:
    """Every proper ancestor of a '/'-separated name."""
    parts = name.split(acl.DELIMITER)
    return [acl.DELIMITER.join(parts[:i]) for i in range(1, len(parts))]


MAX_PATTERN_TOKENS = 2048


class Wildcards:
    """An RFC 3501 6.3.8 LIST pattern: ``*`` any, ``%`` any but '/'.

    Matched by dynamic programming in time proportional to pattern times
    name, never by a backtracking regular expression: a pattern of many
    wildcards (``%%%%...``) must not stall the process for every user.
    """

    def __init__(self, whole: str) -> None:
        # Runs of wildcards mean the same as one (the widest of them).
        tokens: list[str] = []
        for char in whole:
            if char in "*%" and tokens and tokens[-1] in ("*", "%"):
                if char == "*":
                    tokens[-1] = "*"
                continue
            tokens.append(char)
        self.inbox = whole.upper().startswith("INBOX")
        self.tokens = tokens
        # No stored name is this long (paths are capped at 1000 characters
        # plus prefix and owner), so a longer pattern matches nothing.
        self.hopeless = len(tokens) > MAX_PATTERN_TOKENS

    def match(self, name: str) -> bool:
        """Whether the whole of ``name`` matches the pattern."""
        if self.hopeless:
            return False
        tokens = self.tokens
        if self.inbox and name.upper().startswith("INBOX"):
            name = "INBOX" + name[5:]
            tokens = list("INBOX") + tokens[5:]
        # reachable[j]: the first i tokens can match name[:j].
        reachable = [True] + [False] * len(name)
        for token in tokens:
            following = [False] * (len(name) + 1)
            if token in ("*", "%"):
                running = False
                for j in range(len(name) + 1):
                    if token == "%" and j > 0 and name[j - 1] == "/":
                        running = False
                    running = running or reachable[j]
                    following[j] = running
            else:
                for j in range(1, len(name) + 1):
                    following[j] = reachable[j - 1] and name[j - 1] == token
            reachable = following
            if not any(reachable):
                return False
        return reachable[len(name)]


def pattern_matcher(reference: str, pattern: str) -> Wildcards:
    """The matcher of a LIST reference and pattern (RFC 3501 6.3.8)."""
    return Wildcards(reference + pattern)
