"""Two server processes on one PostgreSQL database and data directory.

A lock taken through one process refuses a write through the other, and
a dead property set through one is read through the other: nothing about
locks or properties lives in a process's memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from icewarp_share import config as configuration
from icewarp_share.store import Store
from tests.conftest import RunningServer, free_port, server_factory

PASSWORD = "secret"
OWNER, WRITER = "alice@example.com", "bob@example.com"
LOCKINFO = ('<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope>'
            '<D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>'
            '</D:lockinfo>')
PATCH = ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" '
         'xmlns:Z="urn:example:tags"><D:set><D:prop><Z:state>draft'
         '</Z:state></D:prop></D:set></D:propertyupdate>')


def _second_process(first: RunningServer) -> RunningServer:
    """Another ``serve`` on the same configuration but other ports."""
    ports = {name: free_port() for name in first.ports}
    text = first.config_path.read_text()
    for name, port in first.ports.items():
        text = re.sub(rf":{port}\b", f":{ports[name]}", text)
    config_path = first.config_path.with_name("second.toml")
    config_path.write_text(text)
    second = RunningServer(first.data_dir, config_path, ports,
                           log_path=config_path.with_name("second.log"),
                           env=first.env)
    second.start()
    return second


@pytest.fixture
def two_servers(tmp_path_factory: pytest.TempPathFactory,
                postgres_url: str) -> Iterator[tuple[str, str]]:
    """Base WebDAV URLs of two processes sharing one database."""
    factories = server_factory.__wrapped__(tmp_path_factory)  # type: ignore
    factory = next(factories)
    first = factory(database_url=postgres_url, start=False)
    store = Store(configuration.load(first.config_path))
    try:
        store.directory.add_domain("example.com")
        for address in (OWNER, WRITER):
            store.directory.add_account(address, PASSWORD)
        store.directory.share(OWNER, "Documents", WRITER, "write")
    finally:
        store.close()
    first.start()
    second = _second_process(first)
    try:
        yield first.http_url + "/webdav", second.http_url + "/webdav"
    finally:
        second.stop()
        next(factories, None)


def test_lock_and_property_are_shared_between_processes(
        two_servers: tuple[str, str]) -> None:
    """Lock on one process, 423 on the other; property set, then read."""
    one, other = two_servers
    path = f"/{OWNER}/Documents/shared.txt"
    bob, alice = (WRITER, PASSWORD), (OWNER, PASSWORD)
    assert requests.put(one + path, b"v1", auth=bob,
                        timeout=30).status_code == 201
    assert requests.request("PROPPATCH", one + path, data=PATCH, auth=bob,
                            timeout=30).status_code == 207
    locked = requests.request("LOCK", one + path, data=LOCKINFO, auth=bob,
                              timeout=30)
    assert locked.status_code == 200

    assert requests.put(other + path, b"x", auth=alice,
                        timeout=30).status_code == 423
    found = requests.request("PROPFIND", other + path, auth=bob, timeout=30,
                             headers={"Depth": "0"})
    assert b"draft" in found.content
    token = locked.headers["Lock-Token"]
    assert requests.request("UNLOCK", other + path, auth=bob, timeout=30,
                            headers={"Lock-Token": token}).status_code == 204
    assert requests.put(one + path, b"v2", auth=alice,
                        timeout=30).status_code == 204
