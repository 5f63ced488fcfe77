"""Durability: SIGKILL in the middle of many writes loses nothing acked.

Threads append over IMAP, deliver over LMTP and PUT over CalDAV and
WebDAV to a real server; the server is killed with SIGKILL while they
run, then started again. Every write the server had acknowledged must be
there with its exact bytes, and nothing half-written may be visible:
every message listed can be fetched and is byte-identical to one that was
sent, every file listed is one that was sent, whole.

The suite kills the server twice (``KILL_ROUNDS`` in the environment
changes that; the issue asks for ten rounds in a row before release).
"""

from __future__ import annotations

import hashlib
import imaplib
import os
import random
import re
import smtplib
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

import requests

from tests.conftest import RunningServer, ServerFactory

PASSWORD = "kill-test-pw"
OWNER = "alice@example.com"
SETUP = [
    ["domain", "add", "example.com"],
    ["account", "add", OWNER, "--password", PASSWORD],
    ["account", "add", "bob@example.com", "--password", PASSWORD],
    ["share", f"{OWNER}/INBOX", "bob@example.com", "--rights", "lrswi"],
]
ROUNDS = int(os.environ.get("KILL_ROUNDS", "2"))
WRITERS_PER_PROTOCOL = 3
WARM_UP_ACKS = 3  # acknowledged writes per protocol before the kill


@dataclass
class Ledger:
    """What was sent and what the server acknowledged, by key."""

    sent: dict[str, bytes] = field(default_factory=dict)
    acked: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, key: str, body: bytes) -> None:
        """Record a write about to be sent."""
        with self.lock:
            self.sent[key] = body

    def ack(self, key: str) -> None:
        """Record that the server acknowledged the write of ``key``."""
        with self.lock:
            self.acked[key] = self.sent[key]


def _payload(rng: random.Random, size: int) -> bytes:
    """Printable, CRLF-ended lines of about ``size`` bytes."""
    line = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ")
                 for _ in range(70))
    return (line + b"\r\n") * max(1, size // 72)


def _message(key: str, rng: random.Random) -> bytes:
    size = rng.choice([200, 3000, 60000, 400000])
    head = (f"From: writer@example.com\r\nTo: {OWNER}\r\n"
            f"Subject: {key}\r\nMessage-ID: <{key}@kill.test>\r\n"
            f"X-Kill-Key: {key}\r\n\r\n").encode()
    return head + _payload(rng, size)


def _event(key: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kill test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{key}\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
        f"SUMMARY:{key}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


FAILURES = (OSError, imaplib.IMAP4.error, smtplib.SMTPException,
            requests.RequestException)


def _loop(stop: threading.Event, prefix: str,
          one: Callable[[str], None]) -> None:
    """Call ``one(key)`` with fresh keys until stopped or cut off."""
    number = 0
    while not stop.is_set():
        number += 1
        try:
            one(f"{prefix}-{number}")
        except FAILURES:
            return


def _imap_writer(server: RunningServer, ledger: Ledger, prefix: str,
                 stop: threading.Event) -> None:
    rng = random.Random(prefix)
    try:
        client = imaplib.IMAP4("127.0.0.1", server.ports["imap"],
                               timeout=20)
        client.login(OWNER, PASSWORD)
    except FAILURES:
        return

    def one(key: str) -> None:
        body = _message(key, rng)
        ledger.attempt(key, body)
        status, _ = client.append("INBOX", "", None, body)
        if status == "OK":
            ledger.ack(key)

    _loop(stop, prefix, one)


def _lmtp_writer(server: RunningServer, ledger: Ledger, prefix: str,
                 stop: threading.Event) -> None:
    rng = random.Random(prefix)
    try:
        client = smtplib.LMTP("127.0.0.1", server.ports["lmtp"],
                              timeout=20)
    except FAILURES:
        return

    def one(key: str) -> None:
        body = _message(key, rng)
        ledger.attempt(key, body)
        refused = client.sendmail("writer@example.com", [OWNER], body)
        if not refused:
            ledger.ack(key)

    _loop(stop, prefix, one)


def _http_writer(base: str, make: Callable[[str, random.Random], bytes],
                 suffix: str, content_type: str) -> Callable[..., None]:
    def writer(server: RunningServer, ledger: Ledger, prefix: str,
               stop: threading.Event) -> None:
        rng = random.Random(prefix)
        session = requests.Session()
        session.auth = (OWNER, PASSWORD)

        def one(key: str) -> None:
            body = make(key, rng)
            ledger.attempt(key, body)
            answer = session.put(
                f"{server.http_url}{base}{key}{suffix}", data=body,
                headers={"Content-Type": content_type}, timeout=20)
            if answer.status_code in (201, 204):
                ledger.ack(key)

        _loop(stop, prefix, one)
    return writer


CALENDAR = f"/dav/{OWNER}/Calendar/"
DOCUMENTS = f"/webdav/{OWNER}/Documents/"

WRITERS = {
    "imap": _imap_writer,
    "lmtp": _lmtp_writer,
    "caldav": _http_writer(CALENDAR, lambda key, _: _event(key), ".ics",
                           "text/calendar"),
    "webdav": _http_writer(
        DOCUMENTS,
        lambda key, rng: _payload(rng, rng.choice([10, 5000, 700000])),
        ".txt", "text/plain"),
}


def _load_then_kill(server: RunningServer, ledgers: dict[str, Ledger],
                    round_number: int) -> None:
    """Run every writer, SIGKILL the server mid-flight, join the threads."""
    stop = threading.Event()
    threads = []
    for name, writer in WRITERS.items():
        for index in range(WRITERS_PER_PROTOCOL):
            prefix = f"r{round_number}-{name}{index}"
            threads.append(threading.Thread(
                target=writer, args=(server, ledgers[name], prefix, stop),
                daemon=True))
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 90
    while min(len(ledger.acked) for ledger in ledgers.values()) \
            < WARM_UP_ACKS * (round_number + 1):
        assert time.monotonic() < deadline, "the writers did not get going"
        time.sleep(0.05)
    time.sleep(random.uniform(0.2, 1.5))
    assert server.process is not None
    server.process.kill()
    server.process.wait(10)
    stop.set()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), "a writer hung after the kill"


def _fetch_mail(server: RunningServer) -> dict[str, bytes]:
    """Every INBOX message by its X-Kill-Key, fetched whole."""
    client = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=60)
    try:
        client.login(OWNER, PASSWORD)
        status, _ = client.select("INBOX", readonly=True)
        assert status == "OK"
        status, data = client.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert status == "OK", data
        found: dict[str, bytes] = {}
        for part in data:
            if not isinstance(part, tuple):
                continue
            body = part[1]
            match = re.search(rb"X-Kill-Key: (\S+)", body)
            assert match, f"a message without its key: {body[:200]!r}"
            found[match.group(1).decode()] = body
        status, count = client.status("INBOX", "(MESSAGES)")
        listed = int(re.search(rb"MESSAGES (\d+)", count[0]).group(1))
        assert listed == len(found), "a listed message could not be fetched"
        return found
    finally:
        client.logout()


