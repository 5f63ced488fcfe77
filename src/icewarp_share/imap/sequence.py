"""Message sets (RFC 3501 9, ``sequence-set``) read against a session.

A session knows the UIDs of its selected mailbox in order; sequence
number n is the n-th of them. ``*`` is the last message (or the highest
UID), and a range may be written in either order.
"""

from __future__ import annotations

import bisect


class SetError(ValueError):
    """A message set that is not well formed."""


def _number(text: bytes, star: int) -> int:
    if text == b"*":
        return star
    if not text.isdigit() or int(text) == 0:
        raise SetError(f"bad message number {text!r}")
    return int(text)


def ranges(text: bytes, star: int) -> list[tuple[int, int]]:
    """The inclusive ranges a set names, with ``*`` as ``star``."""
    if not text:
        raise SetError("empty message set")
    found = []
    for piece in text.split(b","):
        low, sep, high = piece.partition(b":")
        first = _number(low, star)
        last = _number(high, star) if sep else first
        found.append((min(first, last), max(first, last)))
    return found


def resolve(text: bytes, uids: list[int], *, uid: bool) -> list[int]:
    """The UIDs of ``uids`` a set designates, in order, once each."""
    chosen: set[int] = set()
    if uid:
        star = uids[-1] if uids else 0
        for low, high in ranges(text, star):
            start = bisect.bisect_left(uids, low)
            stop = bisect.bisect_right(uids, high)
            chosen.update(uids[start:stop])
    else:
        for low, high in ranges(text, len(uids)):
            chosen.update(uids[max(low, 1) - 1:high])
    return sorted(chosen)


def compress(numbers: list[int]) -> str:
    """``1:3,7`` for [1, 2, 3, 7] (COPYUID and APPENDUID answers)."""
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = n
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(parts)
