"""Rights on every method, from the ACL core, over real sockets.

Each test names the right it pins down; the folder's owner is alice and
the grants are in ``conftest``.
"""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

from tests.webdav.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    WebDav,
    propfind_body,
)

DOCS = f"/{ALICE}/Documents"
TEAM = f"/{ALICE}/Team"


def _name(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def _hrefs(xml: bytes) -> list[str]:
    tree = ElementTree.fromstring(xml)
    return [e.text or "" for e in tree.iter("{DAV:}href")]


def test_root_lists_own_account_and_sharing_owners(webdav: WebDav) -> None:
    """``/webdav/`` lists oneself and the accounts that share files."""
    answer = webdav.request(BOB, "PROPFIND", "/", headers={"Depth": "1"})
    assert answer.status_code == 207
    hrefs = _hrefs(answer.content)
    assert f"/webdav/{BOB}/" in hrefs and f"/webdav/{ALICE}/" in hrefs


def test_owner_level_lists_only_folders_the_user_may_look_up(
        webdav: WebDav) -> None:
    """carol sees Documents of alice but not Team, Flat or Tree."""
    answer = webdav.request(CAROL, "PROPFIND", f"/{ALICE}/",
                            headers={"Depth": "1"})
    assert answer.status_code == 207
    hrefs = _hrefs(answer.content)
    assert f"/webdav/{ALICE}/Documents/" in hrefs
    assert not any(h.rstrip("/").endswith(("Team", "Flat", "Tree"))
                   for h in hrefs)


def test_unshared_account_and_folder_answer_like_missing_ones(
        webdav: WebDav) -> None:
    """dave gets 404 for alice, exactly as for an account that is not."""
    for path in (f"/{ALICE}/", DOCS, f"{DOCS}/x.txt", "/nobody@example.com/"):
        answer = webdav.request(DAVE, "PROPFIND", path,
                                headers={"Depth": "0"})
        assert answer.status_code == 404, path
    assert webdav.request(CAROL, "PROPFIND", TEAM).status_code == 404


def test_put_of_new_file_needs_insert_and_read_needs_r(
        webdav: WebDav) -> None:
    """bob (write) creates a file; carol (read) reads it; dave cannot."""
    path = f"{DOCS}/{_name('note')}.txt"
    assert webdav.request(BOB, "PUT", path, "hello").status_code == 201
    got = webdav.request(CAROL, "GET", path)
    assert got.status_code == 200 and got.text == "hello"
    assert webdav.request(DAVE, "GET", path).status_code == 404


def test_read_only_sharee_cannot_put_mkcol_delete_or_proppatch(
        webdav: WebDav) -> None:
    """carol's read grant refuses every change with 403."""
    path = f"{DOCS}/{_name('kept')}.txt"
    webdav.request(BOB, "PUT", path, "kept")
    assert webdav.request(CAROL, "PUT", path, "x").status_code == 403
    assert webdav.request(CAROL, "PUT", f"{DOCS}/{_name('n')}",
                          "x").status_code == 403
    assert webdav.request(CAROL, "MKCOL",
                          f"{DOCS}/{_name('d')}").status_code == 403
    assert webdav.request(CAROL, "DELETE", path).status_code == 403
    patch = ('<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set>'
             '<D:prop><Z:a>1</Z:a></D:prop></D:set></D:propertyupdate>')
    assert webdav.request(CAROL, "PROPPATCH", path,
                          patch).status_code == 403
    assert webdav.request(CAROL, "GET", path).text == "kept"


def test_lookup_only_grant_sees_folder_but_reads_nothing(
        webdav: WebDav) -> None:
    """erin (l) is refused with 403 inside, for present and absent names."""
    path = f"{DOCS}/{_name('present')}.txt"
    webdav.request(BOB, "PUT", path, "x")
    assert webdav.request(ERIN, "GET", path).status_code == 403
    assert webdav.request(ERIN, "GET",
                          f"{DOCS}/absent.txt").status_code == 403
    assert webdav.request(ERIN, "PROPFIND", DOCS,
                          headers={"Depth": "1"}).status_code == 403


def test_overwrite_needs_w_and_delete_needs_t(webdav: WebDav) -> None:
    """bob (write = lrswipk) overwrites but may not delete (no t)."""
    path = f"{DOCS}/{_name('over')}.txt"
    assert webdav.request(BOB, "PUT", path, "one").status_code == 201
    assert webdav.request(BOB, "PUT", path, "two").status_code == 204
    assert webdav.request(BOB, "DELETE", path).status_code == 403
    assert webdav.request(ALICE, "DELETE", path).status_code == 204


def test_directory_delete_needs_x(webdav: WebDav) -> None:
    """bob (write, no x) cannot remove a directory he made; in Team he can."""
    made = f"{DOCS}/{_name('dir')}"
    assert webdav.request(BOB, "MKCOL", made).status_code == 201
    assert webdav.request(BOB, "DELETE", made).status_code == 403
    team_dir = f"{TEAM}/{_name('dir')}"
    assert webdav.request(BOB, "MKCOL", team_dir).status_code == 201
    assert webdav.request(BOB, "DELETE", team_dir).status_code == 204


def test_copy_into_read_only_folder_is_refused(webdav: WebDav) -> None:
    """COPY needs r at the source and i at the destination."""
    source = f"{TEAM}/{_name('src')}.txt"
    assert webdav.request(BOB, "PUT", source, "data").status_code == 201
    dest = f"{webdav.base}{DOCS}/{_name('copy')}.txt"
    assert webdav.request(BOB, "COPY", source,
                          headers={"Destination": dest}).status_code == 201
    carol_dest = f"{webdav.base}{DOCS}/{_name('c')}.txt"
    webdav.request(ALICE, "PUT", f"{DOCS}/carol-src.txt", "z")
    answer = webdav.request(CAROL, "COPY", f"{DOCS}/carol-src.txt",
                            headers={"Destination": carol_dest})
    assert answer.status_code == 403


def test_move_of_file_needs_t_at_source(webdav: WebDav) -> None:
    """bob may not move a file out of Documents (no t), but may in Team."""
    path = f"{DOCS}/{_name('stay')}.txt"
    webdav.request(BOB, "PUT", path, "x")
    dest = f"{webdav.base}{TEAM}/{_name('moved')}.txt"
    assert webdav.request(BOB, "MOVE", path,
                          headers={"Destination": dest}).status_code == 403
    source = f"{TEAM}/{_name('go')}.txt"
    webdav.request(BOB, "PUT", source, "y")
    assert webdav.request(BOB, "MOVE", source,
                          headers={"Destination": dest}).status_code == 201
    assert webdav.request(BOB, "GET", dest).text == "y"
    assert webdav.request(BOB, "GET", source).status_code == 404


def test_folder_itself_cannot_be_deleted_and_listing_is_read_only(
        webdav: WebDav) -> None:
    """Files folders are the administrator's; WebDAV only fills them."""
    assert webdav.request(ALICE, "DELETE", f"{DOCS}/").status_code == 403
    assert webdav.request(ALICE, "MKCOL",
                          f"/{ALICE}/NewFolder").status_code == 403
    assert webdav.request(ALICE, "PUT", f"/{ALICE}/loose.txt",
                          "x").status_code == 403


def test_read_only_privilege_set_has_no_write_or_bind(
        webdav: WebDav) -> None:
    """carol's current-user-privilege-set on a shared file: read only."""
    path = f"{DOCS}/{_name('priv')}.txt"
    webdav.request(BOB, "PUT", path, "x")
    answer = webdav.request(CAROL, "PROPFIND", path,
                            propfind_body("current-user-privilege-set"),
                            headers={"Depth": "0"})
    assert answer.status_code == 207
    tree = ElementTree.fromstring(answer.content)
    held = {child.tag for privilege in tree.iter("{DAV:}privilege")
            for child in privilege}
    assert "{DAV:}read" in held
    assert not held & {"{DAV:}write", "{DAV:}write-content", "{DAV:}bind",
                       "{DAV:}all"}


def test_writer_privilege_set_has_write_content_and_bind(
        webdav: WebDav) -> None:
    """bob (write) is told write-content and bind, so clients allow edits."""
    answer = webdav.request(BOB, "PROPFIND", DOCS,
                            propfind_body("current-user-privilege-set"),
                            headers={"Depth": "0"})
    tree = ElementTree.fromstring(answer.content)
    held = {child.tag for privilege in tree.iter("{DAV:}privilege")
            for child in privilege}
    assert {"{DAV:}write-content", "{DAV:}bind"} <= held
    assert "{DAV:}unbind" not in held


def test_lock_needs_the_right_of_the_write_it_protects(
        webdav: WebDav) -> None:
    """LOCK of a file needs w, LOCK of a new name needs i (RFC 4918 7.3)."""
    body = ('<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope>'
            '<D:exclusive/></D:lockscope><D:locktype><D:write/>'
            '</D:locktype></D:lockinfo>')
    path = f"{DOCS}/{_name('lockable')}.txt"
    webdav.request(BOB, "PUT", path, "x")
    assert webdav.request(CAROL, "LOCK", path, body).status_code == 403
    assert webdav.request(CAROL, "LOCK", f"{DOCS}/{_name('new')}",
                          body).status_code == 403
    locked = webdav.request(BOB, "LOCK", path, body)
    assert locked.status_code == 200
    webdav.request(BOB, "UNLOCK", path,
                   headers={"Lock-Token": locked.headers["Lock-Token"]})


def test_directory_move_needs_x(webdav: WebDav) -> None:
    """bob (write, no x) may not move a directory in Documents."""
    made = f"{DOCS}/{_name('mv')}"
    webdav.request(BOB, "MKCOL", made)
    dest = f"{webdav.base}{DOCS}/{_name('mvdest')}"
    answer = webdav.request(BOB, "MOVE", made, headers={"Destination": dest})
    assert answer.status_code == 403
    assert webdav.request(BOB, "PROPFIND", made,
                          headers={"Depth": "0"}).status_code == 207


def test_infinite_propfind_of_a_collection_is_refused(
        webdav: WebDav) -> None:
    """Depth infinity (or none) on a collection: 403 propfind-finite-depth.

    Otherwise a listing level would walk into every folder at once,
    including folders the account may only look up.
    """
    for headers in ({"Depth": "infinity"}, {}):
        answer = webdav.request(ERIN, "PROPFIND", "/", headers=headers)
        assert answer.status_code == 403
        assert b"propfind-finite-depth" in answer.content
    path = f"{DOCS}/{_name('leaf')}.txt"
    webdav.request(BOB, "PUT", path, "x")
    answer = webdav.request(BOB, "PROPFIND", path)
    assert answer.status_code == 207


def test_lookup_only_folder_shows_no_members_in_listings(
        webdav: WebDav) -> None:
    """erin lists alice's folders at Depth 1 and sees Documents, empty."""
    webdav.request(BOB, "PUT", f"{DOCS}/{_name('member')}.txt", "x")
    answer = webdav.request(ERIN, "PROPFIND", f"/{ALICE}/",
                            headers={"Depth": "1"})
    assert answer.status_code == 207
    hrefs = _hrefs(answer.content)
    assert f"/webdav/{ALICE}/Documents/" in hrefs
    assert not any(h.startswith(f"/webdav/{ALICE}/Documents/") and
                   h != f"/webdav/{ALICE}/Documents/" for h in hrefs)


def test_hidden_folder_answers_every_method_like_a_missing_one(
        webdav: WebDav) -> None:
    """dave gets the same status for alice's folder as for a ghost's."""
    lockinfo = ('<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">'
                '<D:lockscope><D:exclusive/></D:lockscope><D:locktype>'
                '<D:write/></D:locktype></D:lockinfo>')
    webdav.request(BOB, "PUT", f"{DOCS}/present.txt", "x")
    requests_to_try = [
        ("OPTIONS", "/present.txt", "", {}),
        ("GET", "/present.txt", "", {}),
        ("PROPFIND", "/present.txt", "", {"Depth": "0"}),
        ("PROPFIND", "/", "", {"Depth": "1"}),
        ("PUT", "/present.txt", "x", {}),
        ("PUT", "/new.txt", "x", {}),
        ("MKCOL", "/newdir", "", {}),
        ("DELETE", "/present.txt", "", {}),
        ("LOCK", "/present.txt", lockinfo, {}),
        ("PROPPATCH", "/present.txt", "<x/>", {}),
        ("COPY", "/present.txt", "",
         {"Destination": f"{webdav.base}/{DAVE}/Documents/c.txt"}),
        ("MOVE", "/present.txt", "",
         {"Destination": f"{webdav.base}/{DAVE}/Documents/m.txt"}),
    ]
    for method, tail, body, headers in requests_to_try:
        hidden = webdav.request(DAVE, method, f"{DOCS}{tail}", body,
                                headers=headers)
        ghost = webdav.request(DAVE, method,
                               f"/ghost@example.com/Documents{tail}",
                               body, headers=headers)
        assert hidden.status_code == ghost.status_code, (method, tail)
        assert hidden.content == ghost.content, (method, tail)
    assert webdav.request(BOB, "GET", f"{DOCS}/present.txt").text == "x"
