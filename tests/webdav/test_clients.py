"""Client habits: the Windows mini-redirector, Finder, trailing slashes.

The Windows copy sequence is replayed from a transcript file, with its
User-Agent, ``translate: f`` and its empty and named-property PROPFIND
bodies, as a sharee with write rights and as a read-only sharee.
"""

from __future__ import annotations

import json
import socket
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from tests.webdav.conftest import ALICE, BOB, CAROL, WebDav

TRANSCRIPTS = Path(__file__).parent / "transcripts"
DOCS = f"/{ALICE}/Documents"


def _steps(folder: str) -> tuple[str, list[dict[str, Any]]]:
    text = (TRANSCRIPTS / "windows_copy_into_share.json").read_text()
    script = json.loads(text.replace("{folder}", folder))
    return script["user_agent"], script["steps"]


def _replay(webdav: WebDav, user: str, folder: str,
            stop_at_refusal: bool = False) -> list[tuple[str, int]]:
    agent, steps = _steps(folder)
    token = ""
    seen = []
    for step in steps:
        headers = {k: v.replace("{token}", token)
                   for k, v in step["headers"].items()}
        headers["User-Agent"] = agent
        answer = webdav.request(user, step["method"], step["path"],
                                step["body"], headers=headers)
        seen.append((step["method"], answer.status_code))
        if step.get("save_lock_token") and answer.ok:
            token = answer.headers["Lock-Token"].strip("<>")
        if stop_at_refusal and answer.status_code == 403:
            break
    return seen


def test_windows_copy_sequence_succeeds_for_a_writing_sharee(
        webdav: WebDav) -> None:
    """Every step answers as Windows expects; the file and time are kept."""
    folder = f"{DOCS}/win-{uuid.uuid4().hex[:6]}"
    assert webdav.request(BOB, "MKCOL", folder).status_code == 201
    seen = _replay(webdav, BOB, folder)
    _agent, steps = _steps(folder)
    assert seen == [(s["method"], s["expect"]) for s in steps]
    got = webdav.request(CAROL, "GET", f"{folder}/report.txt")
    assert got.content == b"Quarterly report\r\nLine two\r\n"
    modified = parsedate_to_datetime(got.headers["Last-Modified"])
    assert modified == parsedate_to_datetime("Sun, 01 Mar 2026 08:00:00 GMT")


def test_windows_copy_sequence_refused_for_a_read_only_sharee(
        webdav: WebDav) -> None:
    """carol's PUT gets 403 and nothing is written."""
    folder = f"{DOCS}/ro-{uuid.uuid4().hex[:6]}"
    assert webdav.request(BOB, "MKCOL", folder).status_code == 201
    seen = _replay(webdav, CAROL, folder, stop_at_refusal=True)
    assert seen[-1] == ("PUT", 403)
    assert all(status < 300 or status == 404 for _m, status in seen[:-1])
    assert webdav.request(BOB, "GET",
                          f"{folder}/report.txt").status_code == 404


def test_win32_properties_are_kept_as_dead_properties(
        webdav: WebDav) -> None:
    """PROPFIND returns the Win32FileAttributes Windows set."""
    folder = f"{DOCS}/attr-{uuid.uuid4().hex[:6]}"
    webdav.request(BOB, "MKCOL", folder)
    _replay(webdav, BOB, folder)
    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
            'xmlns:Z="urn:schemas-microsoft-com:"><D:prop>'
            '<Z:Win32FileAttributes/></D:prop></D:propfind>')
    answer = webdav.request(BOB, "PROPFIND", f"{folder}/report.txt", body,
                            headers={"Depth": "0"})
    tree = ElementTree.fromstring(answer.content)
    found = tree.find(".//{urn:schemas-microsoft-com:}Win32FileAttributes")
    assert found is not None and found.text == "00000020"


def test_folder_without_trailing_slash_is_answered_not_redirected(
        webdav: WebDav) -> None:
    """PROPFIND on .../Documents (no slash) is a 207, not a 301."""
    answer = webdav.request(BOB, "PROPFIND", DOCS, headers={"Depth": "0"},
                            allow_redirects=False)
    assert answer.status_code == 207


def test_missing_file_propfind_is_a_plain_404(webdav: WebDav) -> None:
    """Not a 207 multistatus holding a 404: Windows needs a plain 404."""
    answer = webdav.request(BOB, "PROPFIND", f"{DOCS}/no-such-file.txt",
                            headers={"Depth": "0"})
    assert answer.status_code == 404
    assert b"multistatus" not in answer.content


def test_options_announces_class_2_and_author_via(webdav: WebDav) -> None:
    """``DAV: 1,2`` and ``MS-Author-Via: DAV`` on the WebDAV tree."""
    answer = webdav.request(BOB, "OPTIONS", f"{DOCS}/")
    assert answer.status_code == 200
    classes = {c.strip() for c in answer.headers["DAV"].split(",")}
    assert {"1", "2"} <= classes
    assert answer.headers["MS-Author-Via"] == "DAV"


def test_host_root_options_without_credentials(webdav: WebDav) -> None:
    """Windows' first ``OPTIONS /`` gets 200 with DAV headers, no login."""
    answer = webdav.request(None, "OPTIONS",
                            webdav.server.http_url + "/",
                            allow_redirects=False)
    assert answer.status_code == 200
    assert "2" in answer.headers["DAV"]


def test_chunked_put_as_finder_sends_it(webdav: WebDav) -> None:
    """A PUT with Transfer-Encoding: chunked stores the whole body."""
    path = f"{DOCS}/chunked-{uuid.uuid4().hex[:6]}.bin"
    parts = [b"a" * 70000, b"b" * 5, b"c" * 12345]
    answer = webdav.request(BOB, "PUT", path, iter(parts),  # type: ignore
                            headers={"User-Agent": "WebDAVFS/3.0.0"})
    assert answer.status_code == 201
    assert webdav.request(BOB, "GET", path).content == b"".join(parts)


def test_at_sign_in_hrefs_is_kept_as_the_client_wrote_it(
        webdav: WebDav) -> None:
    """A raw ``@`` comes back raw; a client writing %40 gets %40."""
    raw = webdav.request(BOB, "PROPFIND", DOCS, headers={"Depth": "0"})
    assert f"<D:href>/webdav/{ALICE}/Documents/</D:href>".encode() \
        in raw.content
    encoded = _raw_request(webdav, "PROPFIND",
                           "/webdav/alice%40example.com/Documents/")
    assert b"/webdav/alice%40example.com/Documents/" in encoded


def _raw_request(webdav: WebDav, method: str, target: str) -> bytes:
    """Send a request with the target exactly as written."""
    import base64

    login = base64.b64encode(f"{BOB}:secret".encode()).decode()
    port = webdav.server.ports["http"]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {login}\r\nDepth: 0\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)
