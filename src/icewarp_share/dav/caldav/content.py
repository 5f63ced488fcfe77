"""Storing calendar and contact items with their extracted facts.

The DAV storage plugin and the demo both store items here, so an item
gets the same UID, component, class and time range whichever way it
arrived. Radicale's item model computes the time range (recurrences
included); the class comes from the privacy filter's reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import vobject  # type: ignore[import-untyped]
from radicale import item as radicale_item

from icewarp_share.dav.caldav import privacy
from icewarp_share.store import Store
from icewarp_share.store.items import ItemFacts, ItemStore, StoredItem


def facts_of(item: radicale_item.Item) -> tuple[str, ItemFacts]:
    """The text to store for a parsed item and its extracted facts."""
    text = item.serialize()
    component = item.component_name or "VCARD"
    start, end = item.time_range
    facts = ItemFacts(item.uid, component, privacy.item_class(text).value,
                      start, end, privacy.etag_of(text),
                      privacy.etag_of(privacy.placeholder(text)))
    return text, facts


def store_text(store: Store, owner: str, path: str, href: str,
               text: str) -> StoredItem:
    """Parse ``text`` and store it as ``href`` in a folder of ``owner``."""
    folder = store.directory.folder(owner, path)
    parsed = radicale_item.Item(collection_path="demo",
                                vobject_item=vobject.readOne(text))
    body, facts = facts_of(parsed)
    stored, _ = ItemStore(store.db).put(folder.id, href, body, facts)
    return stored


def _event(uid: str, day: date, hours: tuple[int, int], summary: str,
           extra: str = "") -> str:
    start, end = (f"{day:%Y%m%d}T{hour:02d}0000Z" for hour in hours)
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//icewarp-share"
            f"//demo//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
            f"DTEND:{end}\r\nSUMMARY:{summary}\r\n{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def _card(uid: str, name: str, email: str, extra: str = "") -> str:
    family, _, given = name.partition(" ")
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\n"
            f"N:{given};{family};;;\r\nEMAIL:{email}\r\n{extra}"
            "END:VCARD\r\n")


def demo_content(store: Store) -> Iterator[str]:
    """Demo step: events, a task and contacts, some of them private."""
    monday = date.today() - timedelta(days=date.today().weekday())
    items = (
        ("alice@example.com", "Calendar", "kickoff.ics", _event(
            "demo-kickoff", monday + timedelta(days=1), (9, 10),
            "Project kickoff", "LOCATION:Room 4\r\n")),
        ("alice@example.com", "Calendar", "dentist.ics", _event(
            "demo-dentist", monday + timedelta(days=2), (14, 15),
            "Dentist", "CLASS:PRIVATE\r\n")),
        ("alice@example.com", "Calendar", "review.ics", _event(
            "demo-review", monday + timedelta(days=3), (11, 12),
            "Salary review", "CLASS:CONFIDENTIAL\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=4\r\n")),
        ("carol@example.com", "Calendar", "lunch.ics", _event(
            "demo-lunch", monday + timedelta(days=4), (12, 13),
            "Team lunch")),
        ("carol@example.com", "Tasks", "report.ics", (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//icewarp-share"
            "//demo//EN\r\nBEGIN:VTODO\r\nUID:demo-report\r\n"
            "DTSTAMP:20260101T000000Z\r\nSUMMARY:Send the monthly report"
            "\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")),
        ("alice@example.com", "Contacts", "jean.vcf", _card(
            "demo-jean", "Dupont Jean", "jean@example.org")),
        ("alice@example.com", "Contacts", "friend.vcf", _card(
            "demo-friend", "Secret Friend", "friend@example.org",
            "CLASS:PRIVATE\r\n")),
    )
    for owner, path, href, text in items:
        store_text(store, owner, path, href, text)
    yield (f"{len(items)} calendar items and contacts, some private or "
           "confidential, in alice's and carol's folders")
