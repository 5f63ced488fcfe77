"""The sharing workflow below the front ends: notices, lists, search.

What every front end of sharing needs and no protocol owns lives here:

- the notification a grantee receives when a grant is created or widened,
  composed as an RFC 5322 message and filed in the grantee's INBOX
  (``install`` hooks it to ``Directory.grant_listeners``, so a share made
  from the web, the API, the CLI or IMAP SETACL sends the same notice);
- the "shared with me" view of one account;
- the contact search of the grantee picker, and the member cards a GAL
  group keeps in its address book;
- the table of web sign-in sessions (the web pages are its only user, but
  tables belong to the store).

Decisions stay in the ACL core: the lists here are built from
``Directory.visible`` and ``Directory.decide``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from hashlib import sha256
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlencode

from sqlalchemy import DateTime, ForeignKey, Integer, String, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from icewarp_share import acl
from icewarp_share.config import Config
from icewarp_share.store.directory import GrantChange
from icewarp_share.store.items import ItemFacts, ItemStore
from icewarp_share.store.schema import (
    Account,
    Base,
    Domain,
    Folder,
    Group,
    utcnow,
)

if TYPE_CHECKING:
    from icewarp_share.store import Store

log = logging.getLogger(__name__)

NOTICE_HEADER = "X-Icewarp-Share"
"""The machine-readable header of a notification (see ``notice_header``)."""

# Accounts and groups offered by the picker per search, at most.
SEARCH_LIMIT = 20

Deliver = Callable[[str, bytes], None]


class WebSession(Base):
    """A browser signed in to the web pages.

    Only a hash of the cookie value is kept, so a copy of the database
    does not let anyone act as a signed-in user. ``csrf`` is the token
    the pages send back in a header with every state-changing request.
    ``password_fp`` is the SHA-256 of the account's password hash when
    the session began: a password change makes it differ, which ends
    every session of the account.
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    password_fp: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    expires: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), index=True)


# region notifications


@dataclass(frozen=True)
class Notice:
    """What the machine-readable header of a notification says."""

    owner: str
    path: str
    kind: str
    rights: str
    grantee: str


def notice_header(notice: Notice) -> str:
    """The header value: ``key=value`` pairs, the path percent-encoded.

    Percent-encoding keeps a folder name with spaces, ``;`` or non-ASCII
    letters inside one header line without RFC 2047 words, so a client
    can read it with a split.
    """
    pairs = (("owner", notice.owner), ("folder", quote(notice.path)),
             ("kind", notice.kind), ("rights", notice.rights or "none"),
             ("grantee", notice.grantee))
    return "; ".join(f"{key}={value}" for key, value in pairs)


def parse_notice_header(value: str) -> Notice:
    """Read back what ``notice_header`` wrote."""
    fields = {}
    for part in value.split(";"):
        key, _, text = part.strip().partition("=")
        fields[key] = text
    rights = fields.get("rights", "")
    return Notice(owner=fields.get("owner", ""),
                  path=unquote(fields.get("folder", "")),
                  kind=fields.get("kind", ""),
                  rights="" if rights == "none" else rights,
                  grantee=fields.get("grantee", ""))


def base_url(config: Config) -> str:
    """Where the web pages are reached, for links in notifications."""
    if config.sharing.base_url:
        return config.sharing.base_url.rstrip("/")
    if config.http.listen:
        return "http://" + config.http.listen[0]
    if config.http.tls_listen:
        return "https://" + config.http.tls_listen[0]
    return ""


def subscribe_links(base: str, owner: str, path: str) -> tuple[str, str]:
    """Links to the "Shared with me" page, offering one subscription.

    The page asks for a click before subscribing: a link in a mail must
    not change anything by itself being fetched.
    """
    folder = urlencode({"owner": owner, "path": path, "offer": "folder"})
    account = urlencode({"owner": owner, "offer": "account"})
    return f"{base}/shared?{folder}", f"{base}/shared?{account}"


def _rights_lines(rights: acl.Rights) -> list[str]:
    preset = rights.preset_name()
    head = f"Your rights: {rights.letters or 'none'}"
    if preset:
        head += f" ({preset})"
    return [head] + [f"  {letter}  {acl.describe(letter)}"
                     for letter in rights.letters]


