"""Start the IMAP, IMAPS and LMTP listeners of the configuration.

One ``Service`` holds what every connection shares: the store, the mail
store, the authenticator, the thread pool for store work and the
registry of selected folders.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from twisted.internet.protocol import Factory, Protocol
from twisted.python.threadpool import ThreadPool

from icewarp_share import tls
from icewarp_share.auth import Authenticator
from icewarp_share.config import Config, parse_listen
from icewarp_share.store import Store
from icewarp_share.store.mail import MailStore

from .lmtp import Delivery
from .protocol import Session
from .registry import Registry

log = logging.getLogger(__name__)


class Service:
    """What the IMAP and LMTP connections of one process share."""

    def __init__(self, config: Config, store: Store, reactor: Any) -> None:
        self.config = config
        self.store = store
        self.mail = MailStore(store)
        self.authenticator = Authenticator(store.directory, config.security)
        self.registry = Registry()
        self.pool = ThreadPool(minthreads=1, maxthreads=8, name="imap-store")
        self.pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)
        self._share_changes(store.changes, reactor)
        self.tls_options: Any = None
        if config.imap.listen or config.imap.tls_listen:
            self.tls_options = tls.server_options(config)


    def _share_changes(self, feed: Any, reactor: Any) -> None:
        """Tell other processes of our changes, and our sessions of
        theirs (PostgreSQL LISTEN/NOTIFY; nothing to do on SQLite)."""
        if not feed.shared:
            return
        self.registry.hooks.append(
            lambda folder_id: self.pool.callInThread(feed.publish,
                                                     folder_id))
        feed.add_receiver(lambda folder_id: reactor.callFromThread(
            self.registry.changed_elsewhere, folder_id))
        reactor.callWhenRunning(feed.start)
        reactor.addSystemEventTrigger("before", "shutdown", feed.stop)


class _Refusal(Protocol):
    """Says why the connection is refused, then closes it."""

    def __init__(self, line: bytes) -> None:
        self.line = line

    def connectionMade(self) -> None:
        transport: Any = self.transport
        transport.write(self.line + b"\r\n")
        transport.loseConnection()


class _Factory(Factory):
    """Builds connections, at most ``limit`` at once per remote address."""

    def __init__(self, build: Any, limit: int, refusal: bytes) -> None:
        self.build = build
        self.limit = limit
        self.refusal = refusal
        self.open: Counter[str] = Counter()

    def buildProtocol(self, addr: Any) -> Protocol:
        host = str(getattr(addr, "host", "?"))
        if self.open[host] >= self.limit:
            log.warning("refused a connection from %s: %d open already",
                        host, self.open[host])
            return _Refusal(self.refusal)
        self.open[host] += 1
        protocol: Protocol = self.build()
        protocol.factory = self
        lost = protocol.connectionLost

        def forget(reason: Any = None) -> None:
            self.open[host] -= 1
            if self.open[host] <= 0:
                del self.open[host]
            lost(reason)

        protocol.connectionLost = forget  # type: ignore[method-assign]
        return protocol


def start(config: Config, store: Store, reactor: Any) -> list[str]:
    """Open every configured IMAP, IMAPS and LMTP listener; describe them."""
    if not (config.imap.listen or config.imap.tls_listen
            or config.lmtp.listen):
        return []
    service = Service(config, store, reactor)
    limit = config.security.max_connections_per_address
    busy = b"* BYE Too many connections from your address"
    plain = _Factory(lambda: Session(service, False), limit, busy)
    secure = _Factory(lambda: Session(service, True), limit, busy)
    lmtp = _Factory(lambda: Delivery(service), limit,
                    b"421 4.7.0 Too many connections from your address")
    started = []
    for value in config.imap.listen:
        host, port = parse_listen(value)
        reactor.listenTCP(port, plain, interface=host)
        started.append(f"IMAP (STARTTLS) on {value}")
    for value in config.imap.tls_listen:
        host, port = parse_listen(value)
        reactor.listenSSL(port, secure, service.tls_options, interface=host)
        started.append(f"IMAPS on {value}")
    for value in config.lmtp.listen:
        host, port = parse_listen(value)
        reactor.listenTCP(port, lmtp, interface=host)
        started.append(f"LMTP on {value}")
    return started
