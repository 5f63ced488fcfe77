"""Sign-in sessions of the web pages, kept in the database.

A browser holds a random token in an HttpOnly cookie; the database keeps
its SHA-256 only. Each session has its own CSRF token, which the pages
send back in a header with every state-changing request. Sessions live in
the database so that several server processes behind one address share
them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import delete, select

from icewarp_share.store.db import Database
from icewarp_share.store.schema import Account, utcnow
from icewarp_share.store.sharing import WebSession

COOKIE = "icewarp_session"


@dataclass(frozen=True)
class SignedIn:
    """A live session: whose it is and the CSRF token that goes with it."""

    address: str
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fingerprint(password_hash: str) -> str:
    """What a session keeps of the password it was opened with: a
    change of password changes it, and it reveals nothing new."""
    return hashlib.sha256(b"web-session\0" + password_hash.encode()
                          ).hexdigest()


def open_session(db: Database, address: str,
                 lifetime: int) -> tuple[str, SignedIn]:
    """Start a session for the account; return the cookie value."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    with db.write() as s:
        s.execute(delete(WebSession).where(WebSession.expires < now))
        account = s.scalar(select(Account).where(Account.address == address))
        if account is None:
            raise LookupError(address)
        s.add(WebSession(token_hash=_hash(token), account_id=account.id,
                         csrf=csrf, created=now,
                         password_fp=_fingerprint(account.password_hash),
                         expires=now + timedelta(seconds=lifetime)))
    return token, SignedIn(address, csrf)


def find_session(db: Database, token: str) -> SignedIn | None:
    """The session the cookie names, unless it ended or expired or the
    account's password changed since it began."""
    if not token or len(token) > 128:
        return None
    with db.read() as s:
        row = s.execute(
            select(Account.address, WebSession.csrf, WebSession.expires,
                   WebSession.password_fp, Account.password_hash)
            .join(Account, Account.id == WebSession.account_id)
            .where(WebSession.token_hash == _hash(token))).first()
    if row is None:
        return None
    address, csrf, expires, fingerprint, password_hash = row
    if not hmac.compare_digest(fingerprint, _fingerprint(password_hash)):
        return None
    if expires.tzinfo is None:
        # SQLite returns naive datetimes; they were written in UTC.
        expires = expires.replace(tzinfo=UTC)
    if expires < utcnow():
        return None
    return SignedIn(address, csrf)


def close_session(db: Database, token: str) -> None:
    """End the session the cookie names (sign out)."""
    with db.write() as s:
        s.execute(delete(WebSession).where(
            WebSession.token_hash == _hash(token)))
