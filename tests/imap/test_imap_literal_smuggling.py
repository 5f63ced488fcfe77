"""A refused command's LITERAL+ literal is never run as a command.

Found by a tester: ``FOO {29+}`` followed by ``X5 LOGIN ...`` logged in,
and ``T4 FOOBAR {16+}`` followed by ``X9 DELETE victim`` deleted.
"""

from __future__ import annotations

import socket

from tests.conftest import RunningServer


def _exchange(server: RunningServer, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.ports["imap"]),
                                  timeout=5) as sock:
        sock.recv(4096)  # greeting
        sock.sendall(payload)
        received = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            pass
    return received


def test_literal_of_unknown_command_is_not_a_login(
        imap_server: RunningServer) -> None:
    """The smuggled LOGIN gets no answer; the connection is closed."""
    smuggled = b"X5 LOGIN alice@example.com secret"
    payload = (b"A1 FOO {%d+}\r\n" % len(smuggled)) + smuggled + b"\r\n"
    answer = _exchange(imap_server, payload)
    assert b"* BYE" in answer
    assert b"X5 OK" not in answer and b"Logged in" not in answer


def test_unknown_system_flag_is_the_clients_error(
        imap_server: RunningServer) -> None:
    """STORE of ``\\Bogus`` is BAD with a reason, not a server bug."""
    import imaplib

    client = imaplib.IMAP4("127.0.0.1", imap_server.ports["imap"])
    client.login("alice@example.com", "secret")
    client.append("INBOX", None, None, b"Subject: f\r\n\r\nbody\r\n")
    client.select("INBOX")
    try:
        client.store("1", "+FLAGS", "(\\Bogus)")
        answered = "OK"
    except imaplib.IMAP4.error as exc:
        answered = str(exc)
    client.logout()
    assert "SERVERBUG" not in answered and answered != "OK"
