"""Shared pieces of the fuzz tests: servers, budgets, leak patterns."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer, server_factory

PASSWORD = "fuzz-pw"
OWNER = "alice@example.com"
SETUP = [
    ["domain", "add", "example.com"],
    ["account", "add", OWNER, "--password", PASSWORD],
    ["account", "add", "bob@example.com", "--password", PASSWORD],
    ["share", f"{OWNER}/Calendar", "bob@example.com", "--rights", "read"],
    ["share", f"{OWNER}/Documents", "bob@example.com", "--rights", "read"],
]
# Examples per fuzz test; the suite's budget is about a minute each.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
RANDOM = bool(os.environ.get("FUZZ_RANDOM"))
# What must never reach a client: Python tracebacks and exception names.
LEAK = re.compile(r"Traceback|File \"|\b[A-Z][A-Za-z]*(Error|Exception)\b"
                  r"|\b(twisted|sqlalchemy|wsgidav|radicale|icewarp_share)"
                  r"\.[a-z_]+\.")
# /etc/passwd content, should an external entity ever be expanded.
XXE = re.compile(r"root:.*:0:0:")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[RunningServer]:
    """One server per fuzz module, made by the project's factory."""
    factories = server_factory.__wrapped__(tmp_path_factory)  # type: ignore
    factory = next(factories)
    yield factory(setup=SETUP)
    next(factories, None)


def answers_fresh_client(server: RunningServer) -> bool:
    """Whether a new IMAP client gets a greeting within five seconds."""
    deadline = time.monotonic() + 5
    with socket.create_connection(("127.0.0.1", server.ports["imap"]),
                                  timeout=5) as sock:
        data = b""
        while b"\r\n" not in data and time.monotonic() < deadline:
            chunk = sock.recv(200)
            if not chunk:
                break
            data += chunk
    return data.startswith(b"* OK")


def alive(server: RunningServer) -> None:
    """The process runs and answers a fresh client."""
    assert server.process is not None and server.process.poll() is None, (
        "the server died:\n" + server.log()[-3000:])
    assert answers_fresh_client(server), "no greeting for a fresh client"
