"""The cases the sharing workflow must hold, over the API of a running
server: grants updated in place, precedence of an account's own grant
over its group's, domain grants reaching later accounts, account
subscriptions showing later shares, and notifications on widening only.

The tests share one demo server (see ``shared_demo``); each works on
folders no other test here touches.
"""

from __future__ import annotations

from urllib.parse import unquote

import imapclient

from icewarp_share.store.sharing import NOTICE_HEADER, parse_notice_header
from tests.conftest import RunningServer, ServerFactory
from tests.web.conftest import PASSWORD, SENDER, basic, inbox

ALICE, BOB, CAROL = ("alice@example.com", "bob@example.com",
                     "carol@example.com")
ADMIN, TEAM = "admin@example.com", "team@example.com"


def share(server: RunningServer, owner: str, path: str, grantee: str,
          rights: str) -> dict:
    with basic(server, owner) as client:
        answer = client.post("/api/grants", json={
            "path": path, "grantee": grantee, "rights": rights})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def rights_of(server: RunningServer, user: str, owner: str,
              path: str) -> dict:
    with basic(server, user) as client:
        answer = client.get("/api/rights",
                            params={"owner": owner, "path": path})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_sharing_twice_updates_one_grant_and_notifies_on_widening(
        shared_demo: RunningServer) -> None:
    """The same grantee shared with twice keeps one grant; a notice is
    sent when the grant is created and again only when it widens."""
    server = shared_demo
    before = len(inbox(server, CAROL))
    first = share(server, ALICE, "Drafts", CAROL, "read")
    same = share(server, ALICE, "Drafts", CAROL, "read")
    assert first["created"] and not same["created"]
    assert len(inbox(server, CAROL)) == before + 1

    narrower = share(server, ALICE, "Drafts", CAROL, "lr")
    assert not narrower["widened"]
    assert len(inbox(server, CAROL)) == before + 1
    wider = share(server, ALICE, "Drafts", CAROL, "write")
    assert wider["widened"]
    with basic(server, ALICE) as client:
        grants = client.get("/api/grants",
                            params={"path": "Drafts"}).json()["grants"]
    assert [(g["grantee"], g["preset"]) for g in grants] == \
        [(CAROL, "write")]

    notices = inbox(server, CAROL)
    assert len(notices) == before + 2
    latest = notices[-1]
    assert latest["From"] == SENDER and latest["To"] == CAROL
    assert latest["Auto-Submitted"] == "auto-generated"
    notice = parse_notice_header(latest[NOTICE_HEADER])
    assert (notice.owner, notice.path, notice.rights) == \
        (ALICE, "Drafts", "lrswipk")
    body = latest.get_payload(decode=True).decode()
    assert f"{server.http_url}/shared?owner=alice%40example.com" \
        "&path=Drafts&offer=folder" in body


def test_own_grant_wins_over_group_and_falls_back_when_revoked(
        shared_demo: RunningServer) -> None:
    """A member with read through its group and write through its own
    grant gets write; revoking its own grant leaves the group's read."""
    server = shared_demo
    share(server, ALICE, "Tasks", TEAM, "read")
    share(server, ALICE, "Tasks", BOB, "write")

    decided = rights_of(server, BOB, ALICE, "Tasks")
    assert (decided["preset"], decided["source"]) == ("write", "account")

    with basic(server, ALICE) as client:
        revoked = client.delete("/api/grants", params={
            "path": "Tasks", "grantee": BOB})
    assert revoked.status_code == 204
    decided = rights_of(server, BOB, ALICE, "Tasks")
    assert (decided["preset"], decided["source"]) == ("read", "group")


def test_domain_grant_reaches_an_account_created_later(
        shared_demo: RunningServer) -> None:
    """A grant to [example.com] gives its rights to an account that did
    not exist when the grant was made, and lists it as shared with it."""
    server = shared_demo
    share(server, CAROL, "Notes", "[example.com]", "read")
    server.cli("account", "add", "dave@example.com", "--password", PASSWORD)

    decided = rights_of(server, "dave@example.com", CAROL, "Notes")
    assert (decided["preset"], decided["source"]) == ("read", "domain")
    with basic(server, "dave@example.com") as client:
        shared = client.get("/api/shared").json()["folders"]
    assert (CAROL, "Notes", "grant") in \
        [(f["owner"], f["path"], f["via"]) for f in shared]


