"""CalDAV and CardDAV against stock Radicale: same items, same requests.

Ours serves ``/dav/<address>/Calendar/`` and ``/Contacts/``; Radicale
(filesystem storage, a rights file giving each user their own home)
serves ``/<address>/calendar/`` and ``/contacts/``. Each calendar grows
through three sizes; at each size the server answers a single PUT, a
one-week time-range query, a multiget of 100 hrefs and a sync-collection
after one change. The address book grows the same way under an
addressbook-query, and the viewer's home under PROPFIND Depth 1 as it
fills with calendars shared with it.

Ours is filled over HTTP (PUT, four clients at once); Radicale's
collections are written straight into its storage folder in its own
format, because filling it by PUT is quadratic (every PUT scans the
whole collection) and would take hours at 10,000 items. Its item cache
is built by the first request after each fill, before timing starts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import servers
from bench.measure import Sample, repeat
from bench.table import Row

log = logging.getLogger(__name__)

VIEWER = "viewer@bench.example"
SHARER = "sharer@bench.example"
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
WEEK = ("20260302T000000Z", "20260309T000000Z")

QUERY = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{WEEK[0]}" end="{WEEK[1]}"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"""

CARD_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-query xmlns:D="DAV:"
 xmlns:CR="urn:ietf:params:xml:ns:carddav">
<D:prop><D:getetag/></D:prop>
<CR:filter><CR:prop-filter name="FN">
<CR:text-match collation="i;unicode-casemap" match-type="contains"
>Person 12</CR:text-match></CR:prop-filter></CR:filter>
</CR:addressbook-query>"""

SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>
</D:sync-collection>"""

