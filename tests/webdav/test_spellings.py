"""One resource, one spelling: locks and properties cannot be dodged.

Found by a tester: a lock taken on /webdav/alice@example.com/... did not
hold against /webdav/ALICE@EXAMPLE.COM/..., and thousands of properties
in one PROPPATCH held every worker for minutes.
"""

from __future__ import annotations

import uuid

from tests.webdav.conftest import ALICE, BOB, WebDav

LOCK = ('<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope>'
        '<D:exclusive/></D:lockscope><D:locktype><D:write/>'
        '</D:locktype></D:lockinfo>')


def test_lock_holds_whatever_the_case_of_the_owner(webdav: WebDav) -> None:
    """A PUT or LOCK through an upper-case owner address meets the lock."""
    name = f"case-{uuid.uuid4().hex[:8]}.txt"
    path = f"/{ALICE}/Documents/{name}"
    shouted = f"/{ALICE.upper()}/Documents/{name}"
    assert webdav.request(ALICE, "PUT", path, "v1").status_code == 201
    locked = webdav.request(ALICE, "LOCK", path, LOCK)
    assert locked.status_code == 200
    assert webdav.request(BOB, "PUT", shouted, "v2").status_code == 423
    assert webdav.request(BOB, "LOCK", shouted, LOCK).status_code == 423
    assert webdav.request(ALICE, "GET", path).content == b"v1"
    webdav.request(ALICE, "UNLOCK", path,
                   headers={"Lock-Token": locked.headers["Lock-Token"]})


def test_lock_of_a_sibling_in_other_case_is_kept(webdav: WebDav) -> None:
    """Paths are case-sensitive: deleting SUB/ keeps the lock in sub/."""
    base = f"/{ALICE}/Documents/{uuid.uuid4().hex[:8]}"
    for folder in ("sub", "SUB"):
        assert webdav.request(ALICE, "MKCOL", f"{base}-{folder}/") \
            .status_code == 201
    lower, upper = f"{base}-sub/a.txt", f"{base}-SUB/b.txt"
    webdav.request(ALICE, "PUT", lower, "a")
    webdav.request(ALICE, "PUT", upper, "b")
    locked = webdav.request(ALICE, "LOCK", lower, LOCK)
    assert locked.status_code == 200
    assert webdav.request(ALICE, "DELETE", f"{base}-SUB/").status_code \
        in (200, 204)
    assert webdav.request(BOB, "PUT", lower, "x").status_code == 423


def test_proppatch_of_thousands_of_properties_is_refused(
        webdav: WebDav) -> None:
    """One request may not set thousands of properties (413, at once)."""
    path = f"/{ALICE}/Documents/props-{uuid.uuid4().hex[:8]}.txt"
    webdav.request(ALICE, "PUT", path, "x")
    props = "".join(f'<p{n} xmlns="urn:b">v</p{n}>' for n in range(3000))
    body = ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:">'
            f"<D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>")
    answer = webdav.request(ALICE, "PROPPATCH", path, body)
    assert answer.status_code == 413


def test_utf16_body_cannot_hide_a_declaration(webdav: WebDav) -> None:
    """Entity declarations are refused in UTF-16 as in UTF-8."""
    path = f"/{ALICE}/Documents/enc-{uuid.uuid4().hex[:8]}.txt"
    webdav.request(ALICE, "PUT", path, "x")
    body = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY '
            'x SYSTEM "file:///etc/passwd">]><D:propertyupdate '
            'xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:a">&x;</x>'
            '</D:prop></D:set></D:propertyupdate>')
    answer = webdav.request(ALICE, "PROPPATCH", path,
                            body.encode("utf-16"),
                            headers={"Content-Type": "application/xml"})
    assert answer.status_code == 400
