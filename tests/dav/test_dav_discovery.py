"""Discovery: clients find own and shared collections without typed URLs.

Thunderbird, iOS and the ``caldav`` library walk from the well-known URL
to the principal, its home sets and a Depth 1 listing of the home; the
shared folders must be members there with names saying whose they are,
and privileges matching the grant.
"""

from __future__ import annotations

from urllib.parse import quote

import caldav
import requests
from tests.dav.conftest import (
    ALICE,
    BOB,
    CALDAV_NS,
    CAROL,
    DAV_NS,
    DAVE,
    FIXTURES,
    PASSWORD,
    SHARED_CALENDAR,
    as_user,
    multistatus,
)

PRINCIPAL_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop>
<D:current-user-principal/><D:resourcetype/>
</D:prop></D:propfind>"""

HOME_SET_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
 xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop>
<C:calendar-home-set/><CR:addressbook-home-set/><D:principal-URL/>
</D:prop></D:propfind>"""

# What Thunderbird asks of the home at Depth 1.
THUNDERBIRD_HOME = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
 xmlns:A="http://apple.com/ns/ical/"><D:prop>
<D:resourcetype/><D:displayname/><D:current-user-privilege-set/>
<A:calendar-color/><C:supported-calendar-component-set/>
</D:prop></D:propfind>"""

# Many properties at once, some unknown to any server, as iOS asks.
IOS_HOME = """<?xml version="1.0" encoding="utf-8"?>
<A:propfind xmlns:A="DAV:" xmlns:B="urn:ietf:params:xml:ns:caldav"
 xmlns:C="http://calendarserver.org/ns/" xmlns:D="http://apple.com/ns/ical/"
 xmlns:E="http://me.com/_namespace/"><A:prop>
<A:add-member/><C:allowed-sharing-modes/><E:bulk-requests/>
<D:calendar-color/><B:calendar-description/><D:calendar-order/>
<C:getctag/><A:current-user-privilege-set/><A:displayname/>
<C:invite/><A:owner/><A:resourcetype/><A:sync-token/>
<B:supported-calendar-component-set/><C:pushkey/>
</A:prop></A:propfind>"""

CARDDAV_HOME = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>
<D:foo-unknown/><D:resourcetype/><D:displayname/><CS:getctag/>
<D:current-user-privilege-set/>
</D:prop></D:propfind>"""

WRITE_PRIVILEGES = {"write", "write-content", "write-properties", "all",
                    "bind", "unbind"}


def home(address: str) -> str:
    """The href of an account's home, unquoted."""
    return f"/dav/{address}/"


def shared(address: str, name: str = SHARED_CALENDAR) -> str:
    """The href of a shared folder in ``address``'s home, unquoted."""
    return f"/dav/{address}/{name}/"


def test_well_known_redirects_to_dav_root(dav):
    """RFC 6764: /.well-known/caldav and carddav lead to /dav/."""
    for name in ("caldav", "carddav"):
        answer = requests.request(
            "PROPFIND", f"{dav.http_url}/.well-known/{name}",
            auth=(BOB, PASSWORD), allow_redirects=False, timeout=30)
        assert answer.status_code in (301, 302, 307, 308)
        assert answer.headers["Location"].endswith("/dav/")


def test_root_names_the_current_user_principal(dav):
    """PROPFIND Depth 0 on /dav/ gives the principal of the logged-in user."""
    found = multistatus(as_user(dav, BOB).propfind("", PRINCIPAL_QUERY, "0"))
    principal = found["/dav/"].found[f"{DAV_NS}current-user-principal"]
    assert principal.findtext(f"{DAV_NS}href") == "/dav/bob%40example.com/"


def test_principal_names_its_home_sets(dav):
    """The principal is also the calendar and address-book home."""
    found = multistatus(as_user(dav, BOB).propfind(
        home(BOB), HOME_SET_QUERY, "0"))
    entry = found[home(BOB)]
    for tag in (f"{CALDAV_NS}calendar-home-set",
                "{urn:ietf:params:xml:ns:carddav}addressbook-home-set"):
        href = entry.found[tag].findtext(f"{DAV_NS}href")
        assert href == "/dav/bob%40example.com/"


