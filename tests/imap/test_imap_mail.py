"""Mail operations over real sockets: fetch, search, copy, move,
expunge, IDLE, UIDPLUS, LITERAL+, TLS, bad input and LMTP delivery."""

from __future__ import annotations

import imaplib
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time

import pytest

from tests.imap.imap_fixtures import message

ALICE, BOB, CAROL, DAVE = (f"{n}@example.com"
                           for n in ("alice", "bob", "carol", "dave"))


def _raw(server, lines: list[bytes], user: str = DAVE) -> bytes:
    """Send raw lines after LOGIN; return everything the server said."""
    with socket.create_connection(("127.0.0.1", server.ports["imap"]),
                                  timeout=10) as sock:
        sock.recv(4096)
        sock.sendall(b"a LOGIN " + user.encode() + b" secret\r\n")
        _until(sock, b"a OK")
        out = b""
        for index, line in enumerate(lines):
            sock.sendall(line + b"\r\n")
        out += _until(sock, b"z OK")
        return out


def _until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    deadline = time.monotonic() + 10
    while marker not in data and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_multipart_sections_are_byte_exact(login):
    """BODY[], partial BODY[]<0.100>, BODY[1], BODY[2.MIME],
    BODY[HEADER.FIELDS], BODYSTRUCTURE; \\Seen only without PEEK."""
    dave = login(DAVE)
    raw = message("multipart-report.eml")
    dave.append("INBOX", None, None, raw)
    dave.select("INBOX")
    _, data = dave.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] "
                              "BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    parts = [item[1] for item in data if isinstance(item, tuple)]
    assert parts[0] == b"See the attached report."
    assert parts[1].startswith(b"Content-Type: text/csv")
    assert parts[2] == b"Subject: Report with attachment\r\n\r\n"
    _, data = dave.fetch("1", "(BODY.PEEK[] BODY.PEEK[]<0.100>)")
    assert data[0][1] == raw
    assert data[1][0].endswith(b"BODY[]<0> {100}")
    assert data[1][1] == raw[:100]
    _, data = dave.fetch("1", "(BODYSTRUCTURE ENVELOPE)")
    assert b'"TEXT" "CSV" ("NAME" "report.csv")' in data[0]
    assert b'"MIXED" ("BOUNDARY" "sep-42")' in data[0]
    assert b'"Report with attachment"' in data[0]
    _, data = dave.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in data[0]
    dave.fetch("1", "(BODY[TEXT])")
    _, data = dave.fetch("1", "(FLAGS)")
    assert b"\\Seen" in data[0]


def test_search_copy_move_expunge_with_uidplus(login):
    """SEARCH in SQL, COPYUID, MOVE reports EXPUNGE, UID EXPUNGE."""
    dave = login(DAVE)
    dave.create("Archive")
    dave.create("Work")
    for name in ("plain-note.eml", "multipart-report.eml"):
        dave.append("Work", None, None, message(name))
    dave.select("Work")
    assert dave.search(None, "FROM", '"carol"')[1] == [b"2"]
    assert dave.search(None, "SUBJECT", "quarterly")[1] == [b"1"]
    assert dave.search(None, "BODY", '"second line"')[1] == [b"1"]
    assert dave.search(None, "OR", "LARGER", "400", "UID", "1")[1] == \
        [b"1 2"]
    typ, data = dave.copy("1:2", "Archive")
    assert typ == "OK" and b"[COPYUID " in data[0]
    typ, data = dave._simple_command("MOVE", "1", "Archive")
    assert typ == "OK"
    assert dave.untagged_responses.get("EXPUNGE") == [b"1"]
    dave.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = dave.uid("EXPUNGE", "1:*")
    assert typ == "OK"
    assert dave.select("Work")[1] == [b"0"]
    assert dave.select("Archive")[1] == [b"3"]