def compose_notice(change: GrantChange, recipient: str, *, sender: str,
                   owner_name: str = "", base: str = "",
                   now: datetime | None = None) -> bytes:
    """The notification telling ``recipient`` about ``change``.

    ``recipient`` is the grantee account, or a member of the grantee
    group. The body says who shared which folder with which rights and
    links to the subscribe offers; the ``X-Icewarp-Share`` header says
    the same for programs.
    """
    who = owner_name or change.owner
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = f'{who} shared "{change.path}" with you'
    message["Date"] = format_datetime(now or utcnow())
    message["Message-ID"] = make_msgid(
        "share", sender.rpartition("@")[2] or None)
    # RFC 3834 section 5: an automatic message, not to be answered by
    # vacation responders.
    message["Auto-Submitted"] = "auto-generated"
    message[NOTICE_HEADER] = notice_header(Notice(
        change.owner, change.path, change.kind.value, change.after.letters,
        str(change.grantee)))
    folder_link, account_link = subscribe_links(base, change.owner,
                                                change.path)
    through = ""
    if change.grantee.kind is acl.GranteeKind.GROUP:
        through = f" through the group {change.grantee.name}"
    lines = [
        (f"{formataddr((owner_name, change.owner))} shared the "
         f"{change.kind.value} folder \"{change.path}\" with you{through}."),
        "",
        *_rights_lines(change.after),
        "",
        "Show this folder in your clients:",
        f"  {folder_link}",
        f"Show every folder {change.owner} shares with you, now and later:",
        f"  {account_link}",
    ]
    message.set_content("\n".join(lines) + "\n")
    return bytes(message)


def mail_store_delivery(store: Store) -> Deliver:
    """Deliver into INBOX through the mail store.

    The mail store is another part of the server; it is imported when the
    first notice goes out, so this module works (and its composition is
    tested) without it.
    """
    def deliver(recipient: str, message: bytes) -> None:
        from icewarp_share.store.mail import MailStore
        MailStore(store).append(recipient, "INBOX", message)

    return deliver


class Notifier:
    """Sends a notice to each account a created or widened grant reaches.

    Account grantees are told, and every member account of a grantee
    group. Grants to a domain or to ``anyone`` send nothing: one change
    would fill every mailbox of the domain or the server.
    """

    def __init__(self, store: Store, config: Config,
                 deliver: Deliver | None = None) -> None:
        self.store = store
        self.config = config
        self.deliver = deliver or mail_store_delivery(store)

    def __call__(self, change: GrantChange) -> None:
        """The grant listener: never lets a failure undo the share.

        A grant that does not widen, or whose rights lack ``l`` (lookup),
        sends nothing: the grantee could not find the folder named.
        """
        if not change.widened or "l" not in change.after.letters:
            return
        try:
            recipients = self.recipients(change)
            owner_name = self._owner_name(change.owner)
        except Exception:
            log.exception("cannot work out who to notify of a grant on "
                          "%s/%s", change.owner, change.path)
            return
        for recipient in recipients:
            self._send(change, recipient, owner_name)

    def recipients(self, change: GrantChange) -> list[str]:
        """The accounts to tell, without the owner, with groupware on."""
        directory = self.store.directory
        grantee = change.grantee
        if grantee.kind is acl.GranteeKind.ACCOUNT:
            candidates = [grantee.name]
        elif grantee.kind is acl.GranteeKind.GROUP:
            candidates = [a.address for a in
                          directory.member_accounts(grantee.name)]
        else:
            return []
        return [address for address in candidates
                if address != change.owner
                and directory.viewer(address).groupware
                and self._may_look_up(address, change)]

    def _may_look_up(self, address: str, change: GrantChange) -> bool:
        """Whether the account now finds the folder: a member kept out
        of a group share by its own empty grant is not told of it."""
        decision = self.store.directory.decide(address, change.owner,
                                               change.path)
        return acl.may(decision, acl.Operation.LOOKUP)

    def _owner_name(self, owner: str) -> str:
        directory = self.store.directory
        found = directory.find_account(owner)
        if found is not None:
            return str(found.display_name or "")
        return str(directory.group(owner).display_name or "")

    def _send(self, change: GrantChange, recipient: str,
              owner_name: str) -> None:
        sharing = self.config.sharing
        message = compose_notice(
            change, recipient, sender=sharing.notification_from,
            owner_name=owner_name, base=base_url(self.config))
        try:
            self.deliver(recipient, message)
        except ImportError:
            log.warning("no mail store in this server: the notice of "
                        "%s/%s for %s was not delivered", change.owner,
                        change.path, recipient)
        except Exception:
            log.exception("delivering the notice of %s/%s to %s failed",
                          change.owner, change.path, recipient)
        else:
            log.info("notified %s of rights %s on %s/%s", recipient,
                     change.after.letters, change.owner, change.path)


def install(store: Store, deliver: Deliver | None = None
            ) -> Notifier | None:
    """Hook notifications to the store's directory when configured.

    Returns the notifier, or None when ``[sharing] notifications`` is off.
    Installing twice keeps one notifier. The configuration refuses
    notifications without a sender before this is reached.
    """
    config = store.config
    if not config.sharing.notifications:
        return None
    listeners = store.directory.grant_listeners
    for listener in listeners:
        if isinstance(listener, Notifier):
            return listener
    notifier = Notifier(store, config, deliver)
    listeners.append(notifier)
    return notifier


