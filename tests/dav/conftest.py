"""A running server with a small sharing scenario, for the DAV tests.

One server per test module (starting one takes seconds): the accounts,
grants and subscriptions are made through the real store before
``serve`` starts, then every test talks to ``/dav/`` over a real socket.

The scenario: Alice shares her Calendar read-only with Bob, writable
with Carol and fully (administer included) with Erin; her Tasks with Bob
as author; her Contacts read-only with Bob. Dave holds no grant. Bob
subscribed to Alice's whole account, Carol and Erin to the Calendar.
The group team@example.com (Bob, Carol) has public folders. Erin's
Directory is a global address list (GAL) readable by Carol, who did not
subscribe to it.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from tests.conftest import RunningServer, _toml, free_port

from icewarp_share import config as configuration
from icewarp_share.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "secret-pw"
ALICE, BOB, CAROL, DAVE, ERIN = (
    f"{name}@example.com" for name in ("alice", "bob", "carol", "dave",
                                        "erin"))
SHARED_CALENDAR = "~alice@example.com/Calendar"


def fixture_text(name: str) -> str:
    """The text of a client fixture file of this directory."""
    return (FIXTURES / name).read_text()


def populate(store: Store) -> None:
    """The scenario described in this module's docstring."""
    directory = store.directory
    directory.add_domain("example.com")
    for address in (ALICE, BOB, CAROL, DAVE, ERIN):
        directory.add_account(address, PASSWORD,
                              display_name=address.split("@")[0].title())
    directory.share(ALICE, "Calendar", BOB, "read")
    directory.share(ALICE, "Calendar", CAROL, "write")
    directory.share(ALICE, "Calendar", ERIN, "full")
    directory.share(ALICE, "Tasks", BOB, "author")
    directory.share(ALICE, "Contacts", BOB, "read")
    directory.subscribe(BOB, ALICE)
    directory.subscribe(CAROL, ALICE, "Calendar")
    directory.subscribe(ERIN, ALICE, "Calendar")
    directory.add_group("team@example.com", display_name="Team",
                        members=[BOB, CAROL], public_folder=True)
    directory.add_folder(ERIN, "Directory", "contacts", gal=True)
    directory.share(ERIN, "Directory", CAROL, "read")


def start_server(base: Path,
                 extra: Callable[[Store], None] | None = None,
                 **sections: dict[str, object]) -> RunningServer:
    """``init``, the scenario (and ``extra``), then ``serve``."""
    ports = {"imap": free_port(), "http": free_port()}
    raw: dict[str, dict[str, object]] = {
        "storage": {"data_dir": str(base / "data")},
        "imap": {"listen": [f"127.0.0.1:{ports['imap']}"],
                 "tls_listen": []},
        "lmtp": {"listen": []},
        "http": {"listen": [f"127.0.0.1:{ports['http']}"],
                 "tls_listen": []},
        "security": {"login_delay": 0.05, "login_delay_max": 0.2},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    config_path = base / "icewarp-share.toml"
    config_path.write_text(_toml(raw))
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    server = RunningServer(base / "data", config_path, ports,
                           log_path=base / "server.log", env=env)
    server.cli("init")
    store = Store(configuration.load(config_path))
    try:
        populate(store)
        if extra is not None:
            extra(store)
    finally:
        store.close()
    server.start()
    return server


@pytest.fixture(scope="module")
def dav(tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[RunningServer]:
    """The scenario's server, shared by the tests of one module."""
    server = start_server(tmp_path_factory.mktemp("dav"))
    try:
        yield server
    finally:
        server.stop()


class Dav:
    """Plain HTTP requests to ``/dav/`` as one account."""

    def __init__(self, server: RunningServer, address: str) -> None:
        self.base = server.http_url + "/dav/"
        self.address = address
        self.session = requests.Session()
        self.session.auth = (address, PASSWORD)

    def url(self, path: str) -> str:
        """The absolute URL of a path below ``/dav/`` (or an href)."""
        return self.base + path.removeprefix("/dav/").lstrip("/")

    def request(self, method: str, path: str, body: str = "",
                **headers: str) -> requests.Response:
        """Send one request; header names use underscores for dashes."""
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        return self.session.request(method, self.url(path),
                                    data=body.encode(), headers=sent,
                                    timeout=30)

    def put(self, path: str, text: str, **headers: str
            ) -> requests.Response:
        """PUT an item."""
        return self.request("PUT", path, text, **headers)

    def propfind(self, path: str, body: str,
                 depth: str = "1") -> requests.Response:
        """PROPFIND with the given depth."""
        return self.request("PROPFIND", path, body, Depth=depth,
                            Content_Type="application/xml")

    def report(self, path: str, body: str,
               depth: str = "1") -> requests.Response:
        """REPORT with the given depth."""
        return self.request("REPORT", path, body, Depth=depth,
                            Content_Type="application/xml")


def as_user(server: RunningServer, address: str) -> Dav:
    """A plain-HTTP DAV client logged in as ``address``."""
    return Dav(server, address)



DAV_NS = "{DAV:}"
CALDAV_NS = "{urn:ietf:params:xml:ns:caldav}"
CARDDAV_NS = "{urn:ietf:params:xml:ns:carddav}"


class Found:
    """One ``response`` of a multistatus: its href and properties."""

    def __init__(self, element: ET.Element) -> None:
        self.element = element
        self.href = unquote(element.findtext(f"{DAV_NS}href") or "")
        self.found: dict[str, ET.Element] = {}
        self.missing: set[str] = set()
        self.statuses: list[str] = []
        for propstat in element.findall(f"{DAV_NS}propstat"):
            status = propstat.findtext(f"{DAV_NS}status") or ""
            self.statuses.append(status)
            for prop in propstat.find(f"{DAV_NS}prop") or ():
                if " 200 " in status:
                    self.found[prop.tag] = prop
                else:
                    self.missing.add(prop.tag)
        self.status = element.findtext(f"{DAV_NS}status") or ""

    def privileges(self) -> set[str]:
        """The privileges of ``current-user-privilege-set``, local names."""
        element = self.found.get(f"{DAV_NS}current-user-privilege-set")
        if element is None:
            return set()
        return {child.tag.rpartition("}")[2]
                for privilege in element for child in privilege}

    def text(self, tag: str) -> str:
        """The text of a found property ('' when absent)."""
        element = self.found.get(tag)
        return "" if element is None else (element.text or "")


def multistatus(response: requests.Response) -> dict[str, Found]:
    """The responses of a 207 answer, by unquoted href."""
    assert response.status_code == 207, (response.status_code,
                                         response.text)
    root = ET.fromstring(response.content)
    found = [Found(element) for element in root.findall(f"{DAV_NS}response")]
    return {entry.href: entry for entry in found}


def sync_token(response: requests.Response) -> str:
    """The sync-token of a sync-collection answer."""
    root = ET.fromstring(response.content)
    return root.findtext(f"{DAV_NS}sync-token") or ""
