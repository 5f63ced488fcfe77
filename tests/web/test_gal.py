"""Global address lists: the grantee picker searches the user's own
address books and every GAL it may read, and a GAL group keeps one card
per member in its address book."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from tests.conftest import RunningServer
from tests.web.conftest import basic

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ADMIN = "admin@example.com"


def put_card(server: RunningServer, owner: str, name: str) -> None:
    """Store a fixture vCard in the owner's Contacts over CardDAV."""
    with basic(server, owner) as client:
        answer = client.put(
            f"/dav/{owner}/Contacts/{name}",
            content=(FIXTURES / name).read_bytes(),
            headers={"Content-Type": "text/vcard; charset=utf-8"})
    assert answer.status_code in (201, 204), answer.text


def search(server: RunningServer, user: str, text: str) -> list[tuple]:
    with basic(server, user) as client:
        answer = client.get("/api/contacts", params={"q": text})
    assert answer.status_code == 200
    return [(c["address"], c["name"], c["source"])
            for c in answer.json()["contacts"]]


def test_picker_finds_gal_cards_for_readers_even_without_groupware(
        shared_demo: RunningServer) -> None:
    """Once Alice's address book (read for the domain) is flagged GAL,
    Bob's picker finds its public cards, never its private ones; Carol,
    whose groupware is off, still finds them; Alice finds her own."""
    server = shared_demo
    put_card(server, "alice@example.com", "gal_partner_contact.vcf")
    put_card(server, "alice@example.com", "gal_private_contact.vcf")
    assert search(server, "bob@example.com", "zed") == []

    with basic(server, ADMIN) as admin:
        flagged = admin.patch("/api/admin/folders", json={
            "owner": "alice@example.com", "path": "Contacts", "gal": True})
    assert flagged.status_code == 200 and flagged.json()["gal"] is True

    found = ("zed@partner.example", "Zed Zimmer",
             "~alice@example.com/Contacts")
    assert search(server, "bob@example.com", "zed") == [found]
    assert search(server, "bob@example.com", "yuri") == []
    server.cli("account", "set", "carol@example.com", "--groupware", "off")
    assert search(server, "carol@example.com", "zimmer") == [found]
    assert search(server, "alice@example.com", "yuri") == [
        ("yuri@partner.example", "Yuri Secret", "Contacts")]


def card_hrefs(server: RunningServer, user: str, group: str) -> list[str]:
    """The member cards a CardDAV client of ``user`` finds in the
    group's address book."""
    with basic(server, user) as client:
        answer = client.request(
            "PROPFIND", f"/dav/{group}/Contacts/",
            headers={"Depth": "1", "Content-Type": "application/xml"},
            content=b'<?xml version="1.0"?><propfind xmlns="DAV:">'
                    b"<prop><getetag/></prop></propfind>")
    assert answer.status_code == 207, answer.text
    return sorted(unquote(name) for name in
                  re.findall(r"group-member-([^<>/]+)\.vcf", answer.text))


def test_gal_group_keeps_one_card_per_member(
        shared_demo: RunningServer) -> None:
    """A group with the GAL option has a card for each member account,
    added and removed as members come and go."""
    server = shared_demo
    group = "/api/admin/groups/gal@example.com"
    with basic(server, ADMIN) as admin:
        made = admin.post("/api/admin/groups", json={
            "address": "gal@example.com", "public_folder": True,
            "gal": True, "members": ["alice@example.com"]})
        assert made.status_code == 201
        assert card_hrefs(server, "alice@example.com",
                          "gal@example.com") == ["alice@example.com"]

        admin.post(group + "/members", json={"member": "bob@example.com"})
        admin.delete(group + "/members/alice@example.com")
    assert card_hrefs(server, "bob@example.com", "gal@example.com") == \
        ["bob@example.com"]
    assert search(server, "bob@example.com", "bob dupont")[0][0] == \
        "bob@example.com"