def test_expunge_and_flags_reach_the_other_session(login):
    """Changes by the owner are reported to the sharee with the mailbox
    open, with sequence numbers that follow the expunges."""
    alice, bob = login(ALICE), login(BOB)
    alice.create("Live")
    alice.setacl("Live", BOB, "lrswite")
    for _ in range(3):
        alice.append("Live", None, None, message("plain-note.eml"))
    bob.select('"~alice@example.com/Live"')
    alice.select("Live")
    alice.store("2", "+FLAGS", "(\\Flagged \\Deleted)")
    alice.expunge()
    alice.store("2", "+FLAGS", "(\\Answered)")
    bob.noop()
    assert bob.untagged_responses.get("EXPUNGE") == [b"2"]
    fetched = bob.untagged_responses.get("FETCH", [])
    assert any(b"\\Answered" in line for line in fetched)
    bob.untagged_responses.clear()
    assert bob.fetch("1:*", "(UID)")[1] == [b"1 (UID 1)", b"2 (UID 3)"]


def test_idle_reports_delivery_until_done(login, imap_server):
    """IDLE gets EXISTS for an LMTP delivery; only DONE ends it."""
    bob = login(BOB)
    bob.select("INBOX")
    tag = bob._new_tag()
    bob.send(tag + b" IDLE\r\n")
    assert bob.readline().startswith(b"+")
    threading.Timer(0.5, _deliver, (imap_server, [BOB])).start()
    line = bob.readline()
    assert line == b"* 1 EXISTS\r\n"
    bob.send(b"DONE\r\n")
    assert bob.readline().startswith(tag + b" OK")


def _deliver(server, recipients: list[str]) -> dict:
    with smtplib.LMTP("127.0.0.1", server.ports["lmtp"]) as lmtp:
        return lmtp.sendmail("sender@example.net", recipients,
                             message("plain-note.eml"))


def test_lmtp_answers_each_recipient(imap_server, login):
    """Unknown recipient: 550 for it alone; a group delivering to its
    folder fills the public INBOX; an account gets its INBOX."""
    with smtplib.LMTP("127.0.0.1", imap_server.ports["lmtp"]) as lmtp:
        lmtp.ehlo_or_helo_if_needed()
        assert lmtp.mail("sender@example.net")[0] == 250
        assert lmtp.rcpt(CAROL)[0] == 250
        assert lmtp.rcpt("nobody@example.com")[0] == 550
        assert lmtp.rcpt("team@example.com")[0] == 250
        code, _ = lmtp.data(message("plain-note.eml"))
        assert code == 250
        # RFC 2033 4.2: one more reply for the second accepted recipient.
        assert lmtp.getreply()[0] == 250
    carol = login(CAROL)
    assert carol.select("INBOX")[1] == [b"1"]
    assert carol.select('"Public/team@example.com/INBOX"')[0] == "OK"


def test_lmtp_size_limit_is_552(imap_server):
    """SIZE= above the limit is refused with 552 at MAIL FROM."""
    with smtplib.LMTP("127.0.0.1", imap_server.ports["lmtp"]) as lmtp:
        lmtp.ehlo_or_helo_if_needed()
        code, text = lmtp.mail("s@example.net", ["SIZE=999999999999"])
        assert code == 552 and b"size limit" in text


def test_literal_plus_and_bad_input(imap_server):
    """LITERAL+ needs no continuation; junk gets BAD with a reason and the
    connection keeps working."""
    out = _raw(imap_server, [
        b'b APPEND INBOX {12+}', b'Subject: x\r\n',
        b"c FETCH", b"d SELECT", b"e FROBNICATE", b'f SEARCH (((',
        b"g APPEND INBOX {999999999}", b"h STATUS INBOX (MESSAGES",
        b"z NOOP"])
    assert b"b OK [APPENDUID" in out
    assert b"+ " not in out
    assert b"c BAD" in out and b"e BAD" in out and b"h BAD" in out
    assert b"g NO [TOOBIG]" in out
    assert b"Traceback" not in out and b"Error" not in out


def test_over_long_line_closes_politely(imap_server):
    """A line over max_line_length gets BYE, not a crash."""
    with socket.create_connection(("127.0.0.1", imap_server.ports["imap"]),
                                  timeout=10) as sock:
        sock.recv(4096)
        sock.sendall(b"a NOOP " + b"x" * 70000 + b"\r\n")
        assert b"* BYE" in _until(sock, b"BYE")


