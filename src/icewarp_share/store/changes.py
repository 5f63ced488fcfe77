"""Change notices between server processes that share one database.

When several ``icewarp-share serve`` processes use one PostgreSQL
database, a change made through one (a message delivered, expunged or
flagged) must reach the IMAP sessions of the others. A notice carries
only the folder id: receivers read what changed from the store by
modseq, so a lost or duplicated notice costs a query, never data.

On PostgreSQL the feed uses LISTEN/NOTIFY on one dedicated connection in
a background thread. On SQLite, which serves one process, the feed is
local only (nothing to tell).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable

from icewarp_share.store.db import Database

log = logging.getLogger(__name__)

CHANNEL = "icewarp_folder_changed"

Receiver = Callable[[int], None]


class ChangeFeed:
    """Publish folder changes to, and receive them from, other processes.

    ``publish`` may be called from any thread but blocks on the database,
    so the reactor thread hands it to a pool. Receivers are called in the
    feed's own thread; a Twisted caller wraps them with
    ``reactor.callFromThread``.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.shared = db.dialect == "postgresql"
        self._receivers: list[Receiver] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_receiver(self, receiver: Receiver) -> None:
        """Call ``receiver(folder_id)`` for changes made elsewhere."""
        self._receivers.append(receiver)

    def publish(self, folder_id: int) -> None:
        """Tell the other processes that ``folder_id`` changed."""
        if not self.shared:
            return
        from sqlalchemy import text

        payload = f"{self.origin}:{folder_id}"
        with self.db.engine.begin() as conn:
            conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                         {"channel": CHANNEL, "payload": payload})

    def start(self) -> None:
        """Start listening (PostgreSQL only)."""
        if not self.shared or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._listen_forever, name="change-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; returns within about a second."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:  # noqa: BLE001 - reconnect on any failure
                log.exception("change feed lost its connection; "
                              "reconnecting")
                self._stop.wait(1.0)

    def _listen(self) -> None:
        import psycopg

        url = self.db.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            log.info("change feed listening on PostgreSQL")
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=0.5):
                    self._deliver(notice.payload)

    def _deliver(self, payload: str) -> None:
        origin, _, folder = payload.rpartition(":")
        if origin == self.origin or not folder.isdigit():
            return
        for receiver in list(self._receivers):
            try:
                receiver(int(folder))
            except Exception:  # noqa: BLE001 - one receiver's fault
                log.exception("change receiver failed")
