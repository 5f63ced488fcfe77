"""Fixtures of the web tests: a running server and signed-in clients.

Every test talks to ``icewarp-share serve`` over real sockets: httpx for
the API (HTTP Basic, or the session cookie and CSRF token a browser
would hold), imapclient for what clients see, Chromium for the pages.
"""

from __future__ import annotations

import email
import os
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from icewarp_share import config as configuration
from icewarp_share.store import Store
from icewarp_share.store.mail import MailStore
from tests.conftest import RunningServer, _toml, free_port

PASSWORD = "demo"
SENDER = "shares@example.com"

# The demo domain plus what the tests need beyond it.
NOTIFYING = {"sharing": {"notifications": True,
                         "notification_from": SENDER}}


def basic(server: RunningServer, user: str,
          password: str = PASSWORD) -> httpx.Client:
    """An API client that sends HTTP Basic credentials, as scripts do."""
    return httpx.Client(base_url=server.http_url, auth=(user, password),
                        timeout=30)


def anonymous(server: RunningServer) -> httpx.Client:
    """A client with no credentials at all."""
    return httpx.Client(base_url=server.http_url, timeout=30)


class SessionClient(httpx.Client):
    """A client signed in through ``POST /api/session``, like the pages:
    it holds the cookie and sends the CSRF token on changes."""

    csrf: str = ""

    def request(self, method: str, url: Any, **kwargs: Any
                ) -> httpx.Response:
        if method.upper() not in ("GET", "HEAD") and self.csrf:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", self.csrf)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


def signed_in(server: RunningServer, user: str,
              password: str = PASSWORD) -> SessionClient:
    """A session client for ``user``; fails the test if sign-in fails."""
    client = SessionClient(base_url=server.http_url, timeout=30)
    answer = client.post("/api/session",
                         json={"address": user, "password": password})
    assert answer.status_code == 201, answer.text
    client.csrf = answer.json()["csrf_token"]
    return client


def inbox(server: RunningServer, user: str) -> list[Message]:
    """The messages in the INBOX of ``user``, read from the server's
    own database and message files."""
    config = configuration.load(server.config_path)
    store = Store(config)
    try:
        mail = MailStore(store)
        folder = mail.mail_folder(user, "INBOX")
        assert folder is not None
        account = store.directory.account(user)
        uids = mail.snapshot(folder.id, account.id).uids
        found = mail.messages(folder.id, uids, account.id, with_data=True)
        return [email.message_from_bytes(m.data or b"") for m in found]
    finally:
        store.close()


@pytest.fixture(scope="module")
def shared_demo(tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[RunningServer]:
    """One demo server for a whole module, notifications on.

    Starting a server costs seconds (``init``, ``demo``, ``serve``), so
    tests that each touch folders of their own share one. It is built
    like ``server_factory`` builds its servers.
    """
    base = tmp_path_factory.mktemp("web-server")
    ports = {name: free_port()
             for name in ("imap", "imaps", "lmtp", "http", "https")}
    raw: dict[str, dict[str, object]] = {
        "storage": {"data_dir": str(base / "data")},
        "imap": {"listen": [f"127.0.0.1:{ports['imap']}"],
                 "tls_listen": [f"127.0.0.1:{ports['imaps']}"]},
        "lmtp": {"listen": [f"127.0.0.1:{ports['lmtp']}"]},
        "http": {"listen": [f"127.0.0.1:{ports['http']}"],
                 "tls_listen": [f"127.0.0.1:{ports['https']}"]},
        "security": {"login_delay": 0.05, "login_delay_max": 0.2},
        **NOTIFYING,
    }
    config_path = base / "icewarp-share.toml"
    config_path.write_text(_toml(raw))
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    server = RunningServer(base / "data", config_path, ports,
                           log_path=base / "server.log", env=env)
    server.cli("init")
    server.cli("demo")
    server.start()
    yield server
    server.stop()
