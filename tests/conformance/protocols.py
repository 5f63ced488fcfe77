"""Checks of one user against the ACL core, one function per protocol.

Each returns a list of differences (empty when the protocol agrees with
the core), each a line naming the user, the folder, the command, what the
core expects and what the server answered.
"""

from __future__ import annotations

import imaplib
import re
import xml.etree.ElementTree as ET

import requests

from icewarp_share import acl
from icewarp_share.store import Store
from tests.conformance import world as w
from tests.conftest import RunningServer

# imaplib knows GETACL and MYRIGHTS but not LISTRIGHTS (RFC 4314 3.4).
imaplib.Commands.setdefault("LISTRIGHTS", ("AUTH", "SELECTED"))

CUPS = (b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
        b"<current-user-privilege-set/></prop></propfind>")


def rights(store: Store, user: str, folder: str) -> acl.Rights:
    """The core's rights of ``user`` on the owner's ``folder``."""
    return store.directory.decide(user, w.OWNER, folder).rights


def name_for(store: Store, user: str, folder: str) -> str:
    """The folder's name as the core names it for ``user``."""
    return acl.display_name(user, w.OWNER, acl.OwnerKind.ACCOUNT, folder,
                            store.prefixes)


def _code(answer: tuple[str, list[object]]) -> str:
    """OK, or the response code of a NO (NONEXISTENT, NOPERM...)."""
    status, data = answer
    if status == "OK":
        return "OK"
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode()
    match = re.match(r"\[([A-Z-]+)", text)
    return f"{status} {match.group(1) if match else ''}".strip()


def _listed(client: imaplib.IMAP4) -> set[str]:
    """Selectable names of ``LIST "" "*"``."""
    status, data = client.list('""', "*")
    assert status == "OK", data
    names = set()
    for line in data:
        if not isinstance(line, bytes):
            continue
        match = re.match(rb'\(([^)]*)\) (?:"."|NIL) "?(.*?)"?$', line)
        assert match, line
        if b"\\noselect" not in match.group(1).lower():
            names.add(match.group(2).decode())
    return names


class _Imap:
    """One logged-in imaplib client and the differences it found."""

    def __init__(self, server: RunningServer, store: Store,
                 user: str) -> None:
        self.store = store
        self.user = user
        self.found: list[str] = []
        self.client = imaplib.IMAP4("127.0.0.1", server.ports["imap"],
                                    timeout=30)

    def differ(self, folder: str, what: str, want: object,
               got: object) -> None:
        if want != got:
            self.found.append(f"IMAP {self.user} {folder} {what}: "
                              f"core says {want!r}, server {got!r}")



def _gate(have: acl.Rights, letter: str, missing: str) -> str:
    """What a command needing ``letter`` must answer: without ``l``
    exactly what it answers for a folder that does not exist."""
    if "l" not in have:
        return missing
    return "OK" if letter in have else "NO NOPERM"


def _answers(imap: _Imap, name: str, folder: str) -> dict[str, str]:
    """The code of each folder command on ``name`` (SELECT last)."""
    client = imap.client
    return {
        "MYRIGHTS": _code(client.myrights(name)),
        "GETACL": _code(client.getacl(name)),
        "LISTRIGHTS": _code(client._simple_command(
            "LISTRIGHTS", name, w.OWNER)),
        "STATUS": _code(client.status(name, "(MESSAGES)")),
        "APPEND": _code(client.append(name, "", None,
                                      w.message(folder, 99))),
        "SELECT": _select(client, name),
    }


def _select(client: imaplib.IMAP4, name: str) -> str:
    """SELECT (never EXAMINE); ``client.read_only`` keeps READ-ONLY.

    imaplib refuses commands after a READ-ONLY select unless it thinks it
    asked for one, so it is told so and the answer is kept aside.
    """
    client.untagged_responses.pop("READ-ONLY", None)
    answer = client._simple_command("SELECT", name)
    client.state = "SELECTED" if answer[0] == "OK" else "AUTH"
    client.read_only = (  # type: ignore[attr-defined]
        client.untagged_responses.pop("READ-ONLY", None) is not None)
    client.is_readonly = True
    return _code(answer)


NEEDS = {"MYRIGHTS": "l", "GETACL": "a", "LISTRIGHTS": "a", "STATUS": "r",
         "APPEND": "i", "SELECT": "r"}


