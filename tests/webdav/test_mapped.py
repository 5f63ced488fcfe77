"""Folders mapped onto server directories by the administrator.

``Flat`` is mapped non-recursively: only its direct regular files are
served. ``Tree`` is mapped recursively. In both, a symbolic link whose
target leaves the directory is not followed.
"""

from __future__ import annotations

from xml.etree import ElementTree

from tests.webdav.conftest import ALICE, BOB, WebDav

FLAT = f"/{ALICE}/Flat"
TREE = f"/{ALICE}/Tree"


def _names(xml: bytes) -> set[str]:
    tree = ElementTree.fromstring(xml)
    return {(e.text or "").rstrip("/").rsplit("/", 1)[-1]
            for e in tree.iter("{DAV:}href")}


def test_flat_folder_lists_direct_files_only(webdav: WebDav) -> None:
    """The subdirectory and the escaping link are not listed."""
    answer = webdav.request(BOB, "PROPFIND", FLAT, headers={"Depth": "1"})
    assert answer.status_code == 207
    names = _names(answer.content)
    assert {"visible.txt", "alias.txt"} <= names
    assert "sub" not in names and "escape.txt" not in names


def test_flat_folder_subdirectory_is_unreachable(webdav: WebDav) -> None:
    """Files below a subdirectory of a flat folder answer 404."""
    assert webdav.request(BOB, "GET",
                          f"{FLAT}/sub/hidden.txt").status_code == 404
    assert webdav.request(BOB, "PROPFIND", f"{FLAT}/sub").status_code == 404


def test_flat_folder_refuses_new_subdirectories(webdav: WebDav) -> None:
    """MKCOL in a flat folder is refused even with every right."""
    answer = webdav.request(BOB, "MKCOL", f"{FLAT}/newdir")
    assert answer.status_code == 403
    assert not (webdav.mapped / "flat" / "newdir").exists()


def test_link_leaving_the_directory_is_not_followed(webdav: WebDav) -> None:
    """GET of a link to a file outside the mapped directory is 404."""
    answer = webdav.request(BOB, "GET", f"{FLAT}/escape.txt")
    assert answer.status_code == 404
    assert b"not for WebDAV" not in answer.content
    answer = webdav.request(BOB, "GET", f"{TREE}/out/secret.txt")
    assert answer.status_code == 404


def test_link_inside_the_directory_is_served(webdav: WebDav) -> None:
    """A link to a direct file of the same directory is a file."""
    answer = webdav.request(BOB, "GET", f"{FLAT}/alias.txt")
    assert answer.status_code == 200 and answer.text == "visible\n"


def test_writes_land_in_the_mapped_directory(webdav: WebDav) -> None:
    """PUT into a mapped folder writes the server's file, durably."""
    assert webdav.request(BOB, "PUT", f"{FLAT}/fresh.txt",
                          "fresh").status_code == 201
    assert (webdav.mapped / "flat" / "fresh.txt").read_text() == "fresh"
    leftovers = [p.name for p in (webdav.mapped / "flat").iterdir()
                 if p.name.endswith(".part")]
    assert leftovers == []


def test_recursive_folder_serves_subdirectories(webdav: WebDav) -> None:
    """In Tree, docs/guide.txt is reachable and new directories work."""
    answer = webdav.request(BOB, "GET", f"{TREE}/docs/guide.txt")
    assert answer.status_code == 200 and answer.text == "guide\n"
    assert webdav.request(BOB, "MKCOL", f"{TREE}/made").status_code == 201
    assert (webdav.mapped / "tree" / "made").is_dir()
    listing = webdav.request(BOB, "PROPFIND", TREE, headers={"Depth": "1"})
    assert "out" not in _names(listing.content)


def test_move_from_data_directory_into_mapped_folder(webdav: WebDav) -> None:
    """A MOVE across file systems' roots still moves the file."""
    source = f"/{ALICE}/Team/crossing.txt"
    webdav.request(BOB, "PUT", source, "across")
    answer = webdav.request(BOB, "MOVE", source, headers={
        "Destination": f"{webdav.base}{TREE}/crossing.txt"})
    assert answer.status_code == 201
    assert (webdav.mapped / "tree" / "crossing.txt").read_text() == "across"


def test_unpresentable_names_are_left_out_of_listings(
        webdav: WebDav) -> None:
    """A non-UTF-8 name and a control character do not break PROPFIND."""
    answer = webdav.request(BOB, "PROPFIND", FLAT, headers={"Depth": "1"})
    assert answer.status_code == 207
    assert "visible.txt" in _names(answer.content)
    assert not any(name.startswith(("latin1", "bell"))
                   for name in _names(answer.content))
