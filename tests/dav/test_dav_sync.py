"""sync-collection (RFC 6578) never names or counts what a viewer cannot see.

Alice writes to her Calendar, which Bob reads through a read grant and
Dave reaches through Alice's own URL once granted. A sync token is the
viewer's: the empty-token sync answers the same token as PROPFIND
DAV:sync-token, a delta names only hrefs whose presented form changed
for that viewer, and hidden writes do not move the token.
"""

from __future__ import annotations

import time

import pytest
from tests.dav.conftest import (
    ALICE,
    BOB,
    DAV_NS,
    DAVE,
    SHARED_CALENDAR,
    as_user,
    fixture_text,
    multistatus,
    sync_token,
)

OWN_CALENDAR = f"{ALICE}/Calendar/"
BOBS_VIEW = f"{BOB}/{SHARED_CALENDAR}/"

SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>
</D:sync-collection>"""

TOKEN = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>"""


def _event(uid: str, extra: str = "", summary: str = "Team meeting"
           ) -> str:
    """The public fixture event under another UID, with extra lines."""
    text = fixture_text("public_event.ics").replace("public-1", uid)
    text = text.replace("SUMMARY:Team meeting", f"SUMMARY:{summary}")
    return text.replace("END:VEVENT", f"{extra}END:VEVENT")


def _put(dav, name: str, text: str) -> None:
    answer = as_user(dav, ALICE).put(OWN_CALENDAR + name, text,
                                     Content_Type="text/calendar")
    assert answer.status_code in (201, 204), answer.text


def _synced(dav, address: str, collection: str, token: str = ""
            ) -> tuple[str, list[str]]:
    """The token and item hrefs of one sync-collection REPORT."""
    answer = as_user(dav, address).report(collection, SYNC.format(token))
    hrefs = [h for h in multistatus(answer) if h.endswith(".ics")]
    return sync_token(answer), sorted(hrefs)


def _propfind_token(dav, address: str, collection: str) -> str:
    found = multistatus(as_user(dav, address).propfind(collection, TOKEN,
                                                       "0"))
    return found[f"/dav/{collection}"].text(f"{DAV_NS}sync-token")


@pytest.fixture(scope="module", autouse=True)
def history(dav):
    """An event made public and then turned PRIVATE, before any sync."""
    _put(dav, "shown.ics", _event("shown"))
    _put(dav, "turned.ics", _event("turned"))
    _put(dav, "turned.ics", _event("turned", "CLASS:PRIVATE\r\n"))


def test_first_sync_answers_current_token_and_names_no_private_href(dav):
    """The empty-token sync's token equals PROPFIND's, and a delta from
    it names neither the item that turned private before Bob ever
    synced nor anything else."""
    token, hrefs = _synced(dav, BOB, BOBS_VIEW)
    assert hrefs == [f"/dav/{BOBS_VIEW}shown.ics"]
    assert token == _propfind_token(dav, BOB, BOBS_VIEW)
    again, hrefs = _synced(dav, BOB, BOBS_VIEW, token)
    assert hrefs == [] and again == token


def test_item_hidden_before_and_after_is_never_named(dav):
    """An item created public and turned private between two syncs was
    never seen by Bob: his delta does not name it, not even as 404."""
    token, _ = _synced(dav, BOB, BOBS_VIEW)
    _put(dav, "blink.ics", _event("blink"))
    _put(dav, "blink.ics", _event("blink", "CLASS:PRIVATE\r\n"))
    _, hrefs = _synced(dav, BOB, BOBS_VIEW, token)
    assert hrefs == []


def test_sharee_granted_later_is_not_told_of_older_private_items(dav):
    """Dave, granted after an item turned private, never sees its href."""
    dav.cli("share", "--rights", "read", f"{ALICE}/Calendar", DAVE)
    try:
        token, hrefs = _synced(dav, DAVE, OWN_CALENDAR)
        assert f"/dav/{OWN_CALENDAR}turned.ics" not in hrefs
        _, hrefs = _synced(dav, DAVE, OWN_CALENDAR, token)
        assert hrefs == []
        _, hrefs = _synced(dav, DAVE, OWN_CALENDAR,
                           token.rsplit(":", 2)[0] + ":1:" +
                           token.rsplit(":", 1)[1])
        assert f"/dav/{OWN_CALENDAR}turned.ics" not in hrefs
    finally:
        dav.cli("unshare", f"{ALICE}/Calendar", DAVE)


def test_token_of_another_view_is_refused(dav):
    """A token handed out under other rights (the owner's) is invalid for
    a sharee of the same folder: what the client holds may differ."""
    token, _ = _synced(dav, ALICE, OWN_CALENDAR)
    answer = as_user(dav, BOB).report(BOBS_VIEW, SYNC.format(token))
    assert answer.status_code == 403 and "valid-sync-token" in answer.text


LAST_MODIFIED = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/><D:getetag/>
<D:sync-token/></D:prop></D:propfind>"""


def _times(dav, address: str, collection: str, name: str
           ) -> tuple[str, str, str, str]:
    """Collection getlastmodified and sync-token, item's and GET's time."""
    found = multistatus(as_user(dav, address).propfind(
        collection, LAST_MODIFIED, "1"))
    folder = found[f"/dav/{collection}"]
    item = found[f"/dav/{collection}{name}"]
    got = as_user(dav, address).request("GET", collection + name)
    assert got.status_code == 200
    return (folder.text(f"{DAV_NS}getlastmodified"),
            folder.text(f"{DAV_NS}sync-token"),
            item.text(f"{DAV_NS}getlastmodified"),
            got.headers["Last-Modified"])


def test_hidden_edit_of_confidential_item_shows_no_activity(dav):
    """Changing only the hidden SUMMARY and DESCRIPTION of a CONFIDENTIAL
    item is not reported to Bob, who sees its placeholder: his delta is
    empty, his token, the collection's and the item's Last-Modified stay
    (the placeholder's time is not the real edit time)."""
    secret = "CLASS:CONFIDENTIAL\r\nDESCRIPTION:HR office\r\n"
    _put(dav, "secret.ics", _event("secret", secret, "Salary review"))
    token, hrefs = _synced(dav, BOB, BOBS_VIEW)
    assert f"/dav/{BOBS_VIEW}secret.ics" in hrefs
    before = _times(dav, BOB, BOBS_VIEW, "secret.ics")

    time.sleep(1.1)  # Last-Modified counts seconds
    _put(dav, "secret.ics", _event(
        "secret", secret.replace("HR office", "Room 9"), "Layoffs"))
    assert _synced(dav, BOB, BOBS_VIEW, token) == (token, [])
    assert _times(dav, BOB, BOBS_VIEW, "secret.ics") == before
    owner = _times(dav, ALICE, OWN_CALENDAR, "secret.ics")
    assert owner[2] != before[2]


def test_hidden_writes_do_not_move_the_sharees_token(dav):
    """Twenty PUTs of a PRIVATE item leave Bob's token where it was."""
    token, _ = _synced(dav, BOB, BOBS_VIEW)
    for number in range(20):
        _put(dav, "diary.ics", _event("diary", "CLASS:PRIVATE\r\n",
                                      f"Entry {number}"))
    assert _synced(dav, BOB, BOBS_VIEW, token) == (token, [])
    assert _propfind_token(dav, BOB, BOBS_VIEW) == token
