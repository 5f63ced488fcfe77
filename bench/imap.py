"""IMAP against Debian's Dovecot (acl plugin): same users, same messages.

Both servers get the owner and the sharee accounts; the owner fills a
mailbox through three sizes by APPEND (eight clients at once) and at each
size the benchmark times SELECT, FETCH 1:* (FLAGS ENVELOPE), UID SEARCH
on a header, STORE +FLAGS on 1:* and the sharee's SELECT of the owner's
mailbox (shared read-only with the server's own sharing: a grant on
ours, SETACL on Dovecot). APPEND itself is timed on a second mailbox by
one client and by eight concurrent clients. The client is Python's
imaplib for both servers.
"""

from __future__ import annotations

import imaplib
import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import servers
from bench.measure import Sample, repeat
from bench.table import Row

log = logging.getLogger(__name__)

OWNER = "owner@bench.example"
SHAREE = "sharee@bench.example"
MAILBOX = "Bench"
SIZES = (2_000, 4_000, 8_000, 15_000, 40_000, 120_000)
WEIGHTS = (25, 25, 20, 15, 10, 5)
"""Message sizes in bytes and how often each occurs (percent)."""

BODY_LINE = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n"


@dataclass(frozen=True)
class Plan:
    """Sizes and loop bounds of the IMAP area."""

    mailbox_sizes: tuple[int, ...]
    appends: int
    clients: int = 8
    count: int = 5
    budget: float = 30.0
    fill_budget: float = 1800.0


