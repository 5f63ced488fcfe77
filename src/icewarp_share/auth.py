"""Authentication shared by every protocol: password check and throttling.

Failed logins slow down the next attempt from the same remote address
and for the same account, doubling up to a ceiling. The throttle only
computes delays; each front end waits without holding a worker thread
(Twisted ``callLater`` or an immediate refusal), so an attacker cannot
exhaust the thread pools by failing slowly.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from icewarp_share.config import SecuritySection
from icewarp_share.store.directory import Directory
from icewarp_share.store.schema import Account

log = logging.getLogger(__name__)

# Entries older than this many seconds past their delay are forgotten.
_FORGET_AFTER = 600.0


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped and mapped.is_loopback))


def plaintext_allowed(policy: str, remote_host: str, secure: bool) -> bool:
    """May a password be accepted on this connection?

    ``policy`` is ``never``, ``loopback`` or ``always`` (the configuration's
    ``plaintext_login`` / ``plaintext_auth``); TLS connections always may.
    """
    if secure or policy == "always":
        return True
    return policy == "loopback" and is_loopback(remote_host)


@dataclass
class _Strikes:
    count: int
    until: float


class LoginThrottle:
    """Per-address and per-account delays after failed logins."""

    def __init__(self, base: float, maximum: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self.maximum = maximum
        self.clock = clock
        self._strikes: dict[str, _Strikes] = {}
        self._lock = threading.Lock()

    def delay(self, remote: str, address: str = "") -> float:
        """Seconds the caller must wait before answering this attempt."""
        now = self.clock()
        with self._lock:
            waits = [s.until - now for key in _keys(remote, address)
                     if (s := self._strikes.get(key)) is not None]
        return max([0.0, *waits])

    def failed(self, remote: str, address: str = "") -> float:
        """Record a failure; return the delay the next attempt will get."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            self._forget_old(now)
            for key in _keys(remote, address):
                strikes = self._strikes.get(key) or _Strikes(0, now)
                strikes.count += 1
                wait = min(self.maximum,
                           self.base * 2 ** (strikes.count - 1))
                strikes.until = now + wait
                self._strikes[key] = strikes
                longest = max(longest, wait)
        return longest

    def succeeded(self, remote: str, address: str = "") -> None:
        """Forget the failures of this account (the address keeps its)."""
        with self._lock:
            self._strikes.pop(f"account:{address.lower()}", None)

    def _forget_old(self, now: float) -> None:
        stale = [k for k, s in self._strikes.items()
                 if s.until + _FORGET_AFTER < now]
        for key in stale:
            del self._strikes[key]


def _keys(remote: str, address: str) -> list[str]:
    keys = [f"remote:{remote}"]
    if address:
        keys.append(f"account:{address.lower()}")
    return keys


class Authenticator:
    """Checks passwords against the directory and keeps the throttle."""

    def __init__(self, directory: Directory,
                 security: SecuritySection) -> None:
        self.directory = directory
        self.throttle = LoginThrottle(security.login_delay,
                                      security.login_delay_max)

    def verify(self, address: str, password: str) -> Account | None:
        """The account if the password is right. Blocking: use a thread."""
        if not address or not password or len(address) > 320 \
                or len(password) > 4096:
            return None
        return self.directory.authenticate(address, password)

    def record(self, account: Account | None, address: str, remote: str,
               protocol: str) -> None:
        """Log the outcome of a login and update the throttle."""
        if account is not None:
            self.throttle.succeeded(remote, account.address)
            log.info("%s login of %s from %s", protocol, account.address,
                     remote)
            return
        wait = self.throttle.failed(remote, address)
        log.warning("%s login failed for %r from %s (next attempt "
                    "delayed %.1fs)", protocol, address[:320], remote, wait)
