"""Tables of the directory: domains, accounts, groups, folders, grants.

Mail, calendar items and files keep their own tables in their own modules
on the same ``Base``. These classes are the mapping only; the rules live in
``icewarp_share.acl`` and the operations in ``directory``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every table of the store."""


class Setting(Base):
    """Server-wide settings that administrators change at run time."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Domain(Base):
    """A mail domain; its groupware switch applies to all its accounts."""

    __tablename__ = "domains"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(253), unique=True)
    groupware: Mapped[bool] = mapped_column(Boolean, default=True)


class Account(Base):
    """A user who logs in; owns folders."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="RESTRICT"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    mail_mode: Mapped[str] = mapped_column(String(16), default="imap")
    groupware: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        CheckConstraint("mail_mode IN ('imap', 'pop+imap', 'pop')",
                        name="ck_accounts_mail_mode"),
    )


class Group(Base):
    """A group address with members and optional public folders."""

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="RESTRICT"), index=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    public_folder: Mapped[bool] = mapped_column(Boolean, default=False)
    deliver_to_folder: Mapped[bool] = mapped_column(Boolean, default=False)
    gal: Mapped[bool] = mapped_column(Boolean, default=False)


class GroupMember(Base):
    """A member of a group: one account, or every account of a domain."""

    __tablename__ = "group_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    __table_args__ = (
        CheckConstraint("(account_id IS NULL) <> (domain_id IS NULL)",
                        name="ck_group_members_one_kind"),
        UniqueConstraint("group_id", "account_id", name="uq_member_account"),
        UniqueConstraint("group_id", "domain_id", name="uq_member_domain"),
    )


class Folder(Base):
    """A folder of an account or a group, of one kind."""

    __tablename__ = "folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(1024))
    kind: Mapped[str] = mapped_column(String(16))
    virtual: Mapped[bool] = mapped_column(Boolean, default=False)
    gal: Mapped[bool] = mapped_column(Boolean, default=False)
    map_dir: Mapped[str | None] = mapped_column(Text, default=None)
    map_recursive: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    color: Mapped[str] = mapped_column(String(16), default="")
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=1)
    uidnext: Mapped[int] = mapped_column(BigInteger, default=1)
    modseq: Mapped[int] = mapped_column(BigInteger, default=1)
    created: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        CheckConstraint("(account_id IS NULL) <> (group_id IS NULL)",
                        name="ck_folders_one_owner"),
        CheckConstraint(
            "kind IN ('mail', 'calendar', 'tasks', 'notes', 'journal', "
            "'contacts', 'files')", name="ck_folders_kind"),
        UniqueConstraint("account_id", "path", name="uq_folder_account"),
        UniqueConstraint("group_id", "path", name="uq_folder_group"),
    )


class Grant(Base):
    """Rights letters given on a folder to one grantee.

    The grantee is named as the ACL core names it: an address (account or
    group), a domain name, or nothing for ``anyone``. Naming by value keeps
    a domain grant valid for accounts created after it.
    """

    __tablename__ = "grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), index=True)
    grantee_kind: Mapped[str] = mapped_column(String(16))
    grantee_name: Mapped[str] = mapped_column(String(320), default="")
    rights: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        UniqueConstraint("folder_id", "grantee_kind", "grantee_name",
                         name="uq_grant_grantee"),
        CheckConstraint(
            "grantee_kind IN ('account', 'group', 'domain', 'anyone')",
            name="ck_grants_kind"),
        Index("ix_grants_grantee", "grantee_kind", "grantee_name"),
    )


class Subscription(Base):
    """A user's subscription to a folder, or to a whole account.

    Kept by ids, not names, so that renaming a prefix keeps it. For IMAP
    subscriptions of one's own folders ``owner_account_id`` is oneself.
    """

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    owner_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"))
    owner_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"))
    folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"))
    created: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        CheckConstraint(
            "(owner_account_id IS NULL) <> (owner_group_id IS NULL)",
            name="ck_subscriptions_one_owner"),
        UniqueConstraint("account_id", "owner_account_id", "owner_group_id",
                         "folder_id", name="uq_subscription"),
    )
