"""Server wiring: opens the store and starts every configured listener.

This is the only module, with the CLI, that imports several front ends.
The reactor thread never waits on the database or the disk; front ends
run that work in thread pools.
"""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

from icewarp_share import logs
from icewarp_share.config import Config, parse_listen
from icewarp_share.store import Store
from icewarp_share.store.db import schema_is_current

log = logging.getLogger(__name__)


def run(config: Config) -> int:
    """Run the server until SIGTERM or SIGINT; return the exit status."""
    logs.configure(config.log.level)
    store = Store(config)
    if not schema_is_current(store.db.engine):
        print("icewarp-share: error: the database is not initialised or "
              "is out of date; run 'icewarp-share init'", file=sys.stderr)
        return 1
    from twisted.internet import reactor

    started = start_listeners(config, store, reactor)
    if not started:
        log.warning("no listener is configured; nothing to serve")
    for line in started:
        log.info("listening: %s", line)

    def stop(*_args: Any) -> None:
        reactor.callFromThread(reactor.stop)  # type: ignore[attr-defined]

    signal.signal(signal.SIGTERM, stop)
    reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined]
    store.close()
    log.info("stopped")
    return 0


def start_listeners(config: Config, store: Store,
                    reactor: Any) -> list[str]:
    """Start the listeners the configuration asks for; describe each."""
    from icewarp_share.imap import listeners as imap_listeners

    started = list(imap_listeners.start(config, store, reactor))
    if config.http.listen or config.http.tls_listen:
        started += _start_http(config, store, reactor)
    return started


def _start_http(config: Config, store: Store, reactor: Any) -> list[str]:
    from icewarp_share import http, tls
    from icewarp_share.auth import Authenticator
    from icewarp_share.dav import caldav, files
    from icewarp_share.web import make_app as web_app

    authenticator = Authenticator(store.directory, config.security)
    apps = {"dav": caldav.make_app(store), "webdav": files.make_app(store),
            "web": web_app(store, authenticator)}
    site = http.make_site(config, authenticator, apps, reactor,
                          ready=lambda: _database_ready(store))
    started = []
    for value in config.http.listen:
        host, port = parse_listen(value)
        reactor.listenTCP(port, site, interface=host)
        started.append(f"HTTP on {value}")
    if config.http.tls_listen:
        options = tls.server_options(config)
        for value in config.http.tls_listen:
            host, port = parse_listen(value)
            reactor.listenSSL(port, site, options, interface=host)
            started.append(f"HTTPS on {value}")
    return started


def _database_ready(store: Store) -> bool:
    """Readiness: the database answers (called from a thread pool)."""
    from sqlalchemy import text

    try:
        with store.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        log.exception("health check: database unavailable")
        return False