TOKEN = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>"""

XML = {"Content-Type": "application/xml; charset=utf-8"}

NOTES = {
    "peer-fill": (
        "Radicale's collections are written into its storage folder "
        "directly (its own file format), not by PUT; see the module "
        "docstring."),
}


@dataclass(frozen=True)
class Plan:
    """Sizes and loop bounds of the CalDAV/CardDAV area."""

    events: tuple[int, ...]
    cards: tuple[int, ...]
    calendars: tuple[int, ...]
    count: int = 10
    budget: float = 20.0
    fill_budget: float = 900.0


@dataclass
class Dav:
    """One server as the benchmark drives it."""

    name: str
    http: httpx.Client
    calendar: str
    contacts: str
    home: str
    fill_events: Callable[[int, int], None]
    fill_cards: Callable[[int, int], None]
    add_calendars: Callable[[int, int], None]
    results: dict[str, Sample] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)


def event(i: int, summary: str = "") -> str:
    """Event number ``i``: one hour somewhere in 2026."""
    start = YEAR + timedelta(minutes=(i * 7919) % 525_600)
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    end = (start + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
            "BEGIN:VEVENT\r\n"
            f"UID:bench-event-{i}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:{stamp}\r\nDTEND:{end}\r\n"
            f"SUMMARY:{summary or f'Meeting {i} about the budget'}\r\n"
            f"LOCATION:Room {i % 40}\r\n"
            "DESCRIPTION:Agenda: review, figures, next steps. "
            "Bring the numbers from last quarter.\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def card(i: int) -> str:
    """Contact number ``i``."""
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"UID:bench-card-{i}\r\nFN:Person {i}\r\n"
            f"N:{i};Person;;;\r\nEMAIL;TYPE=INTERNET:person{i}@example.org"
            f"\r\nTEL;TYPE=CELL:+1 555 {i:07d}\r\n"
            "ORG:Example Company\r\nEND:VCARD\r\n")


def run(plan: Plan, work: Path) -> list[Row]:
    """Every CalDAV/CardDAV line: ours against Radicale."""
    found: dict[str, dict[str, Sample]] = {}
    answers: dict[str, dict[str, int]] = {}
    errors: dict[str, str] = {}
    for name, start in (("ours", _ours), ("peer", _radicale)):
        try:
            with start(plan, work) as dav:
                found[name] = dav.results
                _measure(plan, dav)
                answers[name] = dav.answers
        except Exception as error:
            log.exception("CalDAV: %s failed", name)
            errors[name] = (str(error) or type(error).__name__)[:300]
    rows = _rows(plan, found, errors)
    _compare_answers(rows, plan, answers)
    return rows


# region ours


@contextmanager
def _ours(plan: Plan, work: Path) -> Iterator[Dav]:
    ours = servers.prepare_ours(work / "ours")
    store = ours.store()
    try:
        store.directory.add_domain("bench.example")
        for user in (VIEWER, SHARER):
            store.directory.add_account(user, servers.PASSWORD)
        store.directory.subscribe(VIEWER, SHARER)
    finally:
        store.close()
    with servers.serve_ours(ours) as server, \
            httpx.Client(base_url=server.url(), timeout=300,
                         auth=(VIEWER, servers.PASSWORD)) as http:
        base = f"/dav/{VIEWER}"
        yield Dav("ours", http, f"{base}/Calendar/", f"{base}/Contacts/",
                  f"{base}/",
                  lambda a, b: _put_all(http, f"{base}/Calendar/",
                                        a, b, event, "ics", plan),
                  lambda a, b: _put_all(http, f"{base}/Contacts/",
                                        a, b, card, "vcf", plan),
                  lambda a, b: _share_calendars(ours, a, b))


def _put_all(http: httpx.Client, collection: str, first: int, last: int,
             make: Callable[[int], str], ext: str, plan: Plan) -> None:
    """PUT items ``first`` to ``last - 1`` with four clients at once."""
    kind = "text/calendar" if ext == "ics" else "text/vcard"
    deadline = time.monotonic() + plan.fill_budget

    def put(i: int) -> None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"filling stopped at {i} items: over "
                               f"{plan.fill_budget:.0f} s")
        response = http.put(f"{collection}bench-{i}.{ext}",
                            content=make(i).encode(),
                            headers={"Content-Type": kind})
        _check(response, 201, 204)

    with ThreadPoolExecutor(4) as pool:
        for _ in pool.map(put, range(first, last)):
            pass


def _share_calendars(ours: servers.Ours, first: int, last: int) -> None:
    store = ours.store()
    try:
        for i in range(first, last):
            path = f"Shared-{i}"
            store.directory.add_folder(SHARER, path, "calendar")
            store.directory.share(SHARER, path, VIEWER, "read")
    finally:
        store.close()


# region Radicale


RIGHTS = """[root]
user: .+
collection:
permissions: R
[principal]
user: .+
collection: {user}
permissions: RW
[own]
user: .+
collection: {user}/[^/]+
permissions: rw
"""


@contextmanager
def _radicale(plan: Plan, work: Path) -> Iterator[Dav]:
    base = work / "radicale"
    base.mkdir()
    home = servers.radicale_root(base) / "collection-root" / VIEWER
    for name, tag in (("calendar", "VCALENDAR"),
                      ("contacts", "VADDRESSBOOK")):
        _collection(home / name, tag)
    with servers.serve_radicale(base, [VIEWER], RIGHTS) as server, \
            httpx.Client(base_url=server.url(), timeout=300,
                         auth=(VIEWER, servers.PASSWORD)) as http:
        yield Dav("radicale", http, f"/{VIEWER}/calendar/",
                  f"/{VIEWER}/contacts/", f"/{VIEWER}/",
                  lambda a, b: _write_items(home / "calendar", a, b,
                                            event, "ics"),
                  lambda a, b: _write_items(home / "contacts", a, b,
                                            card, "vcf"),
                  lambda a, b: _write_calendars(home, a, b))


def _collection(path: Path, tag: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / ".Radicale.props").write_text(json.dumps({"tag": tag}))


def _write_items(path: Path, first: int, last: int,
                 make: Callable[[int], str], ext: str) -> None:
    for i in range(first, last):
        (path / f"bench-{i}.{ext}").write_text(make(i), newline="")


def _write_calendars(home: Path, first: int, last: int) -> None:
    for i in range(first, last):
        _collection(home / f"shared-{i}", "VCALENDAR")


# region measures


def _measure(plan: Plan, dav: Dav) -> None:
    done = 0
    for n in plan.events:
        dav.fill_events(done, n)
        done = n
        _warm(dav, dav.calendar)
        _calendar_measures(plan, dav, n)
    done = 0
    for n in plan.cards:
        dav.fill_cards(done, n)
        done = n
        _warm(dav, dav.contacts)
        dav.results[f"cards-{n}"] = _report(plan, dav, dav.contacts,
                                            CARD_QUERY, f"cards-{n}")
    done = 0
    for n in plan.calendars:
        dav.add_calendars(done, n)
        done = n
        dav.results[f"home-{n}"] = _home(plan, dav, n)


def _warm(dav: Dav, collection: str) -> None:
    """One listing first, so that a cache the server keeps is built."""
    response = dav.http.request("PROPFIND", collection,
                                headers={"Depth": "1"})
    _check(response, 207)


def _calendar_measures(plan: Plan, dav: Dav, n: int) -> None:
    r = dav.results
    r[f"put-{n}"] = _single_puts(plan, dav, n)
    r[f"query-{n}"] = _report(plan, dav, dav.calendar, QUERY, f"query-{n}")
    r[f"multiget-{n}"] = _multiget(plan, dav, n)
    r[f"sync-{n}"] = _sync(plan, dav, n)


def _single_puts(plan: Plan, dav: Dav, n: int) -> Sample:
    """A new event into the calendar; removed again after timing."""
    hrefs = [f"{dav.calendar}extra-{n}-{i}.ics" for i in range(plan.count)]

    def put(i: int) -> None:
        response = dav.http.put(
            hrefs[i], content=event(10_000_000 + i).replace(
                "bench-event-", f"extra-{n}-").encode(),
            headers={"Content-Type": "text/calendar"})
        _check(response, 201, 204)

    sample = repeat(put, plan.count, plan.budget)
    for href in hrefs[:len(sample.seconds)]:
        dav.http.delete(href)
    return sample


def _report(plan: Plan, dav: Dav, url: str, body: str,
            key: str) -> Sample:
    def once(_: int) -> None:
        response = dav.http.request("REPORT", url, content=body,
                                    headers={"Depth": "1", **XML})
        _check(response, 207)
        dav.answers[key] = _responses(response)

    return repeat(once, plan.count, plan.budget)


def _multiget(plan: Plan, dav: Dav, n: int) -> Sample:
    step = max(1, n // 100)
    hrefs = "".join(f"<D:href>{dav.calendar}bench-{i}.ics</D:href>"
                    for i in range(0, n, step)[:100])
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<C:calendar-multiget xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:prop><D:getetag/><C:calendar-data/></D:prop>'
            f'{hrefs}</C:calendar-multiget>')
    return _report(plan, dav, dav.calendar, body, f"multiget-{n}")


def _sync(plan: Plan, dav: Dav, n: int) -> Sample:
    """sync-collection from the token taken just before one change."""
    def once(i: int) -> None:
        token = _sync_token(dav)
        href = f"{dav.calendar}bench-{i % n}.ics"
        response = dav.http.put(href, content=event(
            i % n, f"Changed {i}").encode(),
            headers={"Content-Type": "text/calendar"})
        _check(response, 201, 204)
        started = time.perf_counter()
        response = dav.http.request(
            "REPORT", dav.calendar, content=SYNC.format(token=token),
            headers={"Depth": "0", **XML})
        _check(response, 207)
        timings.append(time.perf_counter() - started)

    timings: list[float] = []
    repeat(once, plan.count, plan.budget)
    return Sample(tuple(timings))


def _sync_token(dav: Dav) -> str:
    response = dav.http.request("PROPFIND", dav.calendar, content=TOKEN,
                                headers={"Depth": "0", **XML})
    _check(response, 207)
    text = response.text
    start = text.index("sync-token>") + len("sync-token>")
    return text[start:text.index("<", start)]


def _home(plan: Plan, dav: Dav, n: int) -> Sample:
    def once(_: int) -> None:
        response = dav.http.request("PROPFIND", dav.home,
                                    headers={"Depth": "1"})
        _check(response, 207)
        dav.answers[f"home-{n}"] = _responses(response)

    return repeat(once, plan.count, plan.budget)


def _responses(response: httpx.Response) -> int:
    """How many resources a multistatus answer describes."""
    from lxml import etree  # type: ignore[import-untyped]

    root = etree.fromstring(response.content)
    return len(root.findall("{DAV:}response"))


def _check(response: httpx.Response, *expected: int) -> None:
    if response.status_code not in expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} "
            f"answered {response.status_code}")


# region rows


def _rows(plan: Plan, found: dict[str, dict[str, Sample]],
          errors: dict[str, str]) -> list[Row]:
    rows = []
    for n in plan.events:
        top = n >= 10_000  # the stricter targets are at 10,000
        size = f"{n} events"
        rows.append(_row("PUT one event", size, f"put-{n}", found, errors,
                         "30x faster" if top else "not slower",
                         1 / 30 if top else 1.0))
        rows.append(_row("calendar-query, one week", size, f"query-{n}",
                         found, errors,
                         "20x faster" if top else "not slower",
                         1 / 20 if top else 1.0))
        rows.append(_row("calendar-multiget, 100 hrefs", size,
                         f"multiget-{n}", found, errors, "not slower", 1.0))
        rows.append(_row("sync-collection after one change", size,
                         f"sync-{n}", found, errors,
                         "20x faster" if top else "not slower",
                         1 / 20 if top else 1.0))
    for n in plan.cards:
        rows.append(_row("addressbook-query (FN contains)", f"{n} cards",
                         f"cards-{n}", found, errors, "not slower", 1.0))
    for n in plan.calendars:
        rows.append(_row("PROPFIND Depth 1 on a home",
                         f"{n} shared calendars", f"home-{n}", found,
                         errors, "not slower", 1.0))
    return rows


def _row(measure: str, size: str, key: str,
         found: dict[str, dict[str, Sample]], errors: dict[str, str],
         target: str, bound: float) -> Row:
    ours = found.get("ours", {}).get(key)
    peer = found.get("peer", {}).get(key)
    row = Row("CalDAV", measure, size,
              ours.median if ours else None, ours.p99 if ours else None,
              peer.median if peer else None, peer.p99 if peer else None,
              target=target)
    notes = []
    if "ours" in errors and ours is None:
        notes.append(f"our server gave no figure: {errors['ours']}")
    if "peer" in errors and peer is None:
        notes.append(f"Radicale gave no figure: {errors['peer']}")
    row.note = "; ".join(notes)
    if row.ratio is not None:
        row.met = row.ratio <= bound
    return row


def _compare_answers(rows: list[Row], plan: Plan,
                     answers: dict[str, dict[str, int]]) -> None:
    """Say so where the two servers did not return as many resources."""
    ours, peer = answers.get("ours", {}), answers.get("peer", {})
    keys = [f"{k}-{n}" for n in plan.events
            for k in ("put", "query", "multiget", "sync")]
    keys += [f"cards-{n}" for n in plan.cards]
    keys += [f"home-{n}" for n in plan.calendars]
    for row, key in zip(rows, keys):
        if key in ours and key in peer and ours[key] != peer[key]:
            row.note = (row.note + f" Ours answered {ours[key]} "
                        f"resources, Radicale {peer[key]}.").strip()