def test_failed_login_is_refused_and_logged(imap_server):
    """Wrong password: NO [AUTHENTICATIONFAILED]; a warning with the
    remote address, never the password."""
    client = imaplib.IMAP4("127.0.0.1", imap_server.ports["imap"])
    try:
        client.login(ALICE, "wrong-password-123")
    except imaplib.IMAP4.error as error:
        assert "AUTHENTICATIONFAILED" in str(error)
    else:
        raise AssertionError("login succeeded")
    log = imap_server.log()
    assert "127.0.0.1" in log and "wrong-password-123" not in log


def test_implicit_tls_and_starttls(imap_server):
    """IMAPS on tls_listen and STARTTLS on the plain port both log in."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    secure = imaplib.IMAP4_SSL("127.0.0.1", imap_server.ports["imaps"],
                               ssl_context=context)
    assert secure.login(ALICE, "secret")[0] == "OK"
    secure.logout()
    plain = imaplib.IMAP4("127.0.0.1", imap_server.ports["imap"])
    assert "STARTTLS" in plain.capabilities
    plain.starttls(context)
    assert plain.login(ALICE, "secret")[0] == "OK"
    plain.logout()


MBSYNC_CONFIG = """\
IMAPAccount bob
Host 127.0.0.1
Port {port}
User bob@example.com
Pass secret
SSLType None
AuthMechs PLAIN

IMAPStore remote
Account bob

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel shared
Far :remote:"~alice@example.com/Drop"
Near :local:Drop
Create Near
Sync Pull
SyncState *
"""


@pytest.mark.skipif(shutil.which("mbsync") is None,
                    reason="mbsync (Debian isync) missing")
def test_mbsync_pulls_a_shared_folder(login, imap_server, tmp_path):
    """Bob's mbsync copies alice's shared Drop folder, byte for byte."""
    alice = login("alice@example.com")
    raw = message("multipart-report.eml")
    assert alice.append("Drop", None, None, raw)[0] == "OK"
    local = tmp_path / "Maildir"
    local.mkdir()
    config = tmp_path / "mbsyncrc"
    config.write_text(MBSYNC_CONFIG.format(port=imap_server.ports["imap"],
                                    local=local))
    result = subprocess.run(["mbsync", "-c", str(config), "shared"],
                            capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # mbsync marks what it stored with an X-TUID header line of its own.
    pulled = [re.sub(rb"X-TUID: \S+\n", b"", p.read_bytes())
              for p in (local / "Drop").glob("*/*") if p.is_file()]
    # Maildir keeps Unix line ends: mbsync turns CRLF into LF.
    assert raw.replace(b"\r\n", b"\n") in pulled


def test_starttls_drops_commands_sent_in_clear_after_it(imap_server):
    """Bytes that followed STARTTLS in clear are not run inside TLS."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", imap_server.ports["imap"]),
                                    timeout=10)
    sock.recv(4096)
    sock.sendall(b"a STARTTLS\r\nb NOOP\r\n")
    assert b"a OK" in _until(sock, b"a OK")
    secure = context.wrap_socket(sock)
    secure.sendall(b"c NOOP\r\n")
    answer = _until(secure, b"c OK")
    secure.close()
    assert b"c OK" in answer and b"b OK" not in answer


def test_connections_per_address_are_limited(imap_server):
    """Above max_connections_per_address the server says BYE at once."""
    opened = []
    try:
        for _ in range(50):
            sock = socket.create_connection(
                ("127.0.0.1", imap_server.ports["imap"]), timeout=10)
            opened.append(sock)
            assert sock.recv(4096).startswith(b"* OK")
        extra = socket.create_connection(
            ("127.0.0.1", imap_server.ports["imap"]), timeout=10)
        opened.append(extra)
        assert _until(extra, b"\r\n").startswith(b"* BYE Too many")
    finally:
        for sock in opened:
            sock.close()


def test_mailbox_names_travel_in_modified_utf7(login):
    """CREATE "Entw&APw-rfe" makes "Entwürfe"; LIST sends it back encoded
    and SELECT finds it under the same name."""
    dave = login(DAVE)
    assert dave.create('"Entw&APw-rfe"')[0] == "OK"
    _, data = dave.list('""', '"Entw*"')
    assert data == [b'(\\HasNoChildren) "/" "Entw&APw-rfe"']
    assert dave.select('"Entw&APw-rfe"')[0] == "OK"
    assert dave.select('"Entw&APw-rfe/Nope"')[1][0].startswith(
        b"[NONEXISTENT]")
