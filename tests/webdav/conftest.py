"""Fixtures of the WebDAV tests: one running server with shared files.

alice owns the folders; bob may write in ``Documents`` (preset write) and
do everything in ``Team`` (preset all); carol may only read
``Documents``; erin may only look it up; dave gets nothing. ``Flat`` is a
directory of the server mapped non-recursively, ``Tree`` one mapped
recursively. Every password is ``secret``. Requests go over loopback
sockets with ``requests``, a real HTTP client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from icewarp_share import config as configuration
from icewarp_share.store import Store
from tests.conftest import RunningServer, server_factory

PASSWORD = "secret"
ALICE, BOB, CAROL = ("alice@example.com", "bob@example.com",
                     "carol@example.com")
DAVE, ERIN = "dave@example.com", "erin@example.com"
UPLOAD_LIMIT = 4 * 2 ** 20
"""[http] max_upload_size of the test server, small to test 413."""


def _setup(store: Store, mapped: Path) -> None:
    """Accounts, folders and grants, made in-process before the start.

    The directory calls are the ones the CLI makes; doing them here
    spares a dozen interpreter starts on a busy machine.
    """
    directory = store.directory
    directory.add_domain("example.com")
    for address in (ALICE, BOB, CAROL, DAVE, ERIN):
        directory.add_account(address, PASSWORD)
    directory.add_folder(ALICE, "Team", "files")
    directory.add_folder(ALICE, "Flat", "files",
                         map_dir=str(mapped / "flat"))
    directory.add_folder(ALICE, "Tree", "files",
                         map_dir=str(mapped / "tree"), recursive=True)
    for path, grantee, rights in (
            ("Documents", BOB, "write"), ("Documents", CAROL, "read"),
            ("Documents", ERIN, "l"), ("Team", BOB, "all"),
            ("Flat", BOB, "all"), ("Tree", BOB, "all")):
        directory.share(ALICE, path, grantee, rights)


def _mapped_directories(base: Path) -> None:
    """A flat directory with a subdirectory and two links, and a tree."""
    flat = base / "flat"
    (flat / "sub").mkdir(parents=True)
    (flat / "visible.txt").write_text("visible\n")
    (flat / "sub" / "hidden.txt").write_text("below the top level\n")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for WebDAV clients\n")
    (flat / "escape.txt").symlink_to(outside / "secret.txt")
    (flat / "alias.txt").symlink_to(flat / "visible.txt")
    # Names no XML answer can carry: not UTF-8, and a control character.
    with open(bytes(flat) + b"/latin1-\xe9.txt", "wb") as handle:
        handle.write(b"x")
    (flat / "bell\x07.txt").write_text("x")
    tree = base / "tree" / "docs"
    tree.mkdir(parents=True)
    (tree / "guide.txt").write_text("guide\n")
    (base / "tree" / "out").symlink_to(outside)


@dataclass
class WebDav:
    """The server under test, its mapped directories and a client."""

    server: RunningServer
    mapped: Path

    @property
    def base(self) -> str:
        """URL of the WebDAV root on the plain HTTP listener."""
        return self.server.http_url + "/webdav"

    def request(self, user: str | None, method: str, path: str,
                body: bytes | str = b"", headers: dict[str, str] | None = None,
                **options: Any) -> requests.Response:
        """Send one request as ``user`` (None: without credentials)."""
        url = path if path.startswith("http") else self.base + path
        auth = None if user is None else (user, PASSWORD)
        data = body.encode() if isinstance(body, str) else body
        return requests.request(method, url, data=data, auth=auth,
                                headers=headers or {}, timeout=30,
                                **options)


@pytest.fixture(scope="package")
def webdav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDav]:
    """One server for the WebDAV tests, made by the server factory."""
    mapped = tmp_path_factory.mktemp("mapped")
    _mapped_directories(mapped)
    factories = server_factory.__wrapped__(tmp_path_factory)  # type: ignore
    factory = next(factories)
    server = factory(start=False, http={"max_upload_size": UPLOAD_LIMIT})
    store = Store(configuration.load(server.config_path))
    try:
        _setup(store, mapped)
    finally:
        store.close()
    server.start()
    yield WebDav(server, mapped)
    next(factories, None)


def propfind_body(*names: str) -> str:
    """A PROPFIND body asking for DAV: properties by name."""
    props = "".join(f"<D:{name}/>" for name in names)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            f'<D:propfind xmlns:D="DAV:"><D:prop>{props}</D:prop>'
            '</D:propfind>')