def test_thunderbird_home_lists_read_only_share_as_read_only(dav):
    """A read grant shows up as a calendar with read and no write privilege.

    Thunderbird makes a calendar read-only unless the privilege set has
    write, write-content, write-properties or all.
    """
    found = multistatus(as_user(dav, BOB).propfind(home(BOB),
                                                   THUNDERBIRD_HOME))
    entry = found[shared(BOB)]
    assert f"{CALDAV_NS}calendar" in {
        child.tag for child in entry.found[f"{DAV_NS}resourcetype"]}
    assert entry.text(f"{DAV_NS}displayname") == SHARED_CALENDAR
    assert "read" in entry.privileges()
    assert not entry.privileges() & WRITE_PRIVILEGES


def test_thunderbird_home_lists_write_share_as_writable(dav):
    """A write grant (no delete right ``t``) shows up with write-content.

    The preset has no ``t``, so unbind and the aggregate write are
    absent: RFC 3744 3.2 makes write the sum of its four parts.
    """
    found = multistatus(as_user(dav, CAROL).propfind(home(CAROL),
                                                     THUNDERBIRD_HOME))
    privileges = found[shared(CAROL)].privileges()
    assert {"read", "write-content", "write-properties", "bind"} \
        <= privileges
    assert not {"unbind", "write", "write-acl"} & privileges


def test_own_collections_have_every_privilege(dav):
    """The owner's own calendar says ``all``."""
    found = multistatus(as_user(dav, ALICE).propfind(home(ALICE),
                                                     THUNDERBIRD_HOME))
    assert "all" in found[shared(ALICE, "Calendar")].privileges()


def test_home_holds_tasks_notes_and_contacts_with_component_sets(dav):
    """Tasks are VTODO, notes VJOURNAL, calendars VEVENT collections."""
    found = multistatus(as_user(dav, ALICE).propfind(home(ALICE),
                                                     THUNDERBIRD_HOME))
    expected = {"Calendar": "VEVENT", "Tasks": "VTODO", "Notes": "VJOURNAL"}
    for name, component in expected.items():
        element = found[shared(ALICE, name)].found[
            f"{CALDAV_NS}supported-calendar-component-set"]
        assert [c.get("name") for c in element] == [component]
    contacts = found[shared(ALICE, "Contacts")]
    assert "{urn:ietf:params:xml:ns:carddav}addressbook" in {
        child.tag for child in contacts.found[f"{DAV_NS}resourcetype"]}


def test_group_public_folders_appear_for_members(dav):
    """A member's home lists the group's public calendar; others' do not."""
    name = "Public/team@example.com/Calendar"
    assert shared(BOB, name) in multistatus(
        as_user(dav, BOB).propfind(home(BOB), THUNDERBIRD_HOME))
    assert shared(DAVE, name) not in multistatus(
        as_user(dav, DAVE).propfind(home(DAVE), THUNDERBIRD_HOME))


def test_global_address_list_appears_without_subscription(dav):
    """Carol may read Erin's GAL: it is in her address-book home.

    Bob holds no grant on it and does not see it.
    """
    name = "~erin@example.com/Directory"
    found = multistatus(as_user(dav, CAROL).propfind(home(CAROL),
                                                     CARDDAV_HOME))
    assert "read" in found[shared(CAROL, name)].privileges()
    assert shared(BOB, name) not in multistatus(
        as_user(dav, BOB).propfind(home(BOB), CARDDAV_HOME))


def test_account_without_grants_sees_only_own_folders(dav):
    """Dave's home holds nothing of Alice's."""
    found = multistatus(as_user(dav, DAVE).propfind(home(DAVE),
                                                    THUNDERBIRD_HOME))
    assert not [href for href in found if "alice" in href]


def test_carddav_responses_start_with_200(dav):
    """Thunderbird CardDAV keeps a response only if its first status is 200.

    The request asks an unknown property first.
    """
    found = multistatus(as_user(dav, BOB).propfind(home(BOB),
                                                   CARDDAV_HOME))
    for entry in found.values():
        assert entry.statuses[0] == "HTTP/1.1 200 OK"
    assert shared(BOB, "~alice@example.com/Contacts") in found


def test_ios_first_request_without_credentials_gets_401(dav):
    """Never an anonymous 207: the first, credential-less request is 401."""
    answer = requests.request("PROPFIND", f"{dav.http_url}/dav/",
                              data=PRINCIPAL_QUERY, headers={"Depth": "0"},
                              timeout=30)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].lower().startswith("basic")


def test_ios_unknown_properties_are_404_inside_multistatus(dav):
    """Dozens of properties at once: unknown ones are 404 propstats."""
    found = multistatus(as_user(dav, BOB).propfind(home(BOB), IOS_HOME))
    entry = found[shared(BOB)]
    assert "{http://me.com/_namespace/}bulk-requests" in entry.missing
    assert f"{DAV_NS}add-member" in entry.missing
    assert f"{DAV_NS}displayname" in entry.found
    assert "{http://calendarserver.org/ns/}getctag" in entry.found


