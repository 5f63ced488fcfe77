"""The privacy filter's text work: CLASS extraction and placeholders.

The decisions are the ACL core's; these pin down that the filter reads
every component's CLASS and that a placeholder keeps times only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.dav.conftest import fixture_text

from icewarp_share import acl
from icewarp_share.dav.caldav import privacy
from icewarp_share.dav.caldav.places import FolderView
from icewarp_share.store.items import ItemFacts, StoredItem


def _view(rights: str, is_owner: bool = False) -> FolderView:
    return FolderView(1, "alice@example.com", acl.OwnerKind.ACCOUNT,
                      "Calendar", acl.FolderKind.CALENDAR, "x/Calendar",
                      "~alice@example.com/Calendar", acl.Rights.of(rights),
                      is_owner)


def _stored(text: str) -> StoredItem:
    facts = ItemFacts("u", "VEVENT", privacy.item_class(text).value, 0, 1,
                      privacy.etag_of(text))
    return StoredItem("a.ics", text, facts, 1,
                      datetime(2026, 1, 1, tzinfo=UTC))


def test_most_restrictive_class_of_master_and_override_applies():
    """The override has no CLASS; the master's CONFIDENTIAL covers both."""
    text = fixture_text("confidential_recurring.ics")
    assert privacy.class_values(text) == ["CONFIDENTIAL", None]
    assert privacy.item_class(text) is acl.ItemClass.CONFIDENTIAL


def test_unknown_class_value_counts_as_private():
    """RFC 5545 3.8.1.3: an unrecognised CLASS is treated as PRIVATE."""
    text = fixture_text("public_event.ics").replace(
        "END:VEVENT", "CLASS:X-SECRET\nEND:VEVENT")
    assert privacy.item_class(text) is acl.ItemClass.PRIVATE


def test_vcard_class_is_read():
    """A contact's CLASS decides like an event's."""
    assert privacy.item_class(fixture_text("private_contact.vcf")) \
        is acl.ItemClass.PRIVATE
    assert privacy.item_class(fixture_text("public_contact.vcf")) \
        is acl.ItemClass.PUBLIC


def test_placeholder_keeps_times_and_time_zones_only():
    """No SUMMARY text, location, description, attendee or alarm remains."""
    text = privacy.placeholder(fixture_text("confidential_recurring.ics"))
    assert "BEGIN:VTIMEZONE" in text and "TZOFFSETTO:+0100" in text
    assert text.count("SUMMARY:Busy") == 2
    for word in ("Salary", "HR office", "ATTENDEE", "VALARM", "TRIGGER",
                 "DESCRIPTION", "LOCATION"):
        assert word not in text
    assert "RRULE:FREQ=WEEKLY;COUNT=4" in text


def test_folded_hidden_property_is_removed_whole():
    """A folded DESCRIPTION leaves no continuation line behind."""
    original = fixture_text("confidential_recurring.ics").replace(
        "DESCRIPTION:Discuss the raise with Jean",
        "DESCRIPTION:Discuss the raise\r\n  with Jean in private")
    assert "in private" not in privacy.placeholder(original)


def test_card_placeholder_keeps_identity_only():
    """A masked vCard keeps UID and VERSION and says nothing else."""
    text = privacy.placeholder(fixture_text("private_contact.vcf"))
    assert "UID:private-card-1@example.com" in text
    assert "FN:Busy" in text and "VERSION:3.0" in text
    assert "secret@example.org" not in text and "Secret" not in text


def test_present_follows_the_core_treatment():
    """Read: private hidden, shown to the owner and to holders of ``a``."""
    stored = _stored(fixture_text("private_event.ics"))
    assert privacy.present(stored, _view("lrs")) is None
    assert privacy.present(stored, _view("lrsa")) is not None
    assert privacy.present(stored, _view("", is_owner=True)) is not None


def test_free_busy_sees_hidden_items_as_placeholders():
    """For free-busy, a hidden item still blocks its time, unnamed."""
    stored = _stored(fixture_text("private_event.ics"))
    shown = privacy.present(stored, _view("lrs"), privacy.Purpose.FREEBUSY)
    assert shown is not None
    assert "DTSTART:20260310T100000Z" in shown.text
    assert "Doctor" not in shown.text
    assert shown.etag != stored.facts.etag


def test_long_lines_are_folded_at_75_octets():
    """Placeholder lines follow RFC 5545 3.1 folding."""
    line = "RRULE:" + "FREQ=WEEKLY;" * 12
    folded = privacy.fold(line)
    assert all(len(part.encode()) <= 75
               for part in folded.split("\r\n") if part)
    assert privacy.unfold(folded) == [line]
