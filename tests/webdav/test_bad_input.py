"""Bad input gets a 4xx with a reason, never a 500 or a traceback."""

from __future__ import annotations

import base64
import socket

import pytest

from tests.webdav.conftest import ALICE, BOB, PASSWORD, UPLOAD_LIMIT, WebDav

DOCS = f"/{ALICE}/Documents"

ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol3;'
    '</D:displayname></D:prop></D:propfind>')

EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
    '"file:///etc/passwd">]><D:propertyupdate xmlns:D="DAV:"><D:set>'
    '<D:prop><Z:a xmlns:Z="urn:z">&e;</Z:a></D:prop></D:set>'
    '</D:propertyupdate>')


def _raw(webdav: WebDav, method: str, target: str,
         length: int = 0) -> tuple[int, bytes]:
    """Send a request head exactly as written; the status and reply."""
    login = base64.b64encode(f"{BOB}:{PASSWORD}".encode()).decode()
    port = webdav.server.ports["http"]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {login}\r\nDepth: 0\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
            .encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    reply = b"".join(chunks)
    return int(reply.split(b" ", 2)[1]), reply


def _no_leak(body: bytes) -> None:
    assert b"Traceback" not in body and b"Error(" not in body
    assert b"WsgiDAV" not in body


@pytest.mark.parametrize("body", [
    "<D:propfind xmlns:D='DAV:'><D:prop>",
    "not xml at all",
    "<?xml version='1.0'?><wrong xmlns='urn:x'/>",
])
def test_malformed_propfind_body_is_400(webdav: WebDav, body: str) -> None:
    """A body that is not a propfind document is refused with 400."""
    answer = webdav.request(BOB, "PROPFIND", DOCS, body,
                            headers={"Depth": "0"})
    assert answer.status_code == 400
    _no_leak(answer.content)


def test_entity_bomb_is_refused_before_parsing(webdav: WebDav) -> None:
    """Billion-laughs bodies get 400 naming why, at once."""
    answer = webdav.request(BOB, "PROPFIND", DOCS, ENTITY_BOMB,
                            headers={"Depth": "0"})
    assert answer.status_code == 400
    assert b"entities" in answer.content


def test_external_entity_in_proppatch_is_refused(webdav: WebDav) -> None:
    """No file of the server can be pulled in through an entity."""
    webdav.request(BOB, "PUT", f"{DOCS}/xxe.txt", "x")
    answer = webdav.request(BOB, "PROPPATCH", f"{DOCS}/xxe.txt",
                            EXTERNAL_ENTITY)
    assert answer.status_code == 400
    assert b"root:" not in answer.content


@pytest.mark.parametrize("target", [
    "/webdav/alice@example.com/Documents/../../etc/passwd",
    "/webdav/alice@example.com/Documents/%2e%2e/%2e%2e/etc/passwd",
    "/webdav/alice@example.com/Documents/..%2f..%2fetc%2fpasswd",
    "/webdav/alice@example.com/Documents/a%00b",
    "/webdav/alice@example.com/Documents/%c0%ae%c0%ae/x",
])
def test_path_traversal_is_refused(webdav: WebDav, target: str) -> None:
    """Dot segments, encoded or not, and encoded slashes get a 4xx."""
    status, reply = _raw(webdav, "GET", target)
    assert 400 <= status < 500, reply[:200]
    assert b"root:" not in reply
    _no_leak(reply)


def test_overlong_name_is_refused_with_414(webdav: WebDav) -> None:
    """A name longer than 255 characters is refused, not created."""
    answer = webdav.request(BOB, "PUT", f"{DOCS}/{'n' * 300}.txt", "x")
    assert answer.status_code == 414
    assert b"too long" in answer.content


def test_overlong_path_is_refused_with_414(webdav: WebDav) -> None:
    """A path of more than 1024 characters is refused."""
    deep = "/".join(["d" * 50] * 30)
    answer = webdav.request(BOB, "PROPFIND", f"{DOCS}/{deep}")
    assert answer.status_code == 414


def test_upload_over_the_limit_is_413(webdav: WebDav) -> None:
    """A declared length over max_upload_size is refused with 413."""
    status, _reply = _raw(webdav, "PUT",
                          f"/webdav{DOCS}/big.bin", length=2 ** 40)
    assert status == 413
    assert webdav.request(BOB, "GET", f"{DOCS}/big.bin").status_code == 404


def test_lock_with_garbage_body_is_400(webdav: WebDav) -> None:
    """A LOCK body that is not a lockinfo is refused, nothing is locked."""
    webdav.request(BOB, "PUT", f"{DOCS}/lockbad.txt", "x")
    answer = webdav.request(BOB, "LOCK", f"{DOCS}/lockbad.txt",
                            "<lockinfo xmlns='DAV:'><oops/>")
    assert answer.status_code == 400
    assert webdav.request(BOB, "PUT", f"{DOCS}/lockbad.txt",
                          "y").status_code == 204


def test_destination_outside_webdav_is_refused(webdav: WebDav) -> None:
    """COPY to a URL outside /webdav/ is a 4xx/502, never a copy."""
    webdav.request(BOB, "PUT", f"{DOCS}/dest-src.txt", "x")
    answer = webdav.request(
        BOB, "COPY", f"{DOCS}/dest-src.txt",
        headers={"Destination": webdav.server.http_url + "/dav/x.txt"})
    assert answer.status_code in (400, 403, 502)
    _no_leak(answer.content)


def test_chunked_upload_over_the_limit_is_cut_off(webdav: WebDav) -> None:
    """A chunked body growing past max_upload_size gets 413, no file."""
    login = base64.b64encode(f"{BOB}:{PASSWORD}".encode()).decode()
    port = webdav.server.ports["http"]
    chunk = b"z" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"PUT /webdav{DOCS}/chunked-big.bin HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Basic {login}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode())
        try:
            for _ in range(2 * UPLOAD_LIMIT // len(chunk)):
                sock.sendall(frame)
        except OSError:
            pass  # the server closed the connection after its answer
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert webdav.request(BOB, "GET",
                          f"{DOCS}/chunked-big.bin").status_code == 404
