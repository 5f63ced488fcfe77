"""Hostile XML bodies get 400 from the canned replies, never a 500.

A DTD (entity expansion, external entities) and a request body nested
thousands of elements deep are refused before Radicale parses them.
"""

from __future__ import annotations

import pytest
from tests.dav.conftest import (
    ALICE,
    BOB,
    SHARED_CALENDAR,
    as_user,
    fixture_text,
)

CALENDAR = f"{ALICE}/Calendar/"

ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol3;</D:displayname>
</D:prop></D:propfind>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname>
</D:prop></D:propfind>"""

BARE_DTD = """<?xml version="1.0"?>
<!DOCTYPE propfind>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"""


def _deep_query(depth: int) -> str:
    """A calendar-query whose filter nests ``depth`` comp-filters."""
    opening = '<C:comp-filter name="VCALENDAR">' * depth
    return ('<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            f"</D:prop><C:filter>{opening}{'</C:comp-filter>' * depth}"
            "</C:filter></C:calendar-query>")


def _refused(answer) -> None:
    assert answer.status_code == 400, (answer.status_code, answer.text)
    assert "Traceback" not in answer.text
    assert answer.text == "The request is malformed.\n"


@pytest.mark.parametrize("body", [ENTITY_BOMB, EXTERNAL_ENTITY, BARE_DTD],
                         ids=["entity-bomb", "external-entity", "dtd"])
def test_xml_with_a_dtd_is_400(dav, body):
    """PROPFIND and PROPPATCH bodies with a DTD are refused with 400."""
    alice = as_user(dav, ALICE)
    _refused(alice.propfind(CALENDAR, body, "0"))
    _refused(alice.request("PROPPATCH", CALENDAR, body))


def test_xml_nested_too_deep_is_400(dav):
    """A calendar-query nested 20,000 deep is 400, not a RecursionError."""
    _refused(as_user(dav, ALICE).report(CALENDAR, _deep_query(20000)))


def test_ordinary_query_still_answers(dav):
    """A filter nested as deep as real clients nest it still works."""
    answer = as_user(dav, ALICE).report(CALENDAR, _deep_query(2))
    assert answer.status_code == 207


def test_depth_other_than_0_1_infinity_is_400(dav):
    """``Depth: banana`` is a bad request, not infinity (RFC 4918 10.2)."""
    answer = as_user(dav, ALICE).propfind(
        CALENDAR, '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
        "banana")
    assert answer.status_code == 400
    assert "Depth" in answer.text


MAKE_CALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set>
</C:mkcalendar>"""


def test_mkcalendar_over_an_existing_mail_folder_is_405(dav):
    """MKCALENDAR on the name of Alice's mail folder Sent is 405 with
    Allow (RFC 4791 5.3.1), not a bare 400."""
    answer = as_user(dav, ALICE).request("MKCALENDAR", f"{ALICE}/Sent/",
                                         MAKE_CALENDAR)
    assert answer.status_code == 405 and "Allow" in answer.headers


def test_mkcalendar_with_a_prefix_name_says_why(dav):
    """A name using the shared prefix is 400 with a reason."""
    answer = as_user(dav, ALICE).request("MKCALENDAR", f"{ALICE}/~evil/",
                                         MAKE_CALENDAR)
    assert answer.status_code == 400
    assert "prefix" in answer.text


FREE_BUSY_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="20260301T000000Z" end="20260401T000000Z"/>
</C:free-busy-query>"""


def test_headers_of_free_busy_and_whole_collection_get(dav):
    """The free-busy view's Content-Type names its charset once; a
    whole-collection GET of a shared calendar proposes a file name
    without a slash (its name for Bob, ``~alice@example.com/Calendar``,
    has one)."""
    bob = as_user(dav, BOB)
    view = f"{BOB}/{SHARED_CALENDAR}/"
    busy = bob.request("GET", view + "?view=freebusy"
                       "&start=20260301T000000Z&end=20260401T000000Z")
    assert busy.status_code == 200
    assert busy.headers["Content-Type"].lower().count("charset") == 1
    query = bob.report(view, FREE_BUSY_QUERY)
    assert query.status_code == 200
    assert query.headers["Content-Type"].lower().count("charset") == 1
    whole = bob.request("GET", view)
    assert whole.status_code == 200
    disposition = whole.headers["Content-Disposition"]
    filename = disposition.partition("filename")[2]
    assert "/" not in filename and "%2f" not in filename.lower()


def test_put_with_dates_out_of_range_is_not_a_412(dav):
    """An event at the end of year 9999 lasting 10,000 days cannot be
    stored: that is said with 403 valid-calendar-data, not a 412 that
    suggests a failed If-Match the client never sent."""
    text = (fixture_text("public_event.ics")
            .replace("public-1", "far-future")
            .replace("DTSTART:20260310T140000Z", "DTSTART:99991231T235959Z")
            .replace("DTEND:20260310T150000Z", "DURATION:P10000D"))
    answer = as_user(dav, ALICE).put(CALENDAR + "far.ics", text,
                                     Content_Type="text/calendar")
    assert answer.status_code == 403, answer.status_code
    assert "valid-calendar-data" in answer.text
