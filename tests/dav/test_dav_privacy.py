"""Private and confidential items on every read path, as DESIGN.md says.

Alice's calendar holds a PRIVATE event, a public one and a CONFIDENTIAL
recurring event with an override that has no CLASS; her address book a
private and a public card. Bob reads them through a read grant, Carol
writes through a write grant, Erin holds every right including
administer (``a``).
"""

from __future__ import annotations

import datetime

import caldav
import pytest
from tests.dav.conftest import (
    ALICE,
    BOB,
    CALDAV_NS,
    CARDDAV_NS,
    CAROL,
    DAV_NS,
    ERIN,
    PASSWORD,
    SHARED_CALENDAR,
    as_user,
    fixture_text,
    multistatus,
    sync_token,
)

OWN_CALENDAR = f"{ALICE}/Calendar/"
BOBS_VIEW = f"{BOB}/{SHARED_CALENDAR}/"
BOBS_CONTACTS = f"{BOB}/~alice@example.com/Contacts/"
PRIVATE = "private_event.ics"
PUBLIC = "public_event.ics"
CONFIDENTIAL = "confidential_recurring.ics"
HIDDEN_WORDS = ("Doctor", "Clinic", "Salary", "HR office", "Jean",
                "ATTENDEE", "VALARM", "LOCATION", "DESCRIPTION")

MARCH_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="20260301T000000Z" end="20260401T000000Z"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"""

EXPAND_QUERY = MARCH_QUERY.replace(
    "<C:calendar-data/>",
    '<C:calendar-data><C:expand start="20260301T000000Z" '
    'end="20260401T000000Z"/></C:calendar-data>')

SUMMARY_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:prop-filter name="SUMMARY"><C:text-match>{}</C:text-match>
</C:prop-filter></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""

MULTIGET = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>{}</C:calendar-multiget>"""

SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>
</D:sync-collection>"""

FREE_BUSY = """<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="20260310T000000Z" end="20260311T000000Z"/>
</C:free-busy-query>"""

ETAGS = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
<D:prop><D:getetag/><CS:getctag/><D:sync-token/></D:prop></D:propfind>"""

CARD_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
<D:prop><D:getetag/><CR:address-data/></D:prop>
<CR:filter><CR:prop-filter name="FN"><CR:text-match>{}</CR:text-match>
</CR:prop-filter></CR:filter></CR:addressbook-query>"""

CARD_MULTIGET = """<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-multiget xmlns:D="DAV:"
 xmlns:CR="urn:ietf:params:xml:ns:carddav">
<D:prop><D:getetag/><CR:address-data/></D:prop>{}</CR:addressbook-multiget>"""


def href(collection: str, name: str) -> str:
    """An item's href below /dav/, unquoted."""
    return f"/dav/{collection}{name}"


@pytest.fixture(scope="module", autouse=True)
def alices_items(dav):
    """Alice's calendar and address book, stored through her own URLs."""
    alice = as_user(dav, ALICE)
    for name in (PRIVATE, PUBLIC, CONFIDENTIAL):
        answer = alice.put(OWN_CALENDAR + name, fixture_text(name),
                           Content_Type="text/calendar")
        assert answer.status_code == 201, answer.text
    for name in ("private_contact.vcf", "public_contact.vcf"):
        answer = alice.put(f"{ALICE}/Contacts/{name}", fixture_text(name),
                           Content_Type="text/vcard")
        assert answer.status_code == 201, answer.text


def test_private_event_not_in_calendar_query(dav):
    """Bob's time-range query returns the public event, not the private."""
    found = multistatus(as_user(dav, BOB).report(BOBS_VIEW, MARCH_QUERY))
    assert href(BOBS_VIEW, PUBLIC) in found
    assert href(BOBS_VIEW, PRIVATE) not in found
    assert "private-1" not in "".join(
        entry.text(f"{CALDAV_NS}calendar-data") for entry in found.values())


def test_private_event_multiget_answers_like_a_missing_item(dav):
    """Multiget of the private href: 404 without data, as a made-up href."""
    bob = as_user(dav, BOB)
    hrefs = "".join(f"<D:href>/dav/{BOBS_VIEW}{name}</D:href>"
                    for name in (PRIVATE, "made-up.ics", PUBLIC))
    found = multistatus(bob.report(BOBS_VIEW, MULTIGET.format(hrefs)))
    hidden = found[href(BOBS_VIEW, PRIVATE)]
    missing = found[href(BOBS_VIEW, "made-up.ics")]
    assert hidden.status == missing.status == "HTTP/1.1 404 Not Found"
    assert not hidden.found
    assert found[href(BOBS_VIEW, PUBLIC)].text(f"{CALDAV_NS}calendar-data")