def folders_of(client, owner: str) -> dict[str, tuple[bool, str]]:
    """What "shared with me" says of one owner's folders."""
    return {f["path"]: (f["subscribed"], f["via"])
            for f in client.get("/api/shared").json()["folders"]
            if f["owner"] == owner}


def test_account_subscription_shows_later_shares_and_revoke_hides(
        shared_demo: RunningServer) -> None:
    """Subscribed to a whole account, a grantee sees a folder shared with
    it afterwards without subscribing again; revoking hides it.

    The account must share something with the grantee before it can be
    subscribed (an account sharing nothing answers like a missing one).
    """
    server = shared_demo
    share(server, BOB, "Tasks", CAROL, "read")
    with basic(server, CAROL) as client:
        made = client.post("/api/subscriptions", json={"owner": BOB})
        assert made.status_code == 201
        first = {"Tasks": (True, "account subscription")}
        assert folders_of(client, BOB) == first

        share(server, BOB, "Notes", CAROL, "read")
        assert folders_of(client, BOB) == \
            {**first, "Notes": (True, "account subscription")}

        with basic(server, BOB) as owner:
            owner.delete("/api/grants",
                         params={"path": "Notes", "grantee": CAROL})
        assert folders_of(client, BOB) == first
        assert {"owner": BOB, "path": None} in \
            client.get("/api/shared").json()["subscriptions"]


def test_folder_subscription_and_unsubscribe(
        shared_demo: RunningServer) -> None:
    """Subscribing one folder puts that folder only in the tree; the
    unsubscribe takes it out again, the grant stays offered."""
    server = shared_demo
    share(server, BOB, "Documents", ALICE, "read")
    share(server, BOB, "Contacts", ALICE, "read")
    with basic(server, ALICE) as client:
        client.post("/api/subscriptions",
                    json={"owner": BOB, "path": "Documents"})
        assert folders_of(client, BOB) == {
            "Documents": (True, "subscription"),
            "Contacts": (False, "grant")}
        gone = client.delete("/api/subscriptions",
                             params={"owner": BOB, "path": "Documents"})
        assert gone.status_code == 204
        assert folders_of(client, BOB) == {
            "Documents": (False, "grant"), "Contacts": (False, "grant")}


def test_group_public_folders_appear_and_member_rights_win(
        shared_demo: RunningServer) -> None:
    """Members of a group with public folders see them without
    subscribing, with read by default; rights an administrator gives
    one member account win over what it gets through its domain."""
    server = shared_demo
    with basic(server, CAROL) as client:
        public = folders_of(client, TEAM)
    assert public["INBOX"] == (True, "group member")

    member_rights = (f"/api/admin/groups/{TEAM}/members/"
                     f"{CAROL}/rights")
    with basic(server, ADMIN) as admin:
        # Carol is a member through her domain only: rights of her own
        # need her as a member account.
        assert admin.put(member_rights,
                         json={"rights": "write"}).status_code == 404
        admin.post(f"/api/admin/groups/{TEAM}/members",
                   json={"member": CAROL})
        assert admin.put(member_rights,
                         json={"rights": "write"}).status_code == 200
    decided = rights_of(server, CAROL, TEAM, "Calendar")
    assert (decided["preset"], decided["source"]) == ("write", "account")
    assert rights_of(server, ALICE, TEAM, "Calendar")["preset"] == "read"

    with basic(server, ADMIN) as admin:
        admin.put(member_rights, json={"rights": "default"})
    assert rights_of(server, CAROL, TEAM, "Calendar")["preset"] == "read"


def test_notifications_without_sender_stop_the_server(
        server_factory: ServerFactory) -> None:
    """With notifications on and no sender, serve refuses to start and
    says which setting is missing."""
    server = server_factory(start=False)
    text = server.config_path.read_text()
    server.config_path.write_text(
        text + "[sharing]\nnotifications = true\n")
    result = server.cli("serve", check=False)
    assert result.returncode != 0
    assert "notification_from" in result.stderr


