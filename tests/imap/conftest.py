"""Fixtures of the IMAP tests: a running server with a small domain.

alice shares folders with bob and carol; dave is in the domain but gets
nothing. Every password is ``secret``. Clients are real ``imaplib``
connections over loopback sockets. Starting a server costs tens of
seconds, so the IMAP tests share one server (the project's
``server_factory``, held for the package) and use distinct folders or
accounts where they change state.
"""

from __future__ import annotations

import imaplib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import RunningServer, server_factory

PASSWORD = "secret"

SETUP = [
    ["domain", "add", "example.com"],
    ["account", "add", "alice@example.com", "--password", PASSWORD],
    ["account", "add", "bob@example.com", "--password", PASSWORD],
    ["account", "add", "carol@example.com", "--password", PASSWORD],
    ["account", "add", "dave@example.com", "--password", PASSWORD],
    ["folder", "add", "alice@example.com/Projects", "--kind", "mail"],
    ["folder", "add", "alice@example.com/Reports", "--kind", "mail"],
    ["folder", "add", "alice@example.com/Drop", "--kind", "mail"],
    ["share", "alice@example.com/INBOX", "bob@example.com",
     "--rights", "lrs"],
    ["share", "alice@example.com/Projects", "bob@example.com",
     "--rights", "lrsip"],
    ["share", "alice@example.com/Projects", "carol@example.com",
     "--rights", "lrs"],
    ["share", "alice@example.com/Reports", "carol@example.com",
     "--rights", "lrs"],
    ["share", "alice@example.com/Drop", "bob@example.com",
     "--rights", "lrswipkxte"],
    ["group", "add", "team@example.com", "--member", "bob@example.com",
     "--member", "carol@example.com", "--public-folder",
     "--deliver-to-folder"],
]


@pytest.fixture(scope="package")
def imap_server(tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[RunningServer]:
    """One server for the IMAP tests, made by the project's factory."""
    factories = server_factory.__wrapped__(tmp_path_factory)  # type: ignore
    factory = next(factories)
    yield factory(setup=SETUP)
    next(factories, None)


Login = Callable[..., imaplib.IMAP4]


@pytest.fixture
def login(imap_server: RunningServer) -> Iterator[Login]:
    """Open a logged-in imaplib client for an account; closed at the end."""
    opened: list[imaplib.IMAP4] = []

    def connect(user: str, **options: Any) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", imap_server.ports["imap"],
                               timeout=15)
        client.login(user, PASSWORD)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        try:
            client.logout()
        except Exception:  # noqa: BLE001, S110 - the test closed it
            pass