# region shared with me


@dataclass(frozen=True)
class SharedWithMe:
    """Folders others share with one account, and its subscriptions."""

    folders: list[acl.VisibleFolder]
    subscriptions: list[acl.Subscription]


def shared_with_me(store: Store, user: str) -> SharedWithMe:
    """Every folder of others the user may look up, and what it follows.

    Group public folders count (members see them without subscribing);
    the user's own folders and its subscriptions to them do not.
    """
    directory = store.directory
    folders = [v for v in directory.visible(user, subscribed_only=False)
               if v.via is not acl.Via.OWN]
    me = acl.address_key(user)
    subscriptions = [s for s in directory.subscriptions(user)
                     if acl.address_key(s.owner) != me]
    return SharedWithMe(folders, subscriptions)


# region contact search


@dataclass(frozen=True)
class Contact:
    """One answer of the grantee picker."""

    address: str
    name: str
    kind: str
    source: str


def search_contacts(store: Store, user: str, text: str,
                    limit: int = SEARCH_LIMIT) -> list[Contact]:
    """Accounts and groups of the user's domain whose address or name
    contains ``text``, then contact cards the user may read.

    The directory part stands in for a global address list of the domain,
    so the picker is useful before anyone flags an address book.
    """
    needle = text.strip().lower()
    if not needle:
        return []
    directory = store.directory
    viewer = directory.viewer(user)
    found = _directory_matches(store, viewer.domain, needle, limit)
    seen = {c.address for c in found}
    for card in _card_matches(store, user, needle, limit):
        if card.address not in seen:
            seen.add(card.address)
            found.append(card)
    return found[:limit]


def may_name_grantee(store: Store, user: str, grantee: str) -> bool:
    """Whether the grantee picker would show ``grantee`` to ``user``.

    ``anyone`` always; the user's own ``[domain]``; an address of the
    user's domain, or one found in a card the user may read (own
    address books, GALs). Administrators may name anyone. The API
    answers every other grantee like an unknown one, so it confirms no
    account of another domain. Whether an address of the user's own
    domain exists is not hidden: the picker lists those.
    """
    viewer = store.directory.viewer(user)
    if viewer.is_admin:
        return True
    try:
        parsed = acl.Grantee.parse(grantee)
    except acl.GranteeError:
        return True  # malformed: the directory refuses it as invalid
    if parsed.kind is acl.GranteeKind.ANYONE:
        return True
    if parsed.kind is acl.GranteeKind.DOMAIN:
        return parsed.name == viewer.domain
    if parsed.name.rpartition("@")[2] == viewer.domain:
        return True
    return any(c.address == parsed.name
               for c in _card_matches(store, user, parsed.name,
                                      SEARCH_LIMIT))


def _directory_matches(store: Store, domain: str, needle: str,
                       limit: int) -> list[Contact]:
    db = store.db
    pattern = f"%{_escape_like(needle)}%"
    found: list[Contact] = []
    with db.read() as s:
        for table, kind in ((Account, "account"), (Group, "group")):
            rows = s.execute(
                select(table.address, table.display_name)
                .join(Domain, Domain.id == table.domain_id)
                .where(Domain.name == domain, or_(
                    table.address.ilike(pattern, escape="\\"),
                    table.display_name.ilike(pattern, escape="\\")))
                .order_by(table.address).limit(limit))
            found.extend(Contact(address, name or "", kind, "directory")
                         for address, name in rows)
    return found


def _escape_like(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("%", "\\%")
            .replace("_", "\\_"))


def _card_matches(store: Store, user: str, needle: str,
                  limit: int) -> list[Contact]:
    """Cards of the user's own address books and of the GALs it reads."""
    found: list[Contact] = []
    items = ItemStore(store.db)
    for book in readable_address_books(store, user):
        for item in items.all(book.folder_id):
            shown = acl.treatment(acl.ItemClass(item.facts.item_class),
                                  book.own, book.rights)
            if shown is not acl.Treatment.SHOW:
                continue
            found.extend(c for c in card_contacts(item.body, book.name)
                         if needle in c.name.lower()
                         or needle in c.address)
            if len(found) >= limit:
                return found
    return found


@dataclass(frozen=True)
class AddressBook:
    """A contacts folder the picker searches for one user."""

    folder_id: int
    name: str
    own: bool
    rights: acl.Rights