def test_private_event_not_in_initial_sync(dav):
    """sync-collection from the empty token leaves the private href out."""
    found = multistatus(as_user(dav, BOB).report(BOBS_VIEW, SYNC.format("")))
    assert href(BOBS_VIEW, PUBLIC) in found
    assert href(BOBS_VIEW, PRIVATE) not in found


def test_private_event_not_in_propfind_listing(dav):
    """PROPFIND Depth 1 on the shared calendar does not list the href."""
    found = multistatus(as_user(dav, BOB).propfind(BOBS_VIEW, ETAGS))
    assert href(BOBS_VIEW, PUBLIC) in found
    assert href(BOBS_VIEW, PRIVATE) not in found


def test_private_event_get_and_head_are_404(dav):
    """GET and HEAD of the hidden item answer like a missing one."""
    bob = as_user(dav, BOB)
    for method in ("GET", "HEAD"):
        hidden = bob.request(method, BOBS_VIEW + PRIVATE)
        missing = bob.request(method, BOBS_VIEW + "made-up.ics")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


def test_private_event_still_busy_in_free_busy(dav):
    """Free-busy over the private event's time shows that time busy."""
    answer = as_user(dav, BOB).report(BOBS_VIEW, FREE_BUSY)
    assert answer.status_code == 200, answer.text
    assert "20260310T100000Z/20260310T110000Z" in answer.text
    assert "Doctor" not in answer.text


def test_sharee_put_cannot_overwrite_hidden_item(dav):
    """Carol may write, yet a PUT to the private item's href is refused."""
    carol_view = f"{CAROL}/{SHARED_CALENDAR}/"
    replacement = fixture_text(PUBLIC).replace("public-1", "private-1")
    answer = as_user(dav, CAROL).put(carol_view + PRIVATE, replacement)
    assert answer.status_code == 403
    kept = as_user(dav, ALICE).request("GET", OWN_CALENDAR + PRIVATE)
    assert "Doctor appointment" in kept.text


def test_confidential_event_is_a_time_only_placeholder(dav):
    """Master and override both masked: times kept, nothing said."""
    answer = as_user(dav, BOB).request("GET", BOBS_VIEW + CONFIDENTIAL)
    assert answer.status_code == 200
    text = answer.text
    assert text.count("SUMMARY:Busy") == 2
    assert "RECURRENCE-ID" in text and "RRULE:FREQ=WEEKLY" in text
    assert "DTSTART;TZID=Europe/Paris:20260309T110000" in text
    for word in HIDDEN_WORDS:
        assert word not in text


def test_confidential_event_masked_in_expanded_query(dav):
    """calendar-query with expand gives placeholder occurrences only."""
    found = multistatus(as_user(dav, BOB).report(BOBS_VIEW, EXPAND_QUERY))
    data = found[href(BOBS_VIEW, CONFIDENTIAL)].text(
        f"{CALDAV_NS}calendar-data")
    assert data.count("BEGIN:VEVENT") == 4
    assert data.count("SUMMARY:Busy") == 4
    for word in HIDDEN_WORDS:
        assert word not in data


def test_caldav_library_search_sees_placeholders(dav):
    """The caldav library's expanded search shows no hidden property."""
    client = caldav.DAVClient(url=f"{dav.http_url}/dav/", username=BOB,
                              password=PASSWORD)
    calendar = client.calendar(url=f"{dav.http_url}/dav/{BOBS_VIEW}")
    events = calendar.search(start=datetime.datetime(2026, 3, 1),
                             end=datetime.datetime(2026, 4, 1),
                             event=True, expand=True)
    texts = [event.data for event in events]
    assert len(texts) == 5
    assert not [text for text in texts if "Doctor" in text]
    assert sum("SUMMARY:Busy" in text for text in texts) == 4


