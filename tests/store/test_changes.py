"""Change notices between processes on one PostgreSQL database."""

from __future__ import annotations

import threading

from icewarp_share.store.changes import ChangeFeed
from icewarp_share.store.db import Database


def test_notice_reaches_another_feed_within_a_second(
        postgres_url: str) -> None:
    """A folder change published by one process reaches the other, and a
    process does not hear its own notices (it told its sessions itself)."""
    first, second = Database(postgres_url), Database(postgres_url)
    one, two = ChangeFeed(first), ChangeFeed(second)
    heard_by_two: list[int] = []
    heard_by_one: list[int] = []
    arrived = threading.Event()

    def on_two(folder: int) -> None:
        heard_by_two.append(folder)
        arrived.set()

    two.add_receiver(on_two)
    one.add_receiver(heard_by_one.append)
    one.start()
    two.start()
    try:
        # Give both LISTENs a moment to be registered, then publish.
        for _ in range(20):
            one.publish(42)
            if arrived.wait(0.5):
                break
        assert heard_by_two and set(heard_by_two) == {42}
        assert heard_by_one == []
    finally:
        one.stop()
        two.stop()
        first.dispose()
        second.dispose()


def test_sqlite_feed_is_local_only(tmp_path) -> None:
    """On SQLite (one process) publishing is a no-op, not an error."""
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    feed = ChangeFeed(db)
    feed.start()
    feed.publish(1)
    feed.stop()
    assert not feed.shared
