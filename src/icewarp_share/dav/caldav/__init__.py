"""CalDAV and CardDAV at ``/dav/``: Radicale driven by our plugins.

``make_app`` builds Radicale's WSGI application with our auth (identity
from the HTTP site), rights (the ACL core) and storage (our database)
plugins; Radicale's own htpasswd, rights file and filesystem storage are
never used.
"""

from __future__ import annotations

import logging
from typing import Any

from radicale import config as radicale_config

from icewarp_share.dav.caldav import properties
from icewarp_share.dav.caldav.app import Application
from icewarp_share.dav.caldav.auth import Auth
from icewarp_share.dav.caldav.places import Places
from icewarp_share.dav.caldav.rights import Rights
from icewarp_share.dav.caldav.storage import Storage
from icewarp_share.store import Store
from icewarp_share.store.items import ItemStore

__all__ = ["make_app"]


def _configuration(store: Store, places: Places) -> Any:
    """Radicale's configuration: our plugins, no files, no delays."""
    limit = store.config.http.max_request_body
    configuration = radicale_config.load()
    configuration.update({
        "auth": {"type": Auth, "delay": "0", "realm": "icewarp-share"},
        "rights": {"type": lambda cfg: Rights(cfg, places)},
        "storage": {"type": lambda cfg: Storage(cfg, store)},
        "web": {"type": "none"},
        "server": {"max_content_length": str(limit),
                   "max_resource_size": str(int(limit * 0.8)),
                   "delay_on_error": "0", "validate_path_value": "none"},
    }, "icewarp-share", privileged=True)
    return configuration


def make_app(store: Store) -> Application:
    """The WSGI application serving ``/dav/`` for ``store``."""
    logging.getLogger("radicale").setLevel(logging.WARNING)
    properties.install()
    places = Places(store)
    return Application(_configuration(store, places), places,
                       ItemStore(store.db), store.config.http.max_request_body)