def test_text_match_never_matches_hidden_summary(dav):
    """A query on the masked SUMMARY finds nothing; on a shown one, it does."""
    bob = as_user(dav, BOB)
    for hidden in ("Salary", "Doctor"):
        found = multistatus(bob.report(BOBS_VIEW, SUMMARY_QUERY.format(
            hidden)))
        assert not [h for h in found if h.endswith(".ics")]
    found = multistatus(bob.report(BOBS_VIEW, SUMMARY_QUERY.format("Team")))
    assert list(found) == [href(BOBS_VIEW, PUBLIC)]


def test_administer_right_sees_everything(dav):
    """Erin holds ``a``: the private and confidential items are whole."""
    erin = as_user(dav, ERIN)
    erin_view = f"{ERIN}/{SHARED_CALENDAR}/"
    assert "Doctor" in erin.request("GET", erin_view + PRIVATE).text
    assert "Salary review" in erin.request("GET",
                                           erin_view + CONFIDENTIAL).text


@pytest.mark.parametrize("item_class", ["PRIVATE", "CONFIDENTIAL"])
def test_grantee_without_administer_cannot_write_private(dav, item_class):
    """Carol's PUT of a PRIVATE or CONFIDENTIAL event is 403 with a reason."""
    text = fixture_text(PUBLIC).replace("public-1", f"carol-{item_class}")
    text = text.replace("END:VEVENT", f"CLASS:{item_class}\nEND:VEVENT")
    answer = as_user(dav, CAROL).put(
        f"{CAROL}/{SHARED_CALENDAR}/carol-{item_class}.ics", text)
    assert answer.status_code == 403
    assert "need-privileges" in answer.text
    assert "administer right" in answer.text


def test_grantee_with_write_can_add_public_event(dav):
    """The same PUT without CLASS is accepted (control for the test above)."""
    text = fixture_text(PUBLIC).replace("public-1", "carol-public")
    answer = as_user(dav, CAROL).put(
        f"{CAROL}/{SHARED_CALENDAR}/carol-public.ics", text)
    assert answer.status_code == 201
    assert as_user(dav, CAROL).request(
        "DELETE", f"{CAROL}/{SHARED_CALENDAR}/carol-public.ics"
    ).status_code == 403


def _tags(dav, address: str, collection: str) -> tuple[str, str]:
    found = multistatus(as_user(dav, address).propfind(collection, ETAGS,
                                                       "0"))
    entry = found[f"/dav/{collection}"]
    return (entry.text("{http://calendarserver.org/ns/}getctag"),
            entry.text(f"{DAV_NS}sync-token"))


def test_new_private_item_moves_no_ctag_or_token_of_sharee(dav):
    """Adding a private event changes Alice's CTag but not Bob's."""
    bob_before = _tags(dav, BOB, BOBS_VIEW)
    alice_before = _tags(dav, ALICE, OWN_CALENDAR)
    text = fixture_text(PRIVATE).replace("private-1", "private-2")
    assert as_user(dav, ALICE).put(OWN_CALENDAR + "private-2.ics",
                                   text).status_code == 201
    assert _tags(dav, BOB, BOBS_VIEW) == bob_before
    assert _tags(dav, ALICE, OWN_CALENDAR)[0] != alice_before[0]
    token = bob_before[1]
    found = multistatus(as_user(dav, BOB).report(BOBS_VIEW,
                                                 SYNC.format(token)))
    assert not [h for h in found if h.endswith(".ics")]


def test_sync_token_reports_new_public_item(dav):
    """A delta sync does report a new public event (control)."""
    bob = as_user(dav, BOB)
    token = sync_token(bob.report(BOBS_VIEW, SYNC.format("")))
    text = fixture_text(PUBLIC).replace("public-1", "public-2")
    assert as_user(dav, ALICE).put(OWN_CALENDAR + "public-2.ics",
                                   text).status_code == 201
    found = multistatus(bob.report(BOBS_VIEW, SYNC.format(token)))
    assert [h for h in found if h.endswith(".ics")] == [
        href(BOBS_VIEW, "public-2.ics")]


def test_private_contact_hidden_from_queries_and_multiget(dav):
    """addressbook-query and multiget never return the private card."""
    bob = as_user(dav, BOB)
    found = multistatus(bob.report(BOBS_CONTACTS, CARD_QUERY.format("e")))
    cards = "".join(entry.text(f"{CARDDAV_NS}address-data")
                    for entry in found.values())
    assert "Jean Dupont" in cards and "Secret" not in cards
    hrefs = f"<D:href>/dav/{BOBS_CONTACTS}private_contact.vcf</D:href>"
    found = multistatus(bob.report(BOBS_CONTACTS,
                                   CARD_MULTIGET.format(hrefs)))
    assert not [e for e in found.values() if e.found]
    assert bob.request("GET", BOBS_CONTACTS + "private_contact.vcf"
                       ).status_code == 404


