"""Sharing for people: web pages at ``/`` and the JSON API at ``/api/``.

``make_app(store)`` is the WSGI application the HTTP site mounts for
every path that is not DAV. It signs browsers in with its own form and
session cookie, and takes HTTP Basic identities from the HTTP layer.
"""

from __future__ import annotations

from icewarp_share.auth import Authenticator
from icewarp_share.store import Store
from icewarp_share.store.sharing import install as sharing_install
from icewarp_share.web import api, pages
from icewarp_share.web.app import WebApp


def make_app(store: Store,
             authenticator: Authenticator | None = None) -> WebApp:
    """The WSGI application of the pages and the API over ``store``.

    Pass the server's ``authenticator`` so that failed sign-ins on the
    form and failed Basic logins share one throttle; without it the app
    keeps a throttle of its own.
    """
    if authenticator is None:
        authenticator = Authenticator(store.directory, store.config.security)
    return WebApp(store, authenticator, (api.routes, pages.routes))


__all__ = ["make_app", "sharing_install"]
