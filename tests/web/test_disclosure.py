"""The API tells a caller nothing about folders it may not look up nor
about accounts outside what its grantee picker shows: hidden, missing
and foreign answer alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunningServer
from tests.web.conftest import basic

ALICE, BOB = "alice@example.com", "bob@example.com"
NO_FOLDER = {"error": "No such folder.", "status": 404}
NO_GRANTEE = {"error": "No such person or group.", "status": 404}
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def demo(shared_demo: RunningServer) -> RunningServer:
    """The demo plus a quiet account and another domain's account."""
    shared_demo.cli("account", "add", "dave@example.com", "--password", "x")
    shared_demo.cli("domain", "add", "other.test")
    shared_demo.cli("account", "add", "eve@other.test", "--password", "x")
    return shared_demo


def test_unsubscribe_answers_hidden_missing_and_foreign_alike(
        demo: RunningServer) -> None:
    """Without a subscription, a folder the caller may not look up, a
    missing folder, a missing account and another domain's account all
    give the same 404 as the other routes."""
    targets = [("carol@example.com", "Notes"),       # exists, hidden
               ("carol@example.com", "Nowhere"),     # no such folder
               ("nobody@example.com", "Notes"),      # no such account
               ("eve@other.test", "Notes"),          # another domain
               ("nobody@other.test", "Notes")]
    with basic(demo, BOB) as client:
        for owner, path in targets:
            answer = client.delete("/api/subscriptions",
                                   params={"owner": owner, "path": path})
            assert (answer.status_code, answer.json()) == (404, NO_FOLDER), \
                (owner, path)


def test_account_subscription_needs_a_share_and_enumerates_nobody(
        demo: RunningServer) -> None:
    """Subscribing to a whole account that shares nothing with the
    caller answers exactly like subscribing to a missing one, in any
    domain; an account that shares a folder with the caller can be
    subscribed."""
    quiet = ["dave@example.com", "nobody@example.com", "eve@other.test",
             "nobody@other.test"]
    with basic(demo, BOB) as client:
        answers = [client.post("/api/subscriptions", json={"owner": o})
                   for o in quiet]
        bodies = {(a.status_code, a.text) for a in answers}
        assert len(bodies) == 1, bodies
        assert answers[0].status_code == 404
        sharing = client.post("/api/subscriptions", json={"owner": ALICE})
    assert sharing.status_code in (200, 201), sharing.text


def test_grant_to_someone_the_picker_hides_is_like_nobody(
        demo: RunningServer) -> None:
    """Sharing with an account or domain outside the caller's domain and
    contacts gets the same answer as sharing with one that does not
    exist; a colleague of the same domain can be named."""
    strangers = ["eve@other.test", "nobody@other.test",
                 "nobody@example.com", "[other.test]", "[missing.test]"]
    with basic(demo, ALICE) as client:
        for grantee in strangers:
            answer = client.post("/api/grants", json={
                "path": "Notes", "grantee": grantee, "rights": "read"})
            assert (answer.status_code, answer.json()) == \
                (404, NO_GRANTEE), grantee
        colleague = client.post("/api/grants", json={
            "path": "Notes", "grantee": "dave@example.com",
            "rights": "read"})
    assert colleague.status_code == 201, colleague.text


def test_a_foreign_account_in_the_callers_own_cards_can_be_named(
        demo: RunningServer) -> None:
    """The picker's rule decides: once Bob keeps a card for an account
    of another domain, he may share with it; Alice, without the card,
    still gets the answer for nobody."""
    with basic(demo, BOB) as client:
        stored = client.put(
            f"/dav/{BOB}/Contacts/foreign_colleague_contact.vcf",
            content=(FIXTURES / "foreign_colleague_contact.vcf").read_bytes(),
            headers={"Content-Type": "text/vcard; charset=utf-8"})
        assert stored.status_code in (201, 204), stored.text
        named = client.post("/api/grants", json={
            "path": "Notes", "grantee": "eve@other.test", "rights": "read"})
    assert named.status_code == 201, named.text
    with basic(demo, ALICE) as client:
        hidden = client.post("/api/grants", json={
            "path": "Tasks", "grantee": "eve@other.test", "rights": "read"})
    assert (hidden.status_code, hidden.json()) == (404, NO_GRANTEE)
