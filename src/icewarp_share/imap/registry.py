"""Which sessions have which folder selected, to push changes to them.

A session that changes a folder calls ``changed``; every other session
with that folder selected is told to synchronise (idle ones at once,
busy ones at their next command). Sessions read what changed from the
store by modseq, so a notice carries no data: a PostgreSQL LISTEN/NOTIFY
listener only has to call ``changed`` for changes made by other
processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Listener(Protocol):
    """A session that wants to hear that its folder changed."""

    def folder_changed(self) -> None:
        """Synchronise with the store now or at the next chance."""


class Registry:
    """Folder id to the sessions that have it selected (reactor thread)."""

    def __init__(self) -> None:
        self._selected: dict[int, set[Listener]] = {}
        self.hooks: list[Callable[[int], None]] = []

    def add(self, folder_id: int, session: Listener) -> None:
        """``session`` selected the folder."""
        self._selected.setdefault(folder_id, set()).add(session)

    def remove(self, folder_id: int, session: Listener) -> None:
        """``session`` closed the folder or went away."""
        sessions = self._selected.get(folder_id)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._selected[folder_id]

    def changed(self, folder_id: int,
                origin: Listener | None = None) -> None:
        """Tell every session with the folder selected, but ``origin``."""
        for session in list(self._selected.get(folder_id, ())):
            if session is not origin:
                session.folder_changed()
        for hook in self.hooks:
            hook(folder_id)

    def changed_elsewhere(self, folder_id: int) -> None:
        """Tell the sessions of a change another process made.

        Unlike ``changed`` this runs no hooks: re-publishing a notice
        that came from another process would bounce it back forever.
        """
        for session in list(self._selected.get(folder_id, ())):
            session.folder_changed()
