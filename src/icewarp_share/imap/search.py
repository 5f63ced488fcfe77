"""SEARCH keys (RFC 3501 6.4.4) compiled to one SQL condition.

Flags, sizes, dates, UIDs and the common address and subject headers are
columns or joined tables, so the database does the matching. BODY and
TEXT have no index yet: they read the folder's bodies (see
``MailStore.uids_containing``) and enter the condition as a UID list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, false, not_, or_, true

from icewarp_share.store.mail import (
    SEEN,
    MailFlag,
    MailMessage,
    MailSeen,
    MailStore,
    normalize_flag,
)

from .sequence import SetError, resolve


class SearchError(ValueError):
    """A SEARCH program that cannot be read."""


@dataclass
class Context:
    """What compiling needs: the session's UIDs and the account."""

    mail: MailStore
    folder_id: int
    account_id: int
    uids: list[int]


_FLAG_KEYS = {"ANSWERED": "\\Answered", "DELETED": "\\Deleted",
              "DRAFT": "\\Draft", "FLAGGED": "\\Flagged"}
_HEADER_COLUMNS = {"FROM": "h_from", "TO": "h_to", "CC": "h_cc",
                   "BCC": "h_bcc", "SUBJECT": "h_subject"}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun",
           "jul", "aug", "sep", "oct", "nov", "dec"]


def compile_search(tokens: list[Any], ctx: Context) -> Any:
    """One SQL condition for a whole SEARCH program (keys ANDed)."""
    stream = iter(tokens)
    parts = []
    for token in stream:
        parts.append(_key(token, stream, ctx))
    if not parts:
        raise SearchError("empty search")
    return and_(*parts)


def _text(stream: Iterator[Any]) -> str:
    try:
        value = next(stream)
    except StopIteration:
        raise SearchError("missing argument") from None
    if isinstance(value, list):
        raise SearchError("expected a string")
    return bytes(value).decode("utf-8", "replace")


def _has_flag(flag: str, ctx: Context) -> Any:
    if flag == SEEN:
        return exists().where(MailSeen.message_id == MailMessage.id,
                              MailSeen.account_id == ctx.account_id)
    return exists().where(MailFlag.message_id == MailMessage.id,
                          MailFlag.flag == flag)


def _like(column: Any, value: str) -> Any:
    escaped = value.lower().replace("\\", "\\\\").replace(
        "%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def _date(text: str) -> datetime:
    try:
        day, month, year = text.strip('"').split("-")
        return datetime(int(year), _MONTHS.index(month.lower()) + 1,
                        int(day), tzinfo=UTC)
    except (ValueError, IndexError):
        raise SearchError(f"bad date {text!r}") from None


def _dated(column: Any, how: str, text: str) -> Any:
    day = _date(text)
    if how == "BEFORE":
        return column < day
    if how == "SINCE":
        return column >= day
    return and_(column >= day, column < day + timedelta(days=1))


def _uid_set(text: str, ctx: Context, uid: bool) -> Any:
    try:
        chosen = resolve(text.encode(), ctx.uids, uid=uid)
    except SetError:
        raise SearchError(f"bad message set {text!r}") from None
    return MailMessage.uid.in_(chosen) if chosen else false()


def _key(token: Any, stream: Iterator[Any], ctx: Context) -> Any:
    if isinstance(token, list):
        return compile_search(token, ctx)
    name = bytes(token).decode("ascii", "replace").upper()
    simple = _SIMPLE.get(name)
    if simple is not None:
        return simple(ctx)
    if name in _FLAG_KEYS:
        return _has_flag(_FLAG_KEYS[name], ctx)
    if name.startswith("UN") and name[2:] in _FLAG_KEYS:
        return not_(_has_flag(_FLAG_KEYS[name[2:]], ctx))
    return _with_argument(name, stream, ctx)


def _with_argument(name: str, stream: Iterator[Any], ctx: Context) -> Any:
    if name in _HEADER_COLUMNS:
        return _like(getattr(MailMessage, _HEADER_COLUMNS[name]),
                     _text(stream))
    if name == "HEADER":
        field = _text(stream).lower()
        value = _text(stream)
        return _like(MailMessage.header_text,
                     f"\n{field}: ") if not value else and_(
            _like(MailMessage.header_text, f"\n{field}: "),
            _like(MailMessage.header_text, value))
    if name in ("BODY", "TEXT"):
        found = ctx.mail.uids_containing(ctx.folder_id, _text(stream),
                                         whole=name == "TEXT")
        return MailMessage.uid.in_(found) if found else false()
    if name in ("BEFORE", "ON", "SINCE"):
        return _dated(MailMessage.internal_date, name, _text(stream))
    if name in ("SENTBEFORE", "SENTON", "SENTSINCE"):
        return _dated(MailMessage.sent, name[4:], _text(stream))
    if name in ("LARGER", "SMALLER"):
        size = _number(_text(stream))
        return MailMessage.size > size if name == "LARGER" \
            else MailMessage.size < size
    if name in ("KEYWORD", "UNKEYWORD"):
        try:
            flag = normalize_flag(_text(stream))
        except ValueError:
            raise SearchError("bad keyword") from None
        found = _has_flag(flag, ctx)
        return found if name == "KEYWORD" else not_(found)
    if name == "UID":
        return _uid_set(_text(stream), ctx, uid=True)
    if name == "NOT":
        return not_(_key(_next(stream), stream, ctx))
    if name == "OR":
        return or_(_key(_next(stream), stream, ctx),
                   _key(_next(stream), stream, ctx))
    if name[:1].isdigit() or name[:1] == "*":
        return _uid_set(name, ctx, uid=False)
    raise SearchError(f"unknown search key {name}")


def _next(stream: Iterator[Any]) -> Any:
    try:
        return next(stream)
    except StopIteration:
        raise SearchError("missing search key") from None


def _number(text: str) -> int:
    if not text.isdigit():
        raise SearchError(f"not a number: {text!r}")
    return int(text)


_SIMPLE: dict[str, Callable[[Context], Any]] = {
    "ALL": lambda ctx: true(),
    "SEEN": lambda ctx: _has_flag(SEEN, ctx),
    "UNSEEN": lambda ctx: not_(_has_flag(SEEN, ctx)),
    # \Recent is not kept (see docs/imap.md): nothing is recent.
    "RECENT": lambda ctx: false(),
    "NEW": lambda ctx: false(),
    "OLD": lambda ctx: true(),
}

__all__ = ["Context", "SearchError", "compile_search"]
