"""Locks and dead properties are kept in the database.

They survive a restart of the server, so a Windows client holding a lock
keeps it, and a property set before is still there.
"""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

from tests.webdav.conftest import ALICE, BOB, CAROL, WebDav

TEAM = f"/{ALICE}/Team"
LOCKINFO = ('<?xml version="1.0" encoding="utf-8"?><D:lockinfo '
            'xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
            '<D:locktype><D:write/></D:locktype><D:owner>bob</D:owner>'
            '</D:lockinfo>')
PATCH = ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" '
         'xmlns:Z="urn:example:tags"><D:set><D:prop><Z:colour>blue'
         '</Z:colour></D:prop></D:set></D:propertyupdate>')
ASK = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
       'xmlns:Z="urn:example:tags"><D:prop><Z:colour/><D:lockdiscovery/>'
       '</D:prop></D:propfind>')


def test_lock_and_property_survive_a_restart(webdav: WebDav) -> None:
    """After a restart the lock still refuses others and the token works."""
    path = f"{TEAM}/kept-{uuid.uuid4().hex[:6]}.txt"
    assert webdav.request(BOB, "PUT", path, "v1").status_code == 201
    assert webdav.request(BOB, "PROPPATCH", path, PATCH).status_code == 207
    locked = webdav.request(BOB, "LOCK", path, LOCKINFO,
                            headers={"Timeout": "Second-600"})
    assert locked.status_code == 200
    token = locked.headers["Lock-Token"]

    webdav.server.stop()
    webdav.server.start()

    assert webdav.request(ALICE, "PUT", path, "alice").status_code == 423
    answer = webdav.request(BOB, "PROPFIND", path, ASK,
                            headers={"Depth": "0"})
    tree = ElementTree.fromstring(answer.content)
    colour = tree.find(".//{urn:example:tags}colour")
    assert colour is not None and colour.text == "blue"
    assert token.strip("<>") in answer.text
    assert webdav.request(BOB, "PUT", path, "v2",
                          headers={"If": f"({token})"}).status_code == 204
    assert webdav.request(BOB, "UNLOCK", path,
                          headers={"Lock-Token": token}).status_code == 204
    assert webdav.request(ALICE, "PUT", path, "alice").status_code == 204


def test_unlock_by_another_account_is_refused(webdav: WebDav) -> None:
    """A lock token is its owner's: carol cannot release bob's lock."""
    path = f"/{ALICE}/Documents/lk-{uuid.uuid4().hex[:6]}.txt"
    webdav.request(BOB, "PUT", path, "x")
    locked = webdav.request(BOB, "LOCK", path, LOCKINFO)
    token = locked.headers["Lock-Token"]
    answer = webdav.request(CAROL, "UNLOCK", path,
                            headers={"Lock-Token": token})
    assert answer.status_code == 403
    assert webdav.request(BOB, "UNLOCK", path,
                          headers={"Lock-Token": token}).status_code == 204


def test_depth_one_listing_shows_members_locks_and_properties(
        webdav: WebDav) -> None:
    """Per-listing caching must not hide a member's lock or property."""
    folder = f"{TEAM}/list-{uuid.uuid4().hex[:6]}"
    webdav.request(BOB, "MKCOL", folder)
    for name in ("a.txt", "b.txt", "c.txt"):
        webdav.request(BOB, "PUT", f"{folder}/{name}", name)
    webdav.request(BOB, "PROPPATCH", f"{folder}/b.txt", PATCH)
    locked = webdav.request(BOB, "LOCK", f"{folder}/c.txt", LOCKINFO)
    answer = webdav.request(BOB, "PROPFIND", f"{folder}/", ASK,
                            headers={"Depth": "1"})
    assert answer.status_code == 207
    tree = ElementTree.fromstring(answer.content)
    by_name = {}
    for response in tree.iter("{DAV:}response"):
        href = response.findtext("{DAV:}href") or ""
        by_name[href.rstrip("/").rsplit("/", 1)[-1]] = response
    colour = ".//{urn:example:tags}colour"
    assert by_name["b.txt"].findtext(colour) == "blue"
    assert not by_name["a.txt"].findtext(colour)
    assert by_name["c.txt"].find(".//{DAV:}activelock") is not None
    assert by_name["a.txt"].find(".//{DAV:}activelock") is None
    webdav.request(BOB, "UNLOCK", f"{folder}/c.txt",
                   headers={"Lock-Token": locked.headers["Lock-Token"]})