def _listing(server: RunningServer, url: str) -> list[str]:
    """Names of the members of a collection (PROPFIND Depth 1)."""
    answer = requests.request(
        "PROPFIND", server.http_url + url, auth=(OWNER, PASSWORD),
        headers={"Depth": "1", "Content-Type": "application/xml"},
        data=b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
             b'<getetag/></prop></propfind>', timeout=60)
    assert answer.status_code == 207, answer.text
    root = ET.fromstring(answer.content)
    names = []
    for href in root.iter("{DAV:}href"):
        path = unquote(href.text or "")
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if not path.endswith("/"):
            names.append(name)
    return names


def _fetch_http(server: RunningServer, url: str,
                suffix: str) -> dict[str, bytes]:
    """Every member of a collection by key, fetched with GET."""
    found = {}
    session = requests.Session()
    session.auth = (OWNER, PASSWORD)
    for name in _listing(server, url):
        assert name.endswith(suffix), f"a stray member is visible: {name}"
        answer = session.get(server.http_url + url + name, timeout=60)
        assert answer.status_code == 200, (name, answer.status_code)
        found[name.removesuffix(suffix)] = answer.content
    return found


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]


def _check_mail(ledgers: dict[str, Ledger],
                stored: dict[str, bytes]) -> None:
    sent = {**ledgers["imap"].sent, **ledgers["lmtp"].sent}
    for name in ("imap", "lmtp"):
        lost = [key for key in ledgers[name].acked if key not in stored]
        assert not lost, f"acknowledged {name} writes lost: {lost}"
    for key, body in stored.items():
        assert key in sent, f"a message nobody sent: {key}"
        assert body == sent[key], (
            f"{key} differs: stored {len(body)} bytes {_digest(body)}, "
            f"sent {len(sent[key])} bytes {_digest(sent[key])}")


def _check_events(ledger: Ledger, stored: dict[str, bytes]) -> None:
    lost = [key for key in ledger.acked if key not in stored]
    assert not lost, f"acknowledged CalDAV PUTs lost: {lost}"
    for key, body in stored.items():
        assert key in ledger.sent, f"an event nobody sent: {key}"
        # The server may rewrite the calendar (PRODID, line folding): the
        # event itself must be whole, with its own UID and summary.
        text = body.decode()
        assert f"UID:{key}" in text and f"SUMMARY:{key}" in text, text
        assert text.rstrip().endswith("END:VCALENDAR"), text


def _check_files(ledger: Ledger, stored: dict[str, bytes]) -> None:
    lost = [key for key in ledger.acked if key not in stored]
    assert not lost, f"acknowledged WebDAV PUTs lost: {lost}"
    for key, body in stored.items():
        assert key in ledger.sent, f"a file nobody sent: {key}"
        if not body and key not in ledger.acked:
            # Known defect, pinned by a strict xfail in
            # test_half_written.py: a new file is created empty before
            # its body is written, so a PUT cut by the kill can leave a
            # 0-byte file behind. Remove this once that test passes.
            continue
        assert body == ledger.sent[key], (
            f"{key} is not whole: {len(body)} of "
            f"{len(ledger.sent[key])} bytes")


def test_sigkill_during_concurrent_writes_keeps_every_acked_write(
        server_factory: ServerFactory) -> None:
    """Acked APPEND/LMTP/PUT survive SIGKILL; nothing half-written shows."""
    server = server_factory(setup=SETUP)
    ledgers = {name: Ledger() for name in WRITERS}
    for round_number in range(ROUNDS):
        _load_then_kill(server, ledgers, round_number)
        server.start()
        acked = {name: len(ledger.acked) for name, ledger in ledgers.items()}
        assert all(acked.values()), f"some protocol never wrote: {acked}"
        _check_mail(ledgers, _fetch_mail(server))
        _check_events(ledgers["caldav"],
                      _fetch_http(server, CALENDAR, ".ics"))
        _check_files(ledgers["webdav"],
                     _fetch_http(server, DOCUMENTS, ".txt"))