def test_grouped_private_class_hides_contact(dav):
    """A card whose CLASS carries a group (``item2.CLASS:PRIVATE``, as
    Apple Contacts writes properties) is private: Bob's query, multiget,
    listing and GET never show it."""
    answer = as_user(dav, ALICE).put(
        f"{ALICE}/Contacts/grouped.vcf",
        fixture_text("grouped_class_contact.vcf"), Content_Type="text/vcard")
    assert answer.status_code == 201, answer.text
    bob = as_user(dav, BOB)
    found = multistatus(bob.report(BOBS_CONTACTS, CARD_QUERY.format("o")))
    assert "Lover" not in "".join(
        entry.text(f"{CARDDAV_NS}address-data") for entry in found.values())
    hrefs = f"<D:href>/dav/{BOBS_CONTACTS}grouped.vcf</D:href>"
    found = multistatus(bob.report(BOBS_CONTACTS,
                                   CARD_MULTIGET.format(hrefs)))
    assert not [e for e in found.values() if e.found]
    listing = multistatus(bob.propfind(BOBS_CONTACTS, ETAGS))
    assert href(BOBS_CONTACTS, "grouped.vcf") not in listing
    assert bob.request("GET", BOBS_CONTACTS + "grouped.vcf"
                       ).status_code == 404


def test_item_turning_private_is_gone_from_delta_sync(dav):
    """When a shown event becomes PRIVATE, Bob's next sync reports it gone."""
    bob, alice = as_user(dav, BOB), as_user(dav, ALICE)
    text = fixture_text(PUBLIC).replace("public-1", "turning")
    assert alice.put(OWN_CALENDAR + "turning.ics", text).status_code == 201
    token = sync_token(bob.report(BOBS_VIEW, SYNC.format("")))
    private = text.replace("END:VEVENT", "CLASS:PRIVATE\nEND:VEVENT")
    assert alice.put(OWN_CALENDAR + "turning.ics", private).status_code \
        == 204
    found = multistatus(bob.report(BOBS_VIEW, SYNC.format(token)))
    entry = found[href(BOBS_VIEW, "turning.ics")]
    assert entry.status == "HTTP/1.1 404 Not Found" and not entry.found


def test_unknown_sync_token_is_refused(dav):
    """A token of another collection is not valid here (RFC 6578 3.2)."""
    answer = as_user(dav, BOB).report(
        BOBS_VIEW, SYNC.format("urn:icewarp-share:sync:999999:1"))
    assert answer.status_code == 403
    assert "valid-sync-token" in answer.text


def test_whole_collection_export_is_filtered(dav):
    """GET of the shared calendar (one .ics of everything) hides as well."""
    answer = as_user(dav, BOB).request("GET", BOBS_VIEW)
    assert answer.status_code == 200
    assert "Team meeting" in answer.text
    for word in ("Doctor", "Clinic", "Salary", "HR office", "ATTENDEE",
                 "VALARM"):
        assert word not in answer.text
    assert "Doctor" in as_user(dav, ALICE).request("GET",
                                                   OWN_CALENDAR).text


def test_writer_cannot_overwrite_confidential_item_it_sees_masked(dav):
    """Carol sees only the placeholder: her PUT over it (without CLASS)
    is refused, and the reason says she would overwrite a placeholder.

    Accepting it would replace Alice's details with the placeholder.
    """
    carol = as_user(dav, CAROL)
    view = f"{CAROL}/{SHARED_CALENDAR}/"
    masked = carol.request("GET", view + CONFIDENTIAL)
    edited = masked.text.replace("CLASS:CONFIDENTIAL\r\n", "")
    answer = carol.put(view + CONFIDENTIAL, edited,
                       If_Match=masked.headers["ETag"])
    assert answer.status_code == 403
    assert "placeholder" in answer.text
    assert "administer right" in answer.text
    assert "create private or confidential" not in answer.text
    assert "Salary review" in as_user(dav, ALICE).request(
        "GET", OWN_CALENDAR + CONFIDENTIAL).text
