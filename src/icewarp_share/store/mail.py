"""The mail store: message bodies as files, their metadata in the database.

A body is written once to ``data_dir/mail/`` (temporary file, fsync,
rename, fsync of the directory) and never changed; copies are hard links.
The database row carries what IMAP asks most: UID, size, internal date,
where the body starts, the cached ENVELOPE and BODYSTRUCTURE, and a few
lower-cased header fields for SEARCH. Flags other than \\Seen are shared
by everyone who sees the folder (``mail_flags``); \\Seen is kept per
account (``mail_seen``), so the owner and each sharee have their own read
state.

Every change bumps the folder's ``modseq`` and stamps the messages it
touched, so a session that remembers the last modseq it saw can ask what
changed since (``changes``); that works across processes on PostgreSQL.

Nothing here checks rights: the front ends ask the ACL core first. All
methods block; front ends call them from a thread pool.
"""

from __future__ import annotations

import email.header
import email.utils
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from icewarp_share import acl
from icewarp_share.store import mime
from icewarp_share.store.directory import check_path
from icewarp_share.store.errors import Conflict, Invalid, NotFound
from icewarp_share.store.schema import Account, Base, Folder, Group

if TYPE_CHECKING:
    from icewarp_share.store import Store

log = logging.getLogger(__name__)

SEEN = "\\Seen"
DELETED = "\\Deleted"
SYSTEM_FLAGS = ("\\Answered", "\\Flagged", DELETED, SEEN, "\\Draft")
_SYSTEM = {f.lower(): f for f in SYSTEM_FLAGS}
_SEARCHED = ("from", "to", "cc", "bcc", "subject")


class MailMessage(Base):
    """One message of a mail folder; the body is the file ``blob``."""

    __tablename__ = "mail_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    modseq: Mapped[int] = mapped_column(BigInteger, default=1)
    size: Mapped[int] = mapped_column(BigInteger)
    internal_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blob: Mapped[str] = mapped_column(String(64))
    body_offset: Mapped[int] = mapped_column(BigInteger)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    body_structure: Mapped[bytes] = mapped_column(LargeBinary)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    header_text: Mapped[str] = mapped_column(Text, default="")
    h_from: Mapped[str] = mapped_column(Text, default="")
    h_to: Mapped[str] = mapped_column(Text, default="")
    h_cc: Mapped[str] = mapped_column(Text, default="")
    h_bcc: Mapped[str] = mapped_column(Text, default="")
    h_subject: Mapped[str] = mapped_column(Text, default="")
    sent: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)
    __table_args__ = (
        UniqueConstraint("folder_id", "uid", name="uq_mail_messages_uid"),
    )


class MailFlag(Base):
    """A flag or keyword on a message, shared by all who see it."""

    __tablename__ = "mail_flags"
    message_id: Mapped[int] = mapped_column(
        ForeignKey("mail_messages.id", ondelete="CASCADE"), primary_key=True)
    flag: Mapped[str] = mapped_column(String(64), primary_key=True)


