"""Writes: each needs its own ACL right, refusals carry need-privileges.

Radicale itself only knows "may write"; these pin down that inserting
(``i``), changing (``w``), deleting (``t``) and collection changes are
told apart, and that task and journal collections take their component.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from tests.dav.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAV_NS,
    SHARED_CALENDAR,
    as_user,
    fixture_text,
    multistatus,
)

BOBS_TASKS = f"{BOB}/~alice@example.com/Tasks/"
NEED_PRIVILEGES = f"{DAV_NS}need-privileges"

COLOR_PATCH = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/">
<D:set><D:prop><A:calendar-color>#FF0000</A:calendar-color>
<D:displayname>{}</D:displayname></D:prop></D:set></D:propertyupdate>"""

COLOR = "{http://apple.com/ns/ical/}calendar-color"

TIMEZONE_PATCH = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:calendar-timezone>garbage</C:calendar-timezone>
</D:prop></D:set></D:propertyupdate>"""

DEAD_PATCH = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:example:dead">
<D:set><D:prop><X:note>garbage</X:note></D:prop></D:set>
</D:propertyupdate>"""

ALLPROP = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"""

PROPS = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:prop>
<D:displayname/><A:calendar-color/></D:prop></D:propfind>"""

JOURNAL = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//icewarp-share tests//EN
BEGIN:VJOURNAL
UID:note-1@example.com
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260301
SUMMARY:Ideas
DESCRIPTION:Write the plan down
END:VJOURNAL
END:VCALENDAR
"""


def refused_privilege(answer) -> str:
    """The privilege a 403 need-privileges answer names."""
    assert answer.status_code == 403, answer.text
    root = ET.fromstring(answer.content)
    privilege = root.find(f"{NEED_PRIVILEGES}/{DAV_NS}resource/"
                          f"{DAV_NS}privilege")
    assert privilege is not None, answer.text
    return privilege[0].tag.rpartition("}")[2]


def test_read_only_grantee_cannot_add_an_event(dav):
    """Bob (read) gets 403 naming the bind privilege."""
    text = fixture_text("public_event.ics").replace("public-1", "bob-1")
    answer = as_user(dav, BOB).put(f"{BOB}/{SHARED_CALENDAR}/bob-1.ics",
                                   text)
    assert refused_privilege(answer) == "bind"


def test_author_creates_but_cannot_change_or_delete(dav):
    """Bob is author on Alice's Tasks: insert yes, change and delete no."""
    bob = as_user(dav, BOB)
    task = fixture_text("task.ics")
    assert bob.put(BOBS_TASKS + "task.ics", task).status_code == 201
    changed = task.replace("Send the report", "Send it later")
    assert refused_privilege(bob.put(BOBS_TASKS + "task.ics",
                                     changed)) == "write-content"
    assert refused_privilege(bob.request(
        "DELETE", BOBS_TASKS + "task.ics")) == "unbind"
    assert "Send the report" in as_user(dav, ALICE).request(
        "GET", f"{ALICE}/Tasks/task.ics").text


def test_task_collection_refuses_events(dav):
    """Tasks hold VTODO only: an event is refused with the precondition."""
    answer = as_user(dav, ALICE).put(f"{ALICE}/Tasks/event.ics",
                                     fixture_text("public_event.ics"))
    assert answer.status_code == 403
    assert "supported-calendar-component" in answer.text


def test_notes_collection_takes_journal_entries(dav):
    """A VJOURNAL goes into Notes and comes back whole for the owner."""
    alice = as_user(dav, ALICE)
    assert alice.put(f"{ALICE}/Notes/note.ics", JOURNAL).status_code == 201
    assert "Write the plan down" in alice.request(
        "GET", f"{ALICE}/Notes/note.ics").text