def test_imap_setacl_sends_the_same_notice(
        shared_demo: RunningServer) -> None:
    """A grant made by an IMAP client with SETACL (RFC 4314) notifies the
    grantee like one made on the web page."""
    server = shared_demo
    before = len(inbox(server, BOB))
    with imapclient.IMAPClient("127.0.0.1", port=server.ports["imap"],
                               ssl=False, timeout=30) as client:
        client.login(ALICE, PASSWORD)
        client.setacl("Sent", BOB, "lrs")
    notices = inbox(server, BOB)
    assert len(notices) == before + 1
    notice = parse_notice_header(notices[-1][NOTICE_HEADER])
    assert (notice.owner, notice.path, notice.rights, notice.grantee) == \
        (ALICE, "Sent", "lrs", BOB)


PROPFIND = (b'<?xml version="1.0"?><propfind xmlns="DAV:">'
            b"<prop><resourcetype/></prop></propfind>")


def dav_listing(server: RunningServer, user: str, url: str) -> str:
    """The decoded hrefs of a Depth 1 PROPFIND, as one text; empty when
    the collection is not there for ``user``."""
    with basic(server, user) as client:
        answer = client.request("PROPFIND", url, content=PROPFIND,
                                headers={"Depth": "1"})
    if answer.status_code == 404:
        return ""
    assert answer.status_code == 207, answer.text
    return unquote(answer.text)


def everywhere(server: RunningServer) -> dict[str, bool]:
    """Whether Bob sees Alice's shared folders in each kind of client."""
    with imapclient.IMAPClient("127.0.0.1", port=server.ports["imap"],
                               ssl=False, timeout=30) as client:
        client.login(BOB, PASSWORD)
        mailboxes = [name for _f, _d, name in client.list_folders()]
    caldav = dav_listing(server, BOB, f"/dav/{BOB}/")
    webdav = dav_listing(server, BOB, f"/webdav/{ALICE}/")
    with basic(server, BOB) as client:
        page = {(f["owner"], f["path"])
                for f in client.get("/api/shared").json()["folders"]}
    return {
        "imap": "~alice@example.com/Projects" in mailboxes,
        "caldav": "~alice@example.com/Calendar" in caldav,
        "webdav": f"/webdav/{ALICE}/Documents" in webdav,
        "web": {(ALICE, "Projects"), (ALICE, "Calendar"),
                (ALICE, "Documents")} <= page,
    }


def test_revoking_hides_the_folder_in_every_client(
        shared_demo: RunningServer) -> None:
    """Bob, subscribed to Alice's account in the demo, sees her shared
    mail folder in IMAP, her calendar in CalDAV, her documents in WebDAV
    and all three on the page; once Alice revokes, none of them shows."""
    server = shared_demo
    assert everywhere(server) == dict.fromkeys(
        ("imap", "caldav", "webdav", "web"), True)
    with basic(server, ALICE) as client:
        for path in ("Projects", "Calendar", "Documents"):
            answer = client.delete("/api/grants", params={
                "path": path, "grantee": BOB})
            assert answer.status_code == 204
    assert everywhere(server) == {
        "imap": False, "caldav": False, "webdav": False, "web": False}


def test_notices_go_only_to_those_who_can_now_find_the_folder(
        shared_demo: RunningServer) -> None:
    """A grant without lookup sends nothing, adding lookup later does;
    a group member kept out by its own empty grant is not told about a
    share to its group, while the other members are."""
    server = shared_demo
    carol_before = len(inbox(server, CAROL))
    hidden = share(server, ALICE, "Junk", CAROL, "rs")
    assert hidden["widened"]
    assert len(inbox(server, CAROL)) == carol_before
    share(server, ALICE, "Junk", CAROL, "lrs")
    assert len(inbox(server, CAROL)) == carol_before + 1

    bob_before = len(inbox(server, BOB))
    kept_out = share(server, ALICE, "Trash", BOB, "none")
    assert kept_out["grant"]["rights"] == ""
    share(server, ALICE, "Trash", TEAM, "read")
    assert rights_of(server, CAROL, ALICE, "Trash")["preset"] == "read"
    with basic(server, BOB) as client:
        assert client.get("/api/rights", params={
            "owner": ALICE, "path": "Trash"}).status_code == 404
    assert len(inbox(server, BOB)) == bob_before
    notices = inbox(server, CAROL)
    assert len(notices) == carol_before + 2
    assert "folder=Trash" in notices[-1][NOTICE_HEADER]