class MailSeen(Base):
    """\\Seen of one message for one account (RFC 4314 ``s`` is personal)."""

    __tablename__ = "mail_seen"
    message_id: Mapped[int] = mapped_column(
        ForeignKey("mail_messages.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True,
        index=True)


@dataclass(frozen=True)
class MailFolder:
    """A mail folder as the IMAP layer needs it."""

    id: int
    owner: str
    owner_kind: acl.OwnerKind
    path: str
    uidvalidity: int
    uidnext: int
    modseq: int
    owner_id: int = 0


@dataclass(frozen=True)
class Snapshot:
    """The UIDs of a folder at one modseq, and what changed since."""

    uidvalidity: int
    uidnext: int
    modseq: int
    uids: list[int]
    changed: dict[int, list[str]]


@dataclass(frozen=True)
class FlagChange:
    """What a STORE did: the folder's new modseq and each message's flags.

    A session whose last modseq is ``modseq - 1`` missed nothing else and
    need not be told about its own change again.
    """

    modseq: int
    flags: dict[int, list[str]]


@dataclass(frozen=True)
class StoredMessage:
    """Metadata of one message, and its bytes when they were asked for."""

    uid: int
    size: int
    internal_date: datetime
    flags: list[str]
    envelope: bytes
    body_structure: bytes
    body: bytes
    body_offset: int
    data: bytes | None = None


def normalize_flag(flag: str) -> str:
    """System flags in their canonical spelling; keywords as given."""
    if flag.startswith("\\"):
        found = _SYSTEM.get(flag.lower())
        if found is None:
            raise Invalid(f"unknown system flag {flag}")
        return found
    if not flag or len(flag) > 64 or any(
            c in '(){%*"\\] ' or ord(c) < 33 or ord(c) > 126 for c in flag):
        raise Invalid(f"not a keyword: {flag!r}")
    return flag


def flag_category(flag: str) -> str:
    """``seen``, ``deleted`` or ``other``: the right each one needs."""
    if flag == SEEN:
        return "seen"
    if flag == DELETED:
        return "deleted"
    return "other"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _decoded(value: Any) -> str:
    """A header value with encoded words decoded, lower case."""
    try:
        parts = email.header.decode_header(str(value))
        text = "".join(
            p.decode(c or "latin-1", "replace") if isinstance(p, bytes)
            else p for p, c in parts)
    except (LookupError, ValueError):
        text = str(value)
    return " ".join(text.split()).lower()


def _sent(part: mime.Part) -> datetime | None:
    value = part.headers.get("date")
    if value is None:
        return None
    try:
        return _utc(email.utils.parsedate_to_datetime(str(value)))
    except (TypeError, ValueError, IndexError):
        return None


class MailStore:
    """Mail folders and messages over a ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self.directory = store.directory
        self.root = Path(store.data_dir) / "mail"

    # region the API other parts of the server use

    def append(self, owner: str, path: str, message: bytes,
               flags: Iterable[str] = (),
               internal_date: datetime | None = None) -> int:
        """Store a message in a folder of an account or group; its UID.

        The body is on disk and the row committed before this returns.
        A \\Seen flag marks it read for the owning account.
        """
        folder = self.mail_folder(owner, path)
        if folder is None:
            raise NotFound(f"no mail folder {owner}/{path}")
        reader = folder.owner_id \
            if folder.owner_kind is acl.OwnerKind.ACCOUNT else None
        return self.add(folder.id, message, flags, internal_date, reader)[1]

    def deliver(self, recipient: str,
                message: bytes) -> list[tuple[str, str]]:
        """Deliver as LMTP does; return the (owner, path) places used.

        An account gets the message in its INBOX. A group gets it in its
        public INBOX when it delivers to the folder, otherwise every
        member gets it in their own INBOX.
        """
        places = self._places(recipient.strip().lower())
        for owner, path in places:
            self.append(owner, path, message)
        return places

    def _places(self, address: str) -> list[tuple[str, str]]:
        with self.db.read() as s:
            account = s.scalar(select(Account).where(
                Account.address == address))
            if account is not None:
                return [(account.address, acl.INBOX)]
            group = s.scalar(select(Group).where(Group.address == address))
        if group is None:
            raise NotFound(f"no account or group {address}")
        if group.deliver_to_folder:
            return [(group.address, acl.INBOX)]
        return [(a.address, acl.INBOX)
                for a in self.directory.member_accounts(group.address)]

    # region folders

    def mail_folder(self, owner: str, path: str) -> MailFolder | None:
        """The mail folder ``owner/path``, or None."""
        with self.db.read() as s:
            who = _owner(s, owner)
            if who is None:
                return None
            row = s.scalar(_owned(who).where(Folder.path == path))
            if row is None or row.kind != acl.FolderKind.MAIL.value:
                return None
            return _mail_folder(row, who)

    def folder_by_id(self, folder_id: int) -> MailFolder | None:
        """The mail folder with this id, or None when it is gone."""
        with self.db.read() as s:
            row = s.get(Folder, folder_id)
            if row is None:
                return None
            return _mail_folder(row, _owner_of(s, row))

    def create_folder(self, owner: str, path: str) -> MailFolder:
        """A new mail folder with a fresh UIDVALIDITY."""
        value = check_path(path)
        with self.db.write() as s:
            who = _owner(s, owner)
            if who is None:
                raise NotFound(f"no account or group {owner}")
            if s.scalar(_owned(who).where(Folder.path == value)):
                raise Conflict(f"folder {owner}/{value} exists already")
            column = "account_id" if who[0] is acl.OwnerKind.ACCOUNT \
                else "group_id"
            row = Folder(path=value, kind=acl.FolderKind.MAIL.value,
                         uidvalidity=int(time.time()), uidnext=1,
                         modseq=1, **{column: who[1]})
            s.add(row)
            s.flush()
            return _mail_folder(row, who)

    def delete_folder(self, folder_id: int) -> None:
        """Remove a folder, its grants and messages, and their bodies."""
        with self.db.write() as s:
            blobs = list(s.scalars(select(MailMessage.blob).where(
                MailMessage.folder_id == folder_id)))
            s.execute(delete(MailMessage).where(
                MailMessage.folder_id == folder_id))
            s.execute(delete(Folder).where(Folder.id == folder_id))
        self._unlink(blobs)

    def rename_folder(self, folder_id: int, new_path: str) -> None:
        """Rename a folder and its subfolders inside the same owner."""
        value = check_path(new_path)
        with self.db.write() as s:
            row = s.get(Folder, folder_id)
            if row is None:
                raise NotFound("the folder is gone")
            who = _owner_of(s, row)
            if s.scalar(_owned(who).where(Folder.path == value)):
                raise Conflict(f"folder {value} exists already")
            old = row.path
            for child in s.scalars(_owned(who).where(
                    Folder.path.startswith(old + "/", autoescape=True))):
                child.path = value + child.path[len(old):]
            row.path = value
            row.uidvalidity = max(row.uidvalidity + 1, int(time.time()))

    def children(self, owner: str, path: str) -> list[str]:
        """Paths of the folders below ``owner/path``."""
        with self.db.read() as s:
            who = _owner(s, owner)
            if who is None:
                return []
            return [f.path for f in s.scalars(_owned(who).where(
                Folder.path.startswith(path + "/", autoescape=True)))]

    # region messages

    def add(self, folder_id: int, message: bytes, flags: Iterable[str] = (),
            internal_date: datetime | None = None,
            seen_by: int | None = None) -> tuple[int, int]:
        """Store one message; (UIDVALIDITY, UID) once it is durable.

        ``seen_by`` is the account whose \\Seen a \\Seen flag sets.
        """
        wanted = [normalize_flag(f) for f in flags]
        part = mime.parse(message)
        blob = self._write_blob(message)
        try:
            with self.db.write() as s:
                folder = _locked(s, folder_id)
                uid = folder.uidnext
                folder.uidnext = uid + 1
                folder.modseq += 1
                row = _message_row(folder, uid, message, part,
                                   internal_date, blob)
                s.add(row)
                s.flush()
                _apply_flags(s, row.id, wanted, seen_by)
                result = (folder.uidvalidity, uid)
        except BaseException:
            self._unlink([blob])
            raise
        return result

    def snapshot(self, folder_id: int, account_id: int,
                 since: int | None = None) -> Snapshot:
        """UIDs now, and the flags of messages changed after ``since``.

        When nothing changed after ``since`` the UIDs are not read (the
        answer has none): a session's catch-up after each command then
        costs one indexed lookup.
        """
        with self.db.read() as s:
            folder = s.get(Folder, folder_id)
            if folder is None:
                raise NotFound("the folder is gone")
            if since is not None and folder.modseq <= since:
                return Snapshot(folder.uidvalidity, folder.uidnext,
                                folder.modseq, [], {})
            uids = list(s.scalars(select(MailMessage.uid).where(
                MailMessage.folder_id == folder_id)
                .order_by(MailMessage.uid)))
            changed: dict[int, list[str]] = {}
            if since is not None and folder.modseq > since:
                ids = dict(s.execute(select(MailMessage.id, MailMessage.uid)
                           .where(MailMessage.folder_id == folder_id,
                                  MailMessage.modseq > since)).all())
                changed = _flags_by_uid(s, ids, account_id)
            return Snapshot(folder.uidvalidity, folder.uidnext,
                            folder.modseq, uids, changed)

    def messages(self, folder_id: int, uids: Sequence[int], account_id: int,
                 with_data: bool = False) -> list[StoredMessage]:
        """The messages with these UIDs, in UID order."""
        found: list[StoredMessage] = []
        with self.db.read() as s:
            for chunk in _chunks(sorted(set(uids))):
                rows = list(s.scalars(select(MailMessage).where(
                    MailMessage.folder_id == folder_id,
                    MailMessage.uid.in_(chunk)).order_by(MailMessage.uid)))
                flags = _flags_by_uid(
                    s, {r.id: r.uid for r in rows}, account_id)
                found += [self._stored(r, flags[r.uid], with_data)
                          for r in rows]
        return found

    def _stored(self, row: MailMessage, flags: list[str],
                with_data: bool) -> StoredMessage:
        data = self._read_blob(row.blob) if with_data else None
        return StoredMessage(row.uid, row.size, _utc(row.internal_date),
                             flags, row.envelope, row.body_structure,
                             row.body, row.body_offset, data)

    def set_flags(self, folder_id: int, uids: Sequence[int], account_id: int,
                  mode: str, flags: Iterable[str],
                  scope: Iterable[str]) -> FlagChange:
        """Add (``+``), remove (``-``) or replace (``=``) flags.

        Only flags whose category (``flag_category``) is in ``scope`` are
        touched; the caller refuses flags outside it before calling.
        Returns the new modseq and flags of each message for
        ``account_id``.
        """
        wanted = {normalize_flag(f) for f in flags}
        allowed = set(scope)
        with self.db.write() as s:
            folder = _locked(s, folder_id)
            folder.modseq += 1
            ids: dict[int, int] = {}
            for chunk in _chunks(sorted(set(uids))):
                ids.update(s.execute(
                    select(MailMessage.id, MailMessage.uid).where(
                        MailMessage.folder_id == folder_id,
                        MailMessage.uid.in_(chunk))).all())
            for message_id in ids:
                _change(s, message_id, account_id, mode, wanted, allowed)
            for chunk in _chunks(list(ids)):
                s.execute(update(MailMessage).where(
                    MailMessage.id.in_(chunk)).values(modseq=folder.modseq))
            return FlagChange(folder.modseq,
                              _flags_by_uid(s, ids, account_id))

    def expunge(self, folder_id: int,
                uids: Sequence[int] | None = None) -> list[int]:
        """Remove \\Deleted messages (of ``uids`` if given); their UIDs."""
        with self.db.write() as s:
            folder = _locked(s, folder_id)
            query = (select(MailMessage.id, MailMessage.uid,
                            MailMessage.blob)
                     .join(MailFlag, MailFlag.message_id == MailMessage.id)
                     .where(MailMessage.folder_id == folder_id,
                            MailFlag.flag == DELETED))
            wanted = None if uids is None else set(uids)
            rows = [r for r in s.execute(query).all()
                    if wanted is None or r.uid in wanted]
            for chunk in _chunks([r.id for r in rows]):
                s.execute(delete(MailMessage).where(
                    MailMessage.id.in_(chunk)))
            if rows:
                folder.modseq += 1
        self._unlink([r.blob for r in rows])
        return sorted(r.uid for r in rows)

    def copy(self, source_id: int, uids: Sequence[int], target_id: int,
             account_id: int, scope: Iterable[str]
             ) -> tuple[int, list[tuple[int, int]]]:
        """Copy messages; (target UIDVALIDITY, [(source UID, new UID)]).

        Flags outside ``scope`` (the rights held on the target) are not
        carried over, as RFC 4314 section 4 asks for COPY.
        """
        allowed = set(scope)
        pairs: list[tuple[int, int]] = []
        made: list[str] = []
        try:
            with self.db.write() as s:
                target = _locked(s, target_id)
                for row in self._rows(s, source_id, uids):
                    flags = _flags_by_uid(
                        s, {row.id: row.uid}, account_id)[row.uid]
                    kept = [f for f in flags if flag_category(f) in allowed]
                    blob = self._link_blob(row.blob)
                    made.append(blob)
                    uid = target.uidnext
                    target.uidnext = uid + 1
                    copy = _clone(row, target, uid, blob)
                    s.add(copy)
                    s.flush()
                    _apply_flags(s, copy.id, kept, account_id)
                    pairs.append((row.uid, uid))
                target.modseq += 1
                validity = target.uidvalidity
        except BaseException:
            self._unlink(made)
            raise
        return validity, pairs

    def remove(self, folder_id: int, uids: Sequence[int]) -> list[int]:
        """Remove messages whatever their flags (the source of a MOVE)."""
        with self.db.write() as s:
            folder = _locked(s, folder_id)
            rows = self._rows(s, folder_id, uids)
            for chunk in _chunks([r.id for r in rows]):
                s.execute(delete(MailMessage).where(
                    MailMessage.id.in_(chunk)))
            folder.modseq += 1
        self._unlink([r.blob for r in rows])
        return sorted(r.uid for r in rows)

    def _rows(self, s: Session, folder_id: int,
              uids: Sequence[int]) -> list[MailMessage]:
        rows: list[MailMessage] = []
        for chunk in _chunks(sorted(set(uids))):
            rows += s.scalars(select(MailMessage).where(
                MailMessage.folder_id == folder_id,
                MailMessage.uid.in_(chunk)).order_by(MailMessage.uid))
        return rows

    def search(self, folder_id: int, condition: Any) -> list[int]:
        """UIDs of the folder's messages matching an SQL condition."""
        with self.db.read() as s:
            return list(s.scalars(select(MailMessage.uid).where(
                MailMessage.folder_id == folder_id, condition)
                .order_by(MailMessage.uid)))

    def uids_containing(self, folder_id: int, text: str,
                        whole: bool) -> list[int]:
        """UIDs whose body (or whole message) contains ``text``.

        There is no full-text index yet: this reads every body of the
        folder, which is what SEARCH BODY and TEXT cost for now.
        """
        needle = text.lower().encode("utf-8")
        with self.db.read() as s:
            rows = s.execute(select(MailMessage.uid, MailMessage.blob,
                                    MailMessage.body_offset).where(
                MailMessage.folder_id == folder_id)).all()
        found = []
        for uid, blob, offset in rows:
            data = self._read_blob(blob)
            if needle in (data if whole else data[offset:]).lower():
                found.append(uid)
        return found

    def status(self, folder_id: int, account_id: int) -> dict[str, int]:
        """MESSAGES, UNSEEN, UIDNEXT and UIDVALIDITY, counted in SQL."""
        with self.db.read() as s:
            folder = s.get(Folder, folder_id)
            if folder is None:
                raise NotFound("the folder is gone")
            total = s.scalar(select(func.count()).where(
                MailMessage.folder_id == folder_id)) or 0
            seen = s.scalar(select(func.count()).select_from(MailSeen)
                            .join(MailMessage,
                                  MailMessage.id == MailSeen.message_id)
                            .where(MailMessage.folder_id == folder_id,
                                   MailSeen.account_id == account_id)) or 0
            return {"MESSAGES": total, "RECENT": 0, "UNSEEN": total - seen,
                    "UIDNEXT": folder.uidnext,
                    "UIDVALIDITY": folder.uidvalidity}

    def first_unseen_uid(self, folder_id: int,
                         account_id: int) -> int | None:
        """The lowest UID the account has not seen, for SELECT."""
        seen = select(MailSeen.message_id).where(
            MailSeen.account_id == account_id)
        with self.db.read() as s:
            found: int | None = s.scalar(
                select(func.min(MailMessage.uid)).where(
                    MailMessage.folder_id == folder_id,
                    MailMessage.id.not_in(seen)))
            return found

    def keywords(self, folder_id: int) -> list[str]:
        """Keywords in use in the folder, for the FLAGS response."""
        with self.db.read() as s:
            found = s.scalars(select(MailFlag.flag).distinct().join(
                MailMessage, MailMessage.id == MailFlag.message_id).where(
                MailMessage.folder_id == folder_id))
            return sorted(f for f in found if not f.startswith("\\"))

    # region bodies on disk

    def _blob_path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def _write_blob(self, data: bytes) -> str:
        name = uuid.uuid4().hex
        final = self._blob_path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _fsync_dir(final.parent)
        return name

    def _link_blob(self, name: str) -> str:
        new = uuid.uuid4().hex
        target = self._blob_path(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(self._blob_path(name), target)
        _fsync_dir(target.parent)
        return new

    def _read_blob(self, name: str) -> bytes:
        return self._blob_path(name).read_bytes()

    def _unlink(self, names: Iterable[str]) -> None:
        for name in names:
            try:
                self._blob_path(name).unlink()
            except FileNotFoundError:
                pass
            except OSError:
                log.exception("cannot remove message body %s", name)


# region module-level steps (each takes the open session)

_Owner = tuple[acl.OwnerKind, int, str]


def _owner(s: Session, address: str) -> _Owner | None:
    value = address.strip().lower()
    account = s.scalar(select(Account.id).where(Account.address == value))
    if account is not None:
        return acl.OwnerKind.ACCOUNT, account, value
    group = s.scalar(select(Group.id).where(Group.address == value))
    if group is not None:
        return acl.OwnerKind.GROUP, group, value
    return None


def _owner_of(s: Session, row: Folder) -> _Owner:
    if row.account_id is not None:
        account = s.get(Account, row.account_id)
        assert account is not None
        return acl.OwnerKind.ACCOUNT, account.id, account.address
    group = s.get(Group, row.group_id)
    assert group is not None
    return acl.OwnerKind.GROUP, group.id, group.address


def _owned(who: _Owner) -> Any:
    kind, owner_id, _ = who
    if kind is acl.OwnerKind.ACCOUNT:
        return select(Folder).where(Folder.account_id == owner_id)
    return select(Folder).where(Folder.group_id == owner_id)


def _mail_folder(row: Folder, who: _Owner) -> MailFolder:
    return MailFolder(row.id, who[2], who[0], row.path, row.uidvalidity,
                      row.uidnext, row.modseq, who[1])


def _locked(s: Session, folder_id: int) -> Folder:
    """The folder row, locked for this transaction (UID allocation)."""
    row = s.scalar(select(Folder).where(Folder.id == folder_id)
                   .with_for_update())
    if row is None:
        raise NotFound("the folder is gone")
    return row


def _chunks(values: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _message_row(folder: Folder, uid: int, message: bytes, part: mime.Part,
                 internal_date: datetime | None, blob: str) -> MailMessage:
    headers = part.headers
    searched = {name: " ".join(_decoded(v) for v in headers.get_all(name)
                               or []) for name in _SEARCHED}
    header_text = "\n".join(f"{k.lower()}: {_decoded(v)}"
                            for k, v in headers.items())
    return MailMessage(
        folder_id=folder.id, uid=uid, modseq=folder.modseq,
        size=len(message),
        internal_date=_utc(internal_date or datetime.now(UTC)),
        blob=blob, body_offset=part.body_start,
        envelope=mime.envelope(part),
        body_structure=mime.body_structure(message, part, True),
        body=mime.body_structure(message, part, False),
        header_text="\n" + header_text + "\n",
        h_from=searched["from"], h_to=searched["to"], h_cc=searched["cc"],
        h_bcc=searched["bcc"], h_subject=searched["subject"],
        sent=_sent(part))


def _clone(row: MailMessage, target: Folder, uid: int,
           blob: str) -> MailMessage:
    copied = {c.name: getattr(row, c.key)
              for c in MailMessage.__table__.columns if c.name != "id"}
    copied.update(folder_id=target.id, uid=uid, modseq=target.modseq + 1,
                  blob=blob)
    return MailMessage(**copied)


def _apply_flags(s: Session, message_id: int, flags: Iterable[str],
                 seen_by: int | None) -> None:
    for flag in set(flags):
        if flag == SEEN:
            if seen_by is not None:
                s.add(MailSeen(message_id=message_id, account_id=seen_by))
        else:
            s.add(MailFlag(message_id=message_id, flag=flag))


def _change(s: Session, message_id: int, account_id: int, mode: str,
            wanted: set[str], allowed: set[str]) -> None:
    """Apply one STORE to one message within the allowed categories."""
    current = set(s.scalars(select(MailFlag.flag).where(
        MailFlag.message_id == message_id)))
    if s.get(MailSeen, (message_id, account_id)) is not None:
        current.add(SEEN)
    if mode == "+":
        target = current | wanted
    elif mode == "-":
        target = current - wanted
    else:
        kept = {f for f in current if flag_category(f) not in allowed}
        target = kept | wanted
    for flag in current - target:
        if flag == SEEN:
            s.execute(delete(MailSeen).where(
                MailSeen.message_id == message_id,
                MailSeen.account_id == account_id))
        else:
            s.execute(delete(MailFlag).where(
                MailFlag.message_id == message_id, MailFlag.flag == flag))
    _apply_flags(s, message_id, target - current, account_id)


def _flags_by_uid(s: Session, ids: dict[int, int],
                  account_id: int) -> dict[int, list[str]]:
    """Flags as ``account_id`` sees them, by UID, for message ids."""
    found: dict[int, list[str]] = {uid: [] for uid in ids.values()}
    for chunk in _chunks(list(ids)):
        for message_id, flag in s.execute(select(
                MailFlag.message_id, MailFlag.flag).where(
                MailFlag.message_id.in_(chunk))):
            found[ids[message_id]].append(flag)
        for message_id in s.scalars(select(MailSeen.message_id).where(
                MailSeen.message_id.in_(chunk),
                MailSeen.account_id == account_id)):
            found[ids[message_id]].append(SEEN)
    return {uid: sorted(flags) for uid, flags in found.items()}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# region demo content

_DEMO_MESSAGES = (
    ("alice@example.com", "INBOX", "bob@example.com", "Welcome back",
     "The project folder is shared with you now.", ()),
    ("alice@example.com", "Projects", "carol@example.com",
     "Kick-off notes", "Agenda: scope, dates, owners.", ("\\Flagged",)),
    ("alice@example.com", "Projects", "bob@example.com",
     "Budget draft", "First numbers attached next week.", ()),
    ("team@example.com", "INBOX", "carol@example.com", "Team lunch",
     "Friday at noon, as usual.", ()),
)


def demo_content(store: Any) -> Iterator[str]:
    """A few messages for the demo domain, so every client has mail."""
    mail = MailStore(store)
    for owner, path, sender, subject, text, flags in _DEMO_MESSAGES:
        raw = (f"From: {sender}\r\nTo: {owner}\r\nSubject: {subject}\r\n"
               f"Date: {email.utils.formatdate()}\r\n"
               f"Message-ID: {email.utils.make_msgid()}\r\n\r\n"
               f"{text}\r\n").encode()
        mail.append(owner, path, raw, flags)
        yield f"message {subject!r} in {owner}/{path}"
