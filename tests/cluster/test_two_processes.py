"""Two server processes on one PostgreSQL database and one data directory.

What an administrator gets behind a TCP load balancer: whichever process
a client reaches, it sees the same mail, grants, locks and sync state,
and changes made through one process reach the sessions of the other.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import imapclient
import pytest

from tests.conftest import RunningServer, _toml, free_port

SETUP = [
    ["domain", "add", "example.com"],
    ["account", "add", "alice@example.com", "--password", "pw"],
    ["account", "add", "bob@example.com", "--password", "pw"],
    ["share", "alice@example.com/INBOX", "bob@example.com",
     "--rights", "write"],
    ["subscribe", "bob@example.com", "alice@example.com"],
]

MESSAGE = (b"From: carol@example.com\r\nTo: alice@example.com\r\n"
           b"Subject: hello %d\r\n\r\nbody %d\r\n")


def _server(base: Path, name: str, data_dir: Path,
            database_url: str) -> RunningServer:
    ports = {k: free_port() for k in ("imap", "imaps", "lmtp", "http",
                                       "https")}
    raw = {
        "storage": {"data_dir": str(data_dir),
                    "database_url": database_url},
        "imap": {"listen": [f"127.0.0.1:{ports['imap']}"],
                 "tls_listen": [f"127.0.0.1:{ports['imaps']}"]},
        "lmtp": {"listen": [f"127.0.0.1:{ports['lmtp']}"]},
        "http": {"listen": [f"127.0.0.1:{ports['http']}"],
                 "tls_listen": [f"127.0.0.1:{ports['https']}"]},
    }
    config = base / f"{name}.toml"
    config.write_text(_toml(raw))
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return RunningServer(data_dir, config, ports,
                         log_path=base / f"{name}.log", env=env)


@pytest.fixture(scope="module")
def cluster_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One PostgreSQL database for the module's pair of processes."""
    from tests.conftest import postgres_database
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def pair(cluster_db: str, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two started processes sharing the database and data directory."""
    postgres_url = cluster_db
    tmp_path = tmp_path_factory.mktemp("cluster")
    data_dir = tmp_path / "data"
    one = _server(tmp_path, "one", data_dir, postgres_url)
    two = _server(tmp_path, "two", data_dir, postgres_url)
    one.cli("init")
    two.cli("init")  # a second init against the same database: no-op
    for args in SETUP:
        one.cli(*args)
    try:
        one.start()
        two.start()
        yield one, two
    finally:
        one.stop()
        two.stop()


def _imap(server: RunningServer, user: str) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient("127.0.0.1", server.ports["imap"],
                                   ssl=False, timeout=10)
    client.login(user, "pw")
    return client


def test_append_through_one_wakes_idle_on_the_other(pair) -> None:
    """IDLE on process two hears EXISTS within a second of an APPEND
    through process one."""
    one, two = pair
    watcher = _imap(two, "bob@example.com")
    watcher.select_folder("~alice@example.com/INBOX")
    watcher.idle()
    try:
        writer = _imap(one, "alice@example.com")
        began = time.monotonic()
        writer.append("INBOX", MESSAGE % (1, 1))
        responses = watcher.idle_check(timeout=3)
        waited = time.monotonic() - began
        assert any(r[1] == b"EXISTS" for r in responses), responses
        assert waited < 1.5
        writer.logout()
    finally:
        watcher.idle_done()
        watcher.logout()


def test_grant_through_one_is_seen_by_list_on_the_other(pair) -> None:
    """A share made through one process shows in LIST on the other."""
    one, two = pair
    alice = _imap(one, "alice@example.com")
    alice.create_folder("Projects")
    alice.setacl("Projects", "bob@example.com", "lr")
    bob = _imap(two, "bob@example.com")
    names = [name for _flags, _sep, name in bob.list_folders()]
    assert "~alice@example.com/Projects" in names
    alice.logout()
    bob.logout()


def test_concurrent_appends_through_both_get_unique_uids(pair) -> None:
    """Parallel APPENDs into one mailbox through both processes: every
    message kept, UIDs unique and increasing."""
    one, two = pair
    uids: list[int] = []
    errors: list[BaseException] = []
    owner = _imap(one, "alice@example.com")
    owner.create_folder("Load")
    owner.setacl("Load", "bob@example.com", "lrswi")
    owner.logout()

    def writer(server: RunningServer, user: str, folder: str,
               start: int) -> None:
        try:
            client = _imap(server, user)
            for n in range(start, start + 15):
                answer = client.append(folder, MESSAGE % (n, n))
                uids.append(int(answer.split(b"]")[0].split()[-1]))
            client.logout()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(one, "alice@example.com",
                                              "Load", 0)),
        threading.Thread(target=writer, args=(two, "bob@example.com",
                                              "~alice@example.com/Load",
                                              100)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(uids) == 30 and len(set(uids)) == 30
    reader = _imap(one, "alice@example.com")
    reader.select_folder("Load", readonly=True)
    stored = reader.search("ALL")
    assert len(stored) == 30
    assert sorted(reader.fetch(stored, ["UID"]).keys()) == sorted(stored)
    reader.logout()


def test_webdav_lock_through_one_is_honoured_by_the_other(pair) -> None:
    """A LOCK taken through one process blocks a PUT through the other."""
    one, two = pair
    url = "/webdav/alice@example.com/Documents/report.txt"
    auth = ("alice@example.com", "pw")
    put = httpx.put(one.http_url + url, content=b"v1", auth=auth)
    assert put.status_code in (201, 204)
    body = ('<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">'
            "<D:lockscope><D:exclusive/></D:lockscope>"
            "<D:locktype><D:write/></D:locktype></D:lockinfo>")
    lock = httpx.request("LOCK", one.http_url + url, content=body,
                         auth=auth, headers={"Timeout": "Second-300"})
    assert lock.status_code == 200
    blocked = httpx.put(two.http_url + url, content=b"v2", auth=auth)
    assert blocked.status_code == 423
    token = lock.headers["Lock-Token"]
    allowed = httpx.put(two.http_url + url, content=b"v3", auth=auth,
                        headers={"If": f"({token})"})
    assert allowed.status_code in (200, 204)


SYNC = ('<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:">'
        "<D:sync-token>{token}</D:sync-token><D:sync-level>1"
        "</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>")

EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
         "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
         "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
         "SUMMARY:Meeting {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def _sync(server: RunningServer, token: str) -> tuple[str, set[str]]:
    from xml.etree import ElementTree

    answer = httpx.request(
        "REPORT", server.http_url + "/dav/alice@example.com/Calendar/",
        content=SYNC.format(token=token), auth=("alice@example.com", "pw"),
        headers={"Depth": "1", "Content-Type": "application/xml"})
    assert answer.status_code == 207, answer.text
    tree = ElementTree.fromstring(answer.content)
    hrefs = {h.text or "" for h in tree.iter("{DAV:}href")}
    new_token = tree.findtext("{DAV:}sync-token") or ""
    return new_token, hrefs


def test_caldav_sync_tokens_agree_across_processes(pair) -> None:
    """A token from one process is valid on the other and reports the
    changes made through either."""
    one, two = pair
    auth = ("alice@example.com", "pw")
    base = "/dav/alice@example.com/Calendar/"
    token, _ = _sync(one, "")
    put = httpx.put(two.http_url + base + "a.ics",
                    content=EVENT.format(uid="a"), auth=auth,
                    headers={"Content-Type": "text/calendar"})
    assert put.status_code in (201, 204)
    token2, changed = _sync(one, token)
    assert any(h.endswith("/a.ics") for h in changed)
    put = httpx.put(one.http_url + base + "b.ics",
                    content=EVENT.format(uid="b"), auth=auth,
                    headers={"Content-Type": "text/calendar"})
    assert put.status_code in (201, 204)
    _token3, changed = _sync(two, token2)
    assert any(h.endswith("/b.ics") for h in changed)
    assert not any(h.endswith("/a.ics") for h in changed)