def test_grantee_cannot_delete_or_patch_shared_collection(dav):
    """Bob may neither delete Alice's calendar nor change its own
    properties (a time zone, a dead property): that needs the right to
    rename the folder (``x``) or ``a``."""
    bob = as_user(dav, BOB)
    collection = f"{BOB}/{SHARED_CALENDAR}/"
    assert refused_privilege(bob.request("DELETE", collection)) == "unbind"
    for patch in (TIMEZONE_PATCH, DEAD_PATCH):
        answer = bob.request("PROPPATCH", collection, patch)
        assert refused_privilege(answer) == "write-properties"


def test_owner_cannot_delete_collection_over_dav(dav):
    """Folders are removed in the web pages; DELETE of one is refused."""
    answer = as_user(dav, ALICE).request("DELETE", f"{ALICE}/Calendar/")
    assert answer.status_code == 403


def test_grantee_cannot_create_collections_in_shared_namespace(dav):
    """MKCALENDAR below someone else's folders is refused (bind)."""
    answer = as_user(dav, BOB).request(
        "MKCALENDAR", f"{BOB}/~alice@example.com/New/")
    assert refused_privilege(answer) == "bind"
    answer = as_user(dav, BOB).request("MKCALENDAR", f"{ALICE}/New/")
    assert answer.status_code == 403


def test_owner_makes_a_task_list_with_mkcalendar(dav):
    """MKCALENDAR asking for VTODO makes a tasks folder in the home."""
    body = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>Errands</D:displayname>
<C:supported-calendar-component-set><C:comp name="VTODO"/>
</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"""
    alice = as_user(dav, ALICE)
    assert alice.request("MKCALENDAR", f"{ALICE}/Errands/",
                         body).status_code == 201
    assert alice.put(f"{ALICE}/Errands/task.ics",
                     fixture_text("task.ics")).status_code == 201
    assert alice.put(f"{ALICE}/Errands/event.ics",
                     fixture_text("public_event.ics")).status_code == 403
    assert alice.request("MKCALENDAR", f"{ALICE}/Errands/",
                         body).status_code in (405, 409)


def test_owner_patches_properties_sharee_keeps_whose_name(dav):
    """Alice renames and colours her calendar; Bob sees the colour only.

    The sharee's display name stays the name that says whose it is.
    """
    alice = as_user(dav, ALICE)
    answer = alice.request("PROPPATCH", f"{ALICE}/Calendar/",
                           COLOR_PATCH.format("Alice at work"))
    assert answer.status_code == 207
    own = multistatus(alice.propfind(f"{ALICE}/Calendar/", PROPS, "0"))
    entry = own[f"/dav/{ALICE}/Calendar/"]
    assert entry.text(f"{DAV_NS}displayname") == "Alice at work"
    seen = multistatus(as_user(dav, BOB).propfind(
        f"{BOB}/{SHARED_CALENDAR}/", PROPS, "0"))
    entry = seen[f"/dav/{BOB}/{SHARED_CALENDAR}/"]
    assert entry.text(f"{DAV_NS}displayname") == SHARED_CALENDAR
    assert entry.text("{http://apple.com/ns/ical/}calendar-color") \
        == "#FF0000"


def test_writer_cannot_rename_or_recolour_the_owners_calendar(dav):
    """Carol's write grant does not let her rename, recolour or add
    properties to Alice's calendar: a display name and colour she sets
    are hers alone (as Apple Calendar does when a user recolours), and
    the rest is refused with write-properties."""
    carol = as_user(dav, CAROL)
    for url in (f"{CAROL}/{SHARED_CALENDAR}/", f"{ALICE}/Calendar/"):
        answer = carol.request("PROPPATCH", url, COLOR_PATCH.format(
            "Hacked").replace("#FF0000", "#00FF00"))
        assert answer.status_code == 207
        assert " 200 " in answer.text
        for patch in (TIMEZONE_PATCH, DEAD_PATCH):
            answer = carol.request("PROPPATCH", url, patch)
            assert refused_privilege(answer) == "write-properties"
    own = multistatus(carol.propfind(f"{CAROL}/{SHARED_CALENDAR}/", PROPS,
                                     "0"))
    entry = own[f"/dav/{CAROL}/{SHARED_CALENDAR}/"]
    assert entry.text(f"{DAV_NS}displayname") == "Hacked"
    assert entry.text(COLOR) == "#00FF00"
    for address, url in ((ALICE, f"{ALICE}/Calendar/"),
                         (BOB, f"{BOB}/{SHARED_CALENDAR}/")):
        seen = multistatus(as_user(dav, address).propfind(url, PROPS, "0"))
        entry = seen[f"/dav/{url}"]
        assert entry.text(f"{DAV_NS}displayname") != "Hacked"
        assert entry.text(COLOR) != "#00FF00"
        assert "garbage" not in as_user(dav, address).propfind(
            url, ALLPROP, "0").text


def test_if_match_mismatch_is_412(dav):
    """A PUT with a stale ETag does not overwrite (RFC 9110 13.1.1)."""
    alice = as_user(dav, ALICE)
    text = fixture_text("public_event.ics").replace("public-1", "etag-1")
    assert alice.put(f"{ALICE}/Calendar/etag.ics", text).status_code == 201
    answer = alice.put(f"{ALICE}/Calendar/etag.ics", text,
                       If_Match='"stale"')
    assert answer.status_code == 412


def _move(dav, address: str, source: str, target: str):
    destination = f"{dav.http_url}/dav/{target}"
    return as_user(dav, address).request("MOVE", source,
                                         Destination=destination)


def test_owner_moves_an_event_between_own_calendars(dav):
    """MOVE takes the item out of one collection and into the other."""
    alice = as_user(dav, ALICE)
    body = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"/>"""
    assert alice.request("MKCALENDAR", f"{ALICE}/Archive/",
                         body).status_code == 201
    text = fixture_text("public_event.ics").replace("public-1", "moving")
    assert alice.put(f"{ALICE}/Calendar/moving.ics", text).status_code \
        == 201
    answer = _move(dav, ALICE, f"{ALICE}/Calendar/moving.ics",
                   f"{ALICE}/Archive/moved.ics")
    assert answer.status_code == 201, answer.text
    assert alice.request("GET", f"{ALICE}/Calendar/moving.ics"
                         ).status_code == 404
    assert "Team meeting" in alice.request(
        "GET", f"{ALICE}/Archive/moved.ics").text


