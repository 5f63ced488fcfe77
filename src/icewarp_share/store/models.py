"""Every table of the store, imported so that one metadata knows them all.

Migrations and tests import this module; each front end's tables live in
the store module that owns them and are listed here.
"""

from icewarp_share.store import (
    files,  # noqa: F401  file_locks, file_properties
    items,  # noqa: F401  dav_items, dav_changes
    mail,  # noqa: F401  (mail tables)
    sharing,  # noqa: F401  web_sessions
)
from icewarp_share.store.schema import Base

__all__ = ["Base"]