@dataclass
class Imap:
    """One server as the benchmark drives it."""

    name: str
    port: int
    shared_name: str
    grant: Callable[[], None]
    results: dict[str, Sample] = field(default_factory=dict)

    def login(self, user: str = OWNER) -> imaplib.IMAP4:
        """A logged-in client connection."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user, servers.PASSWORD)
        return client


def message(i: int, size: int | None = None) -> bytes:
    """Message number ``i``, of a realistic size unless one is given."""
    rng = random.Random(i)
    if size is None:
        size = rng.choices(SIZES, WEIGHTS)[0]
    header = (f"From: Sender {i % 50} <sender{i % 50}@example.org>\r\n"
              f"To: {OWNER}\r\n"
              f"Subject: Report {i} on topic {i % 97}\r\n"
              f"Date: Mon, 02 Mar 2026 10:{i % 60:02d}:00 +0000\r\n"
              f"Message-ID: <bench-{i}@example.org>\r\n"
              f"X-Bench-Topic: topic-{i % 97}\r\n"
              "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    lines = max(1, (size - len(header)) // len(BODY_LINE))
    return header + BODY_LINE * lines


def run(plan: Plan, work: Path) -> list[Row]:
    """Every IMAP line: ours against Dovecot."""
    found: dict[str, dict[str, Sample]] = {}
    errors: dict[str, str] = {}
    for name, start in (("ours", _ours), ("peer", _dovecot)):
        try:
            with start(work) as imap:
                found[name] = imap.results
                _measure(plan, imap)
        except Exception as error:
            log.exception("IMAP: %s failed", name)
            errors[name] = (str(error) or type(error).__name__)[:300]
    return _rows(plan, found, errors)


# region servers


@contextmanager
def _ours(work: Path) -> Iterator[Imap]:
    ours = servers.prepare_ours(work / "ours")
    store = ours.store()
    try:
        store.directory.add_domain("bench.example")
        for user in (OWNER, SHAREE):
            store.directory.add_account(user, servers.PASSWORD)
        prefix = store.prefixes.shared
    finally:
        store.close()

    def grant() -> None:
        store = ours.store()
        try:
            store.directory.share(OWNER, MAILBOX, SHAREE, "read")
        finally:
            store.close()

    with servers.serve_ours(ours) as server:
        yield Imap("ours", server.ports["imap"],
                   f"{prefix}{OWNER}/{MAILBOX}", grant)


@contextmanager
def _dovecot(work: Path) -> Iterator[Imap]:
    base = work / "dovecot"
    base.mkdir()
    with servers.serve_dovecot(base, [OWNER, SHAREE]) as server:
        imap = Imap("dovecot", server.ports["imap"],
                    f"shared/{OWNER}/{MAILBOX}", lambda: None)

        def grant() -> None:
            client = imap.login()
            try:
                _ok(client.setacl(MAILBOX, SHAREE, "lr"))
            finally:
                client.logout()

        imap.grant = grant
        yield imap


# region measures


def _measure(plan: Plan, imap: Imap) -> None:
    _create(imap, MAILBOX)
    imap.grant()
    done = 0
    for n in plan.mailbox_sizes:
        _fill(plan, imap, done, n)
        done = n
        _mailbox_measures(plan, imap, n)
    _append_measures(plan, imap)


def _create(imap: Imap, name: str) -> None:
    client = imap.login()
    try:
        _ok(client.create(name))
    finally:
        client.logout()


def _fill(plan: Plan, imap: Imap, first: int, last: int) -> None:
    """APPEND small messages ``first`` to ``last - 1``, eight clients."""
    deadline = time.monotonic() + plan.fill_budget
    numbers = list(range(first, last))
    shares = [numbers[k::plan.clients] for k in range(plan.clients)]

    def fill(share: list[int]) -> None:
        client = imap.login()
        try:
            for i in share:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"filling stopped: over {plan.fill_budget:.0f} s")
                _ok(client.append(MAILBOX, None, None, message(i, 2_000)))
        finally:
            client.logout()

    with ThreadPoolExecutor(plan.clients) as pool:
        for _ in pool.map(fill, shares):
            pass


def _mailbox_measures(plan: Plan, imap: Imap, n: int) -> None:
    client = imap.login()
    r = imap.results
    try:
        r[f"select-{n}"] = _timed(plan, lambda: _select(client, MAILBOX, n))
        r[f"fetch-{n}"] = _timed(plan, lambda: _ok(
            client.fetch("1:*", "(FLAGS ENVELOPE)")))
        r[f"search-{n}"] = _timed(plan, lambda: _ok(client.uid(
            "SEARCH", "HEADER", "X-Bench-Topic", "topic-42")))
        r[f"store-{n}"] = _timed(plan, lambda: _store_both(client))
    finally:
        client.logout()
    sharee = imap.login(SHAREE)
    try:
        r[f"shared-{n}"] = _timed(
            plan, lambda: _select(sharee, imap.shared_name, n, True))
    finally:
        sharee.logout()


def _timed(plan: Plan, operation: Callable[[], object]) -> Sample:
    return repeat(lambda _: operation(), plan.count, plan.budget)


def _select(client: imaplib.IMAP4, name: str, n: int,
            readonly: bool = False) -> None:
    typ, data = client.select(_quote(name), readonly)
    _ok((typ, data))
    if int(data[0] or 0) < n:
        raise RuntimeError(f"SELECT {name} shows {data[0]!r}, not {n}")


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _store_both(client: imaplib.IMAP4) -> None:
    # One timed unit sets and clears the flag, so every run does the
    # same work on the same state.
    _ok(client.store("1:*", "+FLAGS.SILENT", "(\\Flagged)"))
    _ok(client.store("1:*", "-FLAGS.SILENT", "(\\Flagged)"))


def _append_measures(plan: Plan, imap: Imap) -> None:
    for clients in (1, plan.clients):
        name = f"Append-{clients}"
        _create(imap, name)
        imap.results[f"append-{clients}"] = _append(plan, imap, name,
                                                    clients)


def _append(plan: Plan, imap: Imap, name: str, clients: int) -> Sample:
    """Total seconds for ``plan.appends`` messages by ``clients``."""
    shares = [list(range(k, plan.appends, clients))
              for k in range(clients)]

    def one(share: list[int]) -> None:
        client = imap.login()
        try:
            for i in share:
                _ok(client.append(name, None, None, message(i)))
        finally:
            client.logout()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for _ in pool.map(one, shares):
            pass
    return Sample((time.perf_counter() - started,))


def _ok(answer: tuple[str, object]) -> None:
    if answer[0] != "OK":
        raise RuntimeError(f"IMAP answered {answer!r}"[:200])


# region rows


def _rows(plan: Plan, found: dict[str, dict[str, Sample]],
          errors: dict[str, str]) -> list[Row]:
    rows = [
        _row(f"APPEND {plan.appends} messages, {c} client(s)",
             f"{plan.appends} msgs", f"append-{c}", found, errors)
        for c in (1, plan.clients)]
    for n in plan.mailbox_sizes:
        size = f"{n} msgs"
        rows.append(_row("SELECT", size, f"select-{n}", found, errors,
                         absolute=0.2 if n >= 100_000 else None))
        rows.append(_row("FETCH 1:* (FLAGS ENVELOPE)", size, f"fetch-{n}",
                         found, errors))
        rows.append(_row("UID SEARCH HEADER", size, f"search-{n}", found,
                         errors))
        rows.append(_row("STORE +FLAGS then -FLAGS 1:*", size,
                         f"store-{n}", found, errors))
        rows.append(_row("SELECT shared mailbox by sharee", size,
                         f"shared-{n}", found, errors))
    return rows


def _row(measure: str, size: str, key: str,
         found: dict[str, dict[str, Sample]], errors: dict[str, str],
         absolute: float | None = None) -> Row:
    ours = found.get("ours", {}).get(key)
    peer = found.get("peer", {}).get(key)
    target = "within 2x"
    if absolute is not None:
        target += f", < {absolute * 1000:.0f} ms"
    row = Row("IMAP", measure, size,
              ours.median if ours else None, ours.p99 if ours else None,
              peer.median if peer else None, peer.p99 if peer else None,
              target=target)
    notes = []
    if "ours" in errors and ours is None:
        notes.append(f"our server gave no figure: {errors['ours']}")
    if "peer" in errors and peer is None:
        notes.append(f"Dovecot gave no figure: {errors['peer']}")
    row.note = "; ".join(notes)
    if row.ratio is not None:
        row.met = row.ratio <= 2 and (
            absolute is None or (row.ours or 0) < absolute)
    return row