def test_caldav_library_finds_shared_calendar(dav):
    """The caldav library's principal.calendars() offers the share."""
    client = caldav.DAVClient(url=f"{dav.http_url}/dav/", username=BOB,
                              password=PASSWORD)
    names = {calendar.get_display_name()
             for calendar in client.principal().calendars()}
    assert {"Calendar", SHARED_CALENDAR} <= names


def test_caldav_library_given_the_bare_server_address(dav):
    """Given http://host:port/ only, the caldav library finds Bob's
    principal (PROPFIND / answers like /dav/) and the shared calendar;
    PROPFIND / without credentials is a 401 challenge."""
    client = caldav.DAVClient(url=f"{dav.http_url}/", username=BOB,
                              password=PASSWORD)
    principal = client.principal()
    assert str(principal.url).endswith(f"/dav/{quote(BOB)}/") or \
        str(principal.url).endswith(f"/dav/{BOB}/")
    names = {calendar.get_display_name()
             for calendar in principal.calendars()}
    assert SHARED_CALENDAR in names
    anonymous = requests.request("PROPFIND", f"{dav.http_url}/",
                                 headers={"Depth": "0"}, timeout=30)
    assert anonymous.status_code == 401


def test_calendar_user_address_set_names_a_mailto(dav):
    """The home's calendar-user-address-set names Bob's address as a
    mailto: URI (RFC 6638 2.4.1), first."""
    body = ("<D:propfind xmlns:D=\"DAV:\" "
            "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop>"
            "<C:calendar-user-address-set/></D:prop></D:propfind>")
    found = multistatus(as_user(dav, BOB).propfind(f"{BOB}/", body, "0"))
    element = found[f"/dav/{BOB}/"].found[
        "{urn:ietf:params:xml:ns:caldav}calendar-user-address-set"]
    hrefs = [h.text for h in element.iter(f"{DAV_NS}href")]
    assert hrefs[0] == f"mailto:{BOB}"


def test_owner_url_works_for_grantee(dav):
    """Alice's own URL of the folder answers Bob as his shared view does."""
    bob = as_user(dav, BOB)
    answer = bob.propfind(f"{ALICE}/Calendar/", THUNDERBIRD_HOME, "0")
    entry = multistatus(answer)[f"/dav/{ALICE}/Calendar/"]
    assert "read" in entry.privileges()
    assert not entry.privileges() & WRITE_PRIVILEGES


def test_folder_without_grant_answers_like_missing_one(dav):
    """Dave gets the same refusal for Alice's Calendar and a made-up one."""
    dave = as_user(dav, DAVE)
    real = dave.propfind(f"{ALICE}/Calendar/", THUNDERBIRD_HOME, "0")
    made_up = dave.propfind(f"{ALICE}/Nothing/", THUNDERBIRD_HOME, "0")
    assert real.status_code == made_up.status_code
    assert real.status_code in (403, 404)
    assert real.text == made_up.text


def test_options_announces_calendar_and_addressbook_access(dav):
    """DAVx5 and iOS look for calendar-access and addressbook in DAV."""
    answer = as_user(dav, BOB).request("OPTIONS", home(BOB))
    assert answer.status_code == 200
    classes = {part.strip() for part in answer.headers["DAV"].split(",")}
    assert {"1", "calendar-access", "addressbook"} <= classes


def test_items_carry_the_privileges_of_their_collection(dav):
    """An item in a read-only share says read, not write-content."""
    alice = as_user(dav, ALICE)
    text = (FIXTURES / "public_event.ics").read_text().replace(
        "public-1", "privileges-1")
    assert alice.put(f"{ALICE}/Calendar/privileges.ics",
                     text).status_code == 201
    found = multistatus(as_user(dav, BOB).propfind(
        shared(BOB) + "privileges.ics", THUNDERBIRD_HOME, "0"))
    entry = found[shared(BOB) + "privileges.ics"]
    assert "read" in entry.privileges()
    assert not entry.privileges() & WRITE_PRIVILEGES


def test_own_home_allows_making_collections(dav):
    """The home says bind (MKCALENDAR works there) and nothing more."""
    found = multistatus(as_user(dav, BOB).propfind(home(BOB),
                                                   THUNDERBIRD_HOME, "0"))
    privileges = found[home(BOB)].privileges()
    assert {"read", "bind"} <= privileges
    assert not privileges & {"write", "all", "unbind", "write-content"}
