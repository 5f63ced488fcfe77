"""The directory and the store: accounts, folders, grants and content.

``open_store`` is the one way the CLI and the server get at the data: it
reads the configuration, opens the database and hands out the parts.
"""

from __future__ import annotations

from pathlib import Path

from icewarp_share import acl
from icewarp_share.config import Config
from icewarp_share.store.changes import ChangeFeed
from icewarp_share.store.db import Database
from icewarp_share.store.directory import Directory, MapPolicy


class Store:
    """The database, the data directory and the operations over them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.data_dir: Path = config.data_dir
        self.db = Database(config.database_url)
        self.prefixes = acl.Prefixes(config.sharing.shared_prefix,
                                     config.sharing.public_prefix)
        policy = MapPolicy(self.data_dir, tuple(
            Path(root) for root in config.storage.map_roots))
        self.directory = Directory(self.db, self.prefixes, policy)
        self.changes = ChangeFeed(self.db)
        # Sharing notices follow every grant, whoever makes it (CLI, web,
        # IMAP SETACL), so they hang on the store, not on a front end.
        from icewarp_share.store import sharing
        sharing.install(self)

    def close(self) -> None:
        """Stop the change feed and release database connections."""
        self.changes.stop()
        self.db.dispose()


def open_store(config: Config) -> Store:
    """A Store for ``config``; the schema must have been migrated."""
    return Store(config)
