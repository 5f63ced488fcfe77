"""What one CalDAV/CardDAV request knows about who is asking.

Radicale calls the storage and rights plugins without the WSGI environ,
so the application puts the authenticated account here for the duration
of one request (each request runs start to end on one worker thread), and
the plugins read it back. Decisions taken during the request are cached
here too, so one request asks the directory once per folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from icewarp_share import acl


@dataclass
class RequestState:
    """The asking account and what was looked up for it so far.

    ``freebusy`` is set for free-busy queries, where hidden items still
    count as busy time; ``destination`` is a MOVE's target path.
    """

    account: str
    viewer: acl.Viewer | None
    freebusy: bool = False
    destination: str | None = None
    script_name: str = ""
    cache: dict[Any, Any] = field(default_factory=dict)


_current: ContextVar[RequestState | None] = ContextVar(
    "icewarp_dav_request", default=None)


@contextlib.contextmanager
def serving(state: RequestState) -> Iterator[RequestState]:
    """Make ``state`` the current request's for the ``with`` block."""
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def current() -> RequestState | None:
    """The state of the request being served, or None outside one."""
    return _current.get()
