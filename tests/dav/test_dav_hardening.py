"""Hardening and revocation: limits, spoofed headers, names, lost grants.

This module runs its own server (a small body limit, a calendar with a
non-ASCII name) because it revokes a grant of the shared scenario.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from tests.conftest import RunningServer
from tests.dav.conftest import (
    ALICE,
    BOB,
    DAV_NS,
    PASSWORD,
    SHARED_CALENDAR,
    as_user,
    fixture_text,
    multistatus,
    start_server,
    sync_token,
)

from icewarp_share.store import Store

UTF8_FOLDER = "Événements d'été"
NO_GROUPWARE = "mailonly@example.com"
BODY_LIMIT = 4000

PRINCIPAL = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/>
</D:prop></D:propfind>"""

LISTING = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/>
</D:prop></D:propfind>"""

SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>
</D:sync-collection>"""


def _utf8_folder(store: Store) -> None:
    store.directory.add_folder(ALICE, UTF8_FOLDER, "calendar")
    store.directory.add_account(NO_GROUPWARE, PASSWORD, groupware=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[RunningServer]:
    """The scenario with a body limit and a non-ASCII folder name."""
    running = start_server(tmp_path_factory.mktemp("hardening"),
                           _utf8_folder,
                           http={"max_request_body": BODY_LIMIT})
    try:
        yield running
    finally:
        running.stop()


def test_body_over_the_limit_is_413(server):
    """A PUT larger than http.max_request_body is refused whole."""
    text = fixture_text("public_event.ics").replace(
        "LOCATION:Room 4", "DESCRIPTION:" + "x" * BODY_LIMIT)
    answer = as_user(server, ALICE).put(f"{ALICE}/Calendar/big.ics", text)
    assert answer.status_code == 413
    assert as_user(server, ALICE).request(
        "GET", f"{ALICE}/Calendar/big.ics").status_code == 404


def test_spoofed_identity_headers_are_ignored(server):
    """X-Remote-User and X-Script-Name from a client change nothing."""
    answer = requests.request(
        "PROPFIND", f"{server.http_url}/dav/", data=PRINCIPAL,
        auth=(BOB, PASSWORD), timeout=30,
        headers={"Depth": "0", "X-Remote-User": ALICE,
                 "X-Script-Name": "/elsewhere",
                 "X-Forwarded-Host": "evil.example"})
    found = multistatus(answer)
    principal = found["/dav/"].found[f"{DAV_NS}current-user-principal"]
    assert principal.findtext(f"{DAV_NS}href") == "/dav/bob%40example.com/"


def test_utf8_folder_names_round_trip(server):
    """A calendar named with accents and an apostrophe is listed and used."""
    alice = as_user(server, ALICE)
    found = multistatus(alice.propfind(f"{ALICE}/", LISTING))
    assert f"/dav/{ALICE}/{UTF8_FOLDER}/" in found
    path = f"{ALICE}/{quote(UTF8_FOLDER)}/e.ics"
    text = fixture_text("public_event.ics")
    assert alice.put(path, text).status_code == 201
    assert "Team meeting" in alice.request("GET", path).text


def test_malformed_request_gets_no_traceback(server):
    """Broken XML is a plain 400: no exception text reaches the client."""
    answer = as_user(server, BOB).request(
        "PROPFIND", f"{BOB}/", "<D:propfind xmlns:D='DAV:'><unclosed>",
        Depth="1")
    assert answer.status_code == 400
    assert "Traceback" not in answer.text
    assert "Error" not in answer.text


def test_revoking_a_grant_removes_the_collection(server):
    """After unshare, the calendar leaves Bob's home and his sync fails."""
    bob = as_user(server, BOB)
    view = f"{BOB}/{SHARED_CALENDAR}/"
    assert as_user(server, ALICE).put(
        f"{ALICE}/Calendar/p.ics",
        fixture_text("public_event.ics")).status_code == 201
    token = sync_token(bob.report(view, SYNC.format("")))
    assert f"/dav/{view}" in multistatus(bob.propfind(f"{BOB}/", LISTING))

    server.cli("unshare", f"{ALICE}/Calendar", BOB)

    assert f"/dav/{view}" not in multistatus(
        bob.propfind(f"{BOB}/", LISTING))
    answer = bob.report(view, SYNC.format(token))
    assert answer.status_code in (403, 404)
    assert bob.request("GET", view + "p.ics").status_code in (403, 404)
    assert bob.request("GET", f"{ALICE}/Calendar/p.ics").status_code \
        in (403, 404)


def test_account_without_groupware_gets_no_dav(server):
    """Groupware switched off for an account: /dav/ refuses it, even home."""
    answer = as_user(server, NO_GROUPWARE).propfind(f"{NO_GROUPWARE}/",
                                                    LISTING)
    assert answer.status_code == 403
    assert as_user(server, BOB).propfind(f"{BOB}/", LISTING).status_code \
        == 207