def test_move_needs_unbind_at_source_and_bind_at_target(dav):
    """Bob (read) cannot move Alice's event into his own calendar."""
    alice = as_user(dav, ALICE)
    text = fixture_text("public_event.ics").replace("public-1", "stay")
    assert alice.put(f"{ALICE}/Calendar/stay.ics", text).status_code == 201
    answer = _move(dav, BOB, f"{BOB}/{SHARED_CALENDAR}/stay.ics",
                   f"{BOB}/Calendar/stay.ics")
    assert refused_privilege(answer) == "unbind"
    assert alice.request("GET", f"{ALICE}/Calendar/stay.ics"
                         ).status_code == 200


PROTECTED_PATCH = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"
 xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop>{}</D:prop></D:set></D:propertyupdate>"""


@pytest.mark.parametrize("prop", [
    "<CS:getctag>x</CS:getctag>", "<D:sync-token>x</D:sync-token>",
    "<D:owner><D:href>/dav/bob/</D:href></D:owner>",
    "<D:getetag>x</D:getetag>",
    ("<D:current-user-privilege-set><D:privilege><D:all/></D:privilege>"
     "</D:current-user-privilege-set>"),
    ('<C:supported-calendar-component-set><C:comp name="VTODO"/>'
     "</C:supported-calendar-component-set>")])
def test_protected_properties_cannot_be_patched(dav, prop):
    """Even the owner's PROPPATCH of a property the server computes is
    403 cannot-modify-protected-property (RFC 4918 16), and changes
    nothing."""
    alice = as_user(dav, ALICE)
    answer = alice.request("PROPPATCH", f"{ALICE}/Calendar/",
                           PROTECTED_PATCH.format(prop))
    assert answer.status_code == 403, answer.text
    assert "cannot-modify-protected-property" in answer.text
