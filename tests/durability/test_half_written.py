"""Nothing half-written is visible: a file being stored is not listed.

A WebDAV PUT of a new file must not show the file to anyone (nor leave
it behind after a crash) until its whole body has been stored.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import RunningServer, server_factory

PASSWORD = "half-written-pw"
OWNER = "alice@example.com"
SETUP = [
    ["domain", "add", "example.com"],
    ["account", "add", OWNER, "--password", PASSWORD],
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[RunningServer]:
    """One server for this module, made by the project's factory."""
    factories = server_factory.__wrapped__(tmp_path_factory)  # type: ignore
    factory = next(factories)
    yield factory(setup=SETUP)
    next(factories, None)


def _start_slow_put(server: RunningServer, path: str) -> socket.socket:
    """Send the head and a first chunk of a chunked PUT, then pause."""
    sock = socket.create_connection(("127.0.0.1", server.ports["http"]),
                                    timeout=20)
    token = base64.b64encode(f"{OWNER}:{PASSWORD}".encode()).decode()
    sock.sendall(
        f"PUT {path} HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Basic {token}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"x" * 4096
    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    return sock


def test_new_file_is_invisible_while_its_body_arrives(
        server: RunningServer) -> None:
    """GET of a file whose first PUT body is still arriving answers 404."""
    path = f"/webdav/{OWNER}/Documents/upload.bin"
    sock = _start_slow_put(server, path)
    try:
        time.sleep(1.0)
        seen = requests.get(server.http_url + path, auth=(OWNER, PASSWORD),
                            timeout=20)
        sock.sendall(b"0\r\n\r\n")
        reply = sock.recv(200)
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 201"), reply
    assert seen.status_code == 404, "a file half uploaded is visible"


def _poll_sizes(url: str, done: threading.Event, seen: list[int]) -> None:
    """HEAD ``url`` until ``done``; note the length of every 200."""
    session = requests.Session()
    session.auth = (OWNER, PASSWORD)
    while not done.is_set():
        answer = session.head(url, timeout=20)
        if answer.status_code == 200:
            seen.append(int(answer.headers["Content-Length"]))


@pytest.mark.xfail(strict=True, reason=(
    "WebDAV PUT of a new file touches an empty file before writing the "
    "body: readers (and a crash) see a 0-byte file"))
def test_new_file_is_never_seen_empty_while_it_is_stored(
        server: RunningServer) -> None:
    """Readers polling a big new upload see 404 or the whole file."""
    body = b"0123456789abcdef" * (2 * 1024 * 1024)
    seen: list[int] = []
    for attempt in range(4):
        url = f"{server.http_url}/webdav/{OWNER}/Documents/big{attempt}.bin"
        done = threading.Event()
        poller = threading.Thread(target=_poll_sizes,
                                  args=(url, done, seen))
        poller.start()
        put = requests.put(url, data=body, auth=(OWNER, PASSWORD),
                           timeout=60)
        done.set()
        poller.join()
        assert put.status_code == 201
    partial = [length for length in seen if length != len(body)]
    assert not partial, f"sizes seen before the upload ended: {partial}"