def check_imap(server: RunningServer, store: Store, user: str
               ) -> list[str]:
    """LIST, MYRIGHTS, SELECT, STATUS, FETCH, SEARCH, STORE, EXPUNGE,
    APPEND, GETACL and LISTRIGHTS of ``user`` against the core."""
    imap = _Imap(server, store, user)
    client = imap.client
    try:
        viewer = store.directory.viewer(user)
        try:
            client.login(user, w.PASSWORD)
        except imaplib.IMAP4.error:
            imap.differ("-", "LOGIN", viewer.mail_mode.value, "refused")
            return imap.found
        want = {v.name for v in store.directory.visible(
            user, kinds=[acl.FolderKind.MAIL])}
        imap.differ("*", "LIST", sorted(want), sorted(_listed(client)))
        missing = name_for(store, user, "NoSuchFolder")
        absent = _answers(imap, f'"{missing}"', "NoSuchFolder")
        for folder in w.MAIL_FOLDERS:
            _check_mail_folder(imap, folder, absent)
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return imap.found


def _check_mail_folder(imap: _Imap, folder: str,
                       absent: dict[str, str]) -> None:
    have = rights(imap.store, imap.user, folder)
    name = '"' + name_for(imap.store, imap.user, folder) + '"'
    client = imap.client
    answers = _answers(imap, name, folder)
    for command, letter in NEEDS.items():
        imap.differ(folder, command, _gate(have, letter, absent[command]),
                    answers[command])
    if answers["MYRIGHTS"] == "OK":
        line = client.myrights(name)[1][0]
        got = line.decode().rsplit(" ", 1)[-1] if line else ""
        imap.differ(folder, "MYRIGHTS letters", str(have), got)
    if answers["SELECT"] != "OK":
        return
    read_only = client.read_only  # type: ignore[attr-defined]
    imap.differ(folder, "SELECT READ-ONLY", not any(
        letter in have for letter in "swte"), read_only)
    count = w.MESSAGES_PER_FOLDER
    typ, data = client.fetch("1:*", "(FLAGS)")
    imap.differ(folder, "FETCH count", True,
                typ == "OK" and len(data) >= count)
    typ, data = client.search(None, "ALL")
    imap.differ(folder, "SEARCH count", True,
                typ == "OK" and len(data[0].split()) >= count)
    for flag, letter in (("\\Seen", "s"), ("\\Flagged", "w"),
                         ("\\Deleted", "t")):
        stored = _code(client.store("1", "+FLAGS.SILENT", f"({flag})"))
        refusal = "NO READ-ONLY" if read_only else "NO NOPERM"
        imap.differ(folder, f"STORE {flag}",
                    "OK" if letter in have else refusal, stored)
        if stored == "OK":
            client.store("1", "-FLAGS.SILENT", f"({flag})")
    # No message carries \Deleted now: EXPUNGE removes nothing, but must
    # still be refused without e.
    refusal = "NO READ-ONLY" if read_only else "NO NOPERM"
    imap.differ(folder, "EXPUNGE", "OK" if "e" in have else refusal,
                _code(client.expunge()))
    client.close()


def _status_for(have: acl.Rights, letter: str, allowed: int,
                absent: int) -> int:
    """The status a DAV request needing ``letter`` must get: without
    ``l`` what the same request gets at a missing folder (``absent``),
    403 without ``letter``."""
    if "l" not in have:
        return absent
    return allowed if letter in have else 403


def _request(server: RunningServer, user: str, method: str, url: str,
             body: bytes = b"", **headers: str) -> int:
    answer = requests.request(
        method, server.http_url + url, auth=(user, w.PASSWORD), data=body,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
        timeout=30)
    return answer.status_code


def _privileges(content: bytes) -> set[str]:
    """DAV: privileges of a current-user-privilege-set answer."""
    root = ET.fromstring(content)
    # CalDAV's own read-free-busy is outside the core's DAV: set.
    return {child.tag.rpartition("}")[2]
            for element in root.iter("{DAV:}privilege")
            for child in element if child.tag.startswith("{DAV:}")}


def _writes(server: RunningServer, user: str, label: str,
            urls: tuple[str, str], body: bytes, have: acl.Rights,
            content_type: str) -> list[str]:
    """PUT a new member, then DELETE it, as the core allows; ``urls`` is
    the member's URL and the same name in a folder that does not exist."""
    found = []
    url, missing = urls
    absent = _request(server, user, "PUT", missing, body,
                      Content_Type=content_type)
    put = _request(server, user, "PUT", url, body,
                   Content_Type=content_type)
    want = _status_for(have, "i", 201, absent)
    if put != want:
        found.append(f"{label} {user} PUT new: core rights "
                     f"{str(have)!r} -> {want}, server {put}")
    if put != 201:
        return found
    deleted = _request(server, user, "DELETE", url)
    if deleted == 200:  # Radicale answers a DELETE with 200 and a body
        deleted = 204
    want = _status_for(have, "t", 204, 404)
    if deleted != want:
        found.append(f"{label} {user} DELETE: core rights "
                     f"{str(have)!r} -> {want}, server {deleted}")
    if deleted != 204:
        _request(server, w.OWNER, "DELETE",
                 url.replace(f"/dav/{user}/~{w.OWNER}/", f"/dav/{w.OWNER}/"))
    return found


