"""Every table of the store, imported so that one metadata knows them all.

Migrations and tests import this module; each front end's tables live in
the store module that owns them and are listed here.
"""

from icewarp_share.store import mail  # noqa: F401  (mail tables)
from icewarp_share.store.schema import Base
from icewarp_share.store import sharing  # noqa: F401  web_sessions
from icewarp_share.store import items  # noqa: F401  dav_items, dav_changes
from icewarp_share.store import files  # noqa: F401  file_locks, file_properties

__all__ = ["Base"]
