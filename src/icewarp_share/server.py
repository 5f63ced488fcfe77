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
from icewarp_share.config import Config
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
    started: list[str] = []
    return started