def readable_address_books(store: Store, user: str) -> list[AddressBook]:
    """The user's own contacts folders, and the GAL folders it may read.

    A GAL is searched for everyone with read on it even when groupware
    is off for them (the issue asks that the picker still finds GAL
    contacts then): the decision is taken for the same viewer with the
    groupware switch on. Everything else about the decision is the
    core's.
    """
    directory = store.directory
    viewer = replace(directory.viewer(user), groupware=True)
    account = directory.account(user)
    with store.db.read() as s:
        rows = list(s.execute(
            select(Folder.id, Folder.path, Folder.gal, Account.address,
                   Group.address)
            .outerjoin(Account, Account.id == Folder.account_id)
            .outerjoin(Group, Group.id == Folder.group_id)
            .where(Folder.kind == acl.FolderKind.CONTACTS.value,
                   or_(Folder.account_id == account.id, Folder.gal))
            .order_by(Folder.id)))
    books = []
    for folder_id, path, _gal, owner_account, owner_group in rows:
        owner = owner_account or owner_group
        facts = directory.facts(owner, path)
        decision = acl.effective_rights(viewer, facts)
        if not acl.may(decision, acl.Operation.READ):
            continue
        own = acl.is_owner(viewer, facts)
        name = acl.display_name(user, owner, facts.owner_kind, path,
                                store.prefixes)
        books.append(AddressBook(folder_id, name, own, decision.rights))
    return books


def _unfold(text: str) -> list[str]:
    """vCard content lines with RFC 6350 3.2 folding undone."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _unescape(value: str) -> str:
    return (value.replace("\\n", " ").replace("\\,", ",")
            .replace("\\;", ";").replace("\\\\", "\\"))


def card_contacts(text: str, source: str) -> list[Contact]:
    """One Contact per e-mail address of a vCard, named by its FN."""
    name = ""
    addresses = []
    for line in _unfold(text):
        head, _, value = line.partition(":")
        prop = head.split(";", 1)[0].rpartition(".")[2].upper()
        if prop == "FN":
            name = _unescape(value).strip()
        elif prop == "EMAIL" and "@" in value:
            addresses.append(value.strip().lower())
    return [Contact(a, name, "contact", source) for a in addresses]


# region group GAL cards

GROUP_CARD_PREFIX = "group-member-"
"""Hrefs of the cards a GAL group keeps; other cards are left alone."""


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(",", "\\,")
            .replace(";", "\\;").replace("\n", "\\n"))


def member_card(group: str, address: str, name: str) -> str:
    """The vCard a GAL group keeps for one member account."""
    shown = name or address
    lines = ["BEGIN:VCARD", "VERSION:3.0",
             f"UID:{group}:{address}",
             f"FN:{_escape(shown)}", f"N:{_escape(shown)};;;;",
             f"EMAIL;TYPE=INTERNET:{address}", "END:VCARD"]
    return "\r\n".join(lines) + "\r\n"


def sync_group_cards(store: Store, group: str) -> int:
    """Keep one card per member account in a GAL group's Contacts folder.

    Cards of accounts that left are removed, new members get one, and
    changed names are rewritten. Returns how many cards changed. Does
    nothing for a group without the GAL option or public folders.
    """
    directory = store.directory
    row = directory.group(group)
    if not (row.gal and row.public_folder):
        return 0
    folder = directory.folder(row.address, "Contacts")
    items = ItemStore(store.db)
    held = {i.href: i for i in items.all(folder.id)
            if i.href.startswith(GROUP_CARD_PREFIX)}
    wanted = {f"{GROUP_CARD_PREFIX}{a.address}.vcf":
              member_card(row.address, a.address, a.display_name)
              for a in directory.member_accounts(row.address)}
    changed = 0
    for href, text in wanted.items():
        if href in held and held[href].body == text:
            continue
        uid = f"{row.address}:{href[len(GROUP_CARD_PREFIX):-4]}"
        items.put(folder.id, href, text, ItemFacts(
            uid, "VCARD", acl.ItemClass.PUBLIC.value, _TIMESTAMP_MIN,
            _TIMESTAMP_MAX, f'"{sha256(text.encode()).hexdigest()}"'))
        changed += 1
    for href in held.keys() - wanted.keys():
        items.delete(folder.id, href)
        changed += 1
    if changed:
        log.info("GAL of %s: %d member cards changed", row.address, changed)
    return changed


# The time range the contact store keeps for items without one (cards),
# the widest POSIX range, as the calendar front end stores it.
_TIMESTAMP_MIN = -62135596800
_TIMESTAMP_MAX = 253402300800


def demo_content(store: Store) -> Iterator[str]:
    """Demo step: the team group keeps member cards as a GAL."""
    directory = store.directory
    directory.update_group("team@example.com", gal=True)
    directory.update_folder("team@example.com", "Contacts", gal=True)
    count = sync_group_cards(store, "team@example.com")
    yield f"team@example.com is a GAL with {count} member cards"