def check_caldav(server: RunningServer, store: Store, user: str
                 ) -> list[str]:
    """PROPFIND, PUT and DELETE in the owner's Calendar, as the core
    says: privileges are ``acl.dav_privileges`` of the rights."""
    have = rights(store, user, "Calendar")
    if user == w.OWNER and not store.directory.viewer(user).groupware:
        # Known difference, pinned by a strict xfail in
        # test_known_differences.py: the core gives an owner without
        # groupware every right, CalDAV refuses. Drop once fixed.
        return []
    found = []
    base = f"/dav/{user}/{name_for(store, user, 'Calendar')}/"
    missing = f"/dav/{user}/{name_for(store, user, 'NoSuchFolder')}/"
    absent = _request(server, user, "PROPFIND", missing, CUPS, Depth="0",
                      Content_Type="application/xml")
    answer = requests.request(
        "PROPFIND", server.http_url + base, auth=(user, w.PASSWORD),
        data=CUPS, headers={"Depth": "0", "Content-Type": "application/xml"},
        timeout=30)
    want = _status_for(have, "r", 207, absent)
    if answer.status_code != want:
        found.append(f"CalDAV {user} Calendar PROPFIND: core rights "
                     f"{str(have)!r} -> {want}, server {answer.status_code}")
    elif want == 207:
        privileges = _privileges(answer.content)
        expected = set(acl.dav_privileges(have))
        if privileges != expected:
            found.append(f"CalDAV {user} Calendar privileges: core "
                         f"{sorted(expected)}, server {sorted(privileges)}")
    uid = "conformance-" + user.split("@")[0]
    event = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//c//EN\r\n"
             f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
             "DTSTART:20260110T100000Z\r\nSUMMARY:c\r\nEND:VEVENT\r\n"
             "END:VCALENDAR\r\n").encode()
    found += _writes(server, user, "CalDAV",
                     (f"{base}{uid}.ics", f"{missing}{uid}.ics"), event,
                     have, "text/calendar")
    return found


def check_webdav(server: RunningServer, store: Store, user: str
                 ) -> list[str]:
    """PROPFIND, PUT and DELETE in the owner's Documents, as the core
    says."""
    have = rights(store, user, "Documents")
    base = f"/webdav/{w.OWNER}/Documents/"
    missing = f"/webdav/{w.OWNER}/NoSuchFolder/"
    absent = _request(server, user, "PROPFIND", missing, CUPS, Depth="0",
                      Content_Type="application/xml")
    status = _request(server, user, "PROPFIND", base, CUPS, Depth="0",
                      Content_Type="application/xml")
    want = _status_for(have, "r", 207, absent)
    found = []
    if status != want:
        found.append(f"WebDAV {user} Documents PROPFIND: core rights "
                     f"{str(have)!r} -> {want}, server {status}")
    name = "conformance-" + user.split("@")[0] + ".txt"
    found += _writes(server, user, "WebDAV", (base + name, missing + name),
                     b"conformance\n", have, "text/plain")
    return found


def _api(server: RunningServer, user: str, route: str,
         path: str) -> requests.Response:
    return requests.get(f"{server.http_url}/api/{route}",
                        params={"owner": w.OWNER, "path": path},
                        auth=(user, w.PASSWORD), timeout=30)


def check_api(server: RunningServer, store: Store, user: str
              ) -> list[str]:
    """``GET /api/rights`` is the core's decision, ``GET /api/grants``
    needs ``a``; a hidden folder answers like a missing one."""
    found = []
    absent = {route: _api(server, user, route, "NoSuchFolder").status_code
              for route in ("rights", "grants")}
    for folder in (*w.GRANTED, "Projects/Sub"):
        have = rights(store, user, folder)
        answer = _api(server, user, "rights", folder)
        want = absent["rights"] if "l" not in have else 200
        if answer.status_code != want:
            found.append(f"API {user} {folder} rights: core "
                         f"{str(have)!r} -> {want}, server "
                         f"{answer.status_code}")
        elif want == 200 and answer.json()["rights"] != have.letters:
            found.append(f"API {user} {folder} rights: core "
                         f"{have.letters!r}, server "
                         f"{answer.json()['rights']!r}")
        grants = _api(server, user, "grants", folder).status_code
        want = _status_for(have, "a", 200, absent["grants"])
        if grants != want:
            found.append(f"API {user} {folder} grants: core "
                         f"{str(have)!r} -> {want}, server {grants}")
    return found
