"""What the API does with bodies it cannot use: too deep, malformed,
of the wrong media type, or carrying huge values; every refusal is
JSON in the documented shape."""

from __future__ import annotations

import json
import socket

from tests.conftest import RunningServer
from tests.web.conftest import basic

BOB = "bob@example.com"
JSON = {"Content-Type": "application/json"}


def test_deeply_nested_json_is_refused_with_400_not_a_crash(
        shared_demo: RunningServer) -> None:
    """A body nested 100,000 deep would exhaust the parser's stack; it
    is refused as a bad request, like any other body that does not
    parse, and the server goes on answering."""
    deep = b'{"owner": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    bodies = [deep, b"[" * 100_000, b'{"owner": "a', b"\xff\xfe{",
              b'{"owner": ' + b"9" * 5000 + b"}"]
    with basic(shared_demo, BOB) as client:
        for body in bodies:
            answer = client.post("/api/subscriptions", content=body,
                                 headers=JSON)
            assert answer.status_code == 400, (body[:20], answer.text)
            assert answer.json()["status"] == 400
        shallow = client.post("/api/subscriptions", headers=JSON,
                              content=b'{"owner": [[["x"]]]}')
        assert shallow.status_code == 400
        assert "'owner'" in shallow.json()["error"]
        assert client.get("/api/me").status_code == 200


def test_json_writes_need_the_json_media_type(
        shared_demo: RunningServer) -> None:
    """A form post or a text/plain body (what another site can make a
    browser send without a preflight) is refused with 415, even when
    its text is valid JSON; declared as JSON the same body passes."""
    body = b'{"owner": "alice@example.com", "path": "Calendar"}'
    with basic(shared_demo, BOB) as client:
        refused = [
            client.post("/api/subscriptions", content=body),
            client.post("/api/subscriptions", content=body,
                        headers={"Content-Type": "text/plain"}),
            client.post("/api/subscriptions", data={"owner": "x"}),
            client.post("/api/session", content=body, headers={
                "Content-Type": "text/plain;charset=UTF-8"}),
        ]
        accepted = client.post("/api/subscriptions", content=body,
                               headers={"Content-Type":
                                        "application/json; charset=utf-8"})
    for answer in refused:
        assert answer.status_code == 415, answer.text
        assert answer.json() == {
            "error": "Send the body as application/json.", "status": 415}
    assert accepted.status_code in (200, 201), accepted.text


def test_error_messages_echo_at_most_a_short_piece_of_the_input(
        shared_demo: RunningServer) -> None:
    """A refused value of 100,000 characters comes back cut to a few
    dozen in the message, not whole."""
    huge = "q" * 100_000
    with basic(shared_demo, "admin@example.com") as admin, \
            basic(shared_demo, "alice@example.com") as alice:
        answers = [
            admin.get("/api/admin/folders",
                      params={"owner": huge[:4000] + "@example.com"}),
            admin.patch("/api/admin/folders", json={
                "owner": "alice@example.com", "path": huge, "gal": True}),
            admin.post("/api/admin/groups", json={"address": huge}),
            alice.post("/api/grants", json={
                "path": "Calendar", "grantee": "bob@example.com",
                "rights": huge}),
            alice.post("/api/grants", json={
                "path": "Calendar", "grantee": huge + "@example.com",
                "rights": "read"}),
        ]
    for answer in answers:
        assert 400 <= answer.status_code < 500, answer.text[:200]
        message = answer.json()["error"]
        assert len(message) < 500, message[:200]
        assert "q" * 81 not in message


def test_front_refusals_under_api_have_the_documented_json_shape(
        shared_demo: RunningServer) -> None:
    """The 401 for wrong Basic credentials and the 413 for a body over
    the limit come from the HTTP front, before the API runs; under
    /api/ they still carry ``{"error": ..., "status": ...}``."""
    with basic(shared_demo, "nobody@example.com", "wrong") as client:
        denied = client.get("/api/me")
    assert denied.status_code == 401
    assert denied.headers["content-type"].startswith("application/json")
    assert denied.json() == {"error": "Wrong address or password.",
                             "status": 401}
    port = shared_demo.ports["http"]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(b"POST /api/grants HTTP/1.1\r\n"
                    b"Host: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Content-Length: 2000000000\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"content-type: application/json" in head.lower()
    found = json.loads(body)
    assert found["status"] == 413 and found["error"]
