"""The OpenAPI file and the server agree: every documented operation
exists and answers each documented status, with JSON errors.

Each documented (method, path, status) has a request below that must
produce it, and every request below must be documented: adding a status
to one side without the other fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from tests.web.conftest import SessionClient, anonymous, basic, signed_in

SPEC = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"
EVIL = {"Origin": "http://attacker.example"}
JSON = {"Content-Type": "application/json"}
PLAIN = {"owner": "carol@example.com", "path": "Tasks", "member": "x"}

Request = Callable[["Clients"], httpx.Response]


class Clients:
    """The callers the scenarios use, on the demo server."""

    def __init__(self, server) -> None:
        self.server = server
        self.anon = anonymous(server)
        self.alice = basic(server, "alice@example.com")
        self.bob = basic(server, "bob@example.com")
        self.admin = basic(server, "admin@example.com")
        self.session: SessionClient = signed_in(server, "carol@example.com")

    def close(self) -> None:
        for client in (self.anon, self.alice, self.bob, self.admin,
                       self.session):
            client.close()


def documented() -> set[tuple[str, str, int]]:
    spec = yaml.safe_load(SPEC.read_text())
    found = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status in operation["responses"]:
                found.add((method.upper(), path, int(status)))
    return found


TEAM = "/api/admin/groups/team@example.com"
NEW = "/api/admin/groups/new@example.com"

# In order: later requests rely on what earlier ones changed, and the
# failed sign-ins that start the throttle come last.
SCENARIOS: list[tuple[str, str, int, Request]] = [
    ("GET", "/api/me", 200, lambda c: c.bob.get("/api/me")),
    ("GET", "/api/me", 401, lambda c: c.anon.get("/api/me")),
    ("GET", "/api/rights/presets", 200,
     lambda c: c.bob.get("/api/rights/presets")),
    ("GET", "/api/rights/presets", 401,
     lambda c: c.anon.get("/api/rights/presets")),
    ("GET", "/api/folders", 200, lambda c: c.alice.get("/api/folders")),
    ("GET", "/api/folders", 401, lambda c: c.anon.get("/api/folders")),
    ("GET", "/api/grants", 200,
     lambda c: c.alice.get("/api/grants", params={"path": "Calendar"})),
    ("GET", "/api/grants", 400, lambda c: c.alice.get("/api/grants")),
    ("GET", "/api/grants", 401,
     lambda c: c.anon.get("/api/grants", params={"path": "Calendar"})),
    ("GET", "/api/grants", 403, lambda c: c.bob.get("/api/grants", params={
        "owner": "alice@example.com", "path": "Projects"})),
    ("GET", "/api/grants", 404, lambda c: c.bob.get("/api/grants", params={
        "owner": "carol@example.com", "path": "Notes"})),
    ("POST", "/api/grants", 201, lambda c: c.alice.post("/api/grants", json={
        "path": "Notes", "grantee": "bob@example.com", "rights": "read"})),
    ("POST", "/api/grants", 200, lambda c: c.alice.post("/api/grants", json={
        "path": "Notes", "grantee": "bob@example.com", "rights": "write"})),
    ("POST", "/api/grants", 400, lambda c: c.alice.post("/api/grants", json={
        "path": "Notes", "grantee": "bob@example.com", "rights": "zz"})),
    ("POST", "/api/grants", 401, lambda c: c.anon.post("/api/grants", json={
        "path": "Notes", "grantee": "bob@example.com", "rights": "read"})),
    ("POST", "/api/grants", 403, lambda c: c.bob.post("/api/grants", json={
        "owner": "alice@example.com", "path": "Projects",
        "grantee": "carol@example.com", "rights": "read"})),
    ("POST", "/api/grants", 404, lambda c: c.bob.post("/api/grants", json={
        "owner": "carol@example.com", "path": "Notes",
        "grantee": "bob@example.com", "rights": "full"})),
    ("DELETE", "/api/grants", 204, lambda c: c.alice.delete(
        "/api/grants", params={"path": "Notes",
                               "grantee": "bob@example.com"})),
    ("DELETE", "/api/grants", 400, lambda c: c.alice.delete(
        "/api/grants", params={"path": "Notes"})),
    ("DELETE", "/api/grants", 401, lambda c: c.anon.delete(
        "/api/grants", params={"path": "Notes",
                               "grantee": "bob@example.com"})),
    ("DELETE", "/api/grants", 403, lambda c: c.bob.delete(
        "/api/grants", params={"owner": "alice@example.com",
                               "path": "Projects",
                               "grantee": "bob@example.com"})),
    ("DELETE", "/api/grants", 404, lambda c: c.alice.delete(
        "/api/grants", params={"path": "Notes",
                               "grantee": "bob@example.com"})),
    ("GET", "/api/rights", 200, lambda c: c.bob.get("/api/rights", params={
        "owner": "alice@example.com", "path": "Calendar"})),
    ("GET", "/api/rights", 400, lambda c: c.bob.get("/api/rights")),
    ("GET", "/api/rights", 401, lambda c: c.anon.get("/api/rights", params={
        "owner": "alice@example.com", "path": "Calendar"})),
    ("GET", "/api/rights", 404, lambda c: c.bob.get("/api/rights", params={
        "owner": "carol@example.com", "path": "Notes"})),
    ("GET", "/api/shared", 200, lambda c: c.bob.get("/api/shared")),
    ("GET", "/api/shared", 401, lambda c: c.anon.get("/api/shared")),
    ("POST", "/api/subscriptions", 201, lambda c: c.bob.post(
        "/api/subscriptions",
        json={"owner": "carol@example.com", "path": "Tasks"})),
    ("POST", "/api/subscriptions", 200, lambda c: c.bob.post(
        "/api/subscriptions",
        json={"owner": "carol@example.com", "path": "Tasks"})),
    ("POST", "/api/subscriptions", 400, lambda c: c.bob.post(
        "/api/subscriptions", json={"owner": "bob@example.com"})),
    ("POST", "/api/subscriptions", 401, lambda c: c.anon.post(
        "/api/subscriptions", json={"owner": "carol@example.com"})),
    ("POST", "/api/subscriptions", 403, lambda c: c.bob.post(
        "/api/subscriptions", json={"owner": "carol@example.com"},
        headers=EVIL)),
    ("POST", "/api/subscriptions", 404, lambda c: c.bob.post(
        "/api/subscriptions",
        json={"owner": "carol@example.com", "path": "Notes"})),
    ("DELETE", "/api/subscriptions", 204, lambda c: c.bob.delete(
        "/api/subscriptions",
        params={"owner": "carol@example.com", "path": "Tasks"})),
    ("DELETE", "/api/subscriptions", 400, lambda c: c.bob.delete(
        "/api/subscriptions")),
    ("DELETE", "/api/subscriptions", 401, lambda c: c.anon.delete(
        "/api/subscriptions", params={"owner": "carol@example.com"})),
    ("DELETE", "/api/subscriptions", 404, lambda c: c.bob.delete(
        "/api/subscriptions",
        params={"owner": "carol@example.com", "path": "Tasks"})),
    ("GET", "/api/contacts", 200, lambda c: c.bob.get(
        "/api/contacts", params={"q": "ali"})),
    ("GET", "/api/contacts", 401, lambda c: c.anon.get(
        "/api/contacts", params={"q": "ali"})),
    ("GET", "/api/admin/groups", 200,
     lambda c: c.admin.get("/api/admin/groups")),
    ("GET", "/api/admin/groups", 401,
     lambda c: c.anon.get("/api/admin/groups")),
    ("GET", "/api/admin/groups", 403,
     lambda c: c.bob.get("/api/admin/groups")),
    ("POST", "/api/admin/groups", 201, lambda c: c.admin.post(
        "/api/admin/groups", json={"address": "new@example.com",
                                   "members": ["bob@example.com"],
                                   "public_folder": True})),
    ("POST", "/api/admin/groups", 400, lambda c: c.admin.post(
        "/api/admin/groups", json={"address": "not an address"})),
    ("POST", "/api/admin/groups", 401, lambda c: c.anon.post(
        "/api/admin/groups", json={"address": "x@example.com"})),
    ("POST", "/api/admin/groups", 403, lambda c: c.bob.post(
        "/api/admin/groups", json={"address": "x@example.com"})),
    ("POST", "/api/admin/groups", 409, lambda c: c.admin.post(
        "/api/admin/groups", json={"address": "new@example.com"})),
    ("GET", "/api/admin/groups/{address}", 200, lambda c: c.admin.get(TEAM)),
    ("GET", "/api/admin/groups/{address}", 401, lambda c: c.anon.get(TEAM)),
    ("GET", "/api/admin/groups/{address}", 403, lambda c: c.bob.get(TEAM)),
    ("GET", "/api/admin/groups/{address}", 404, lambda c: c.admin.get(
        "/api/admin/groups/none@example.com")),
    ("PATCH", "/api/admin/groups/{address}", 200, lambda c: c.admin.patch(
        NEW, json={"gal": True})),
    ("PATCH", "/api/admin/groups/{address}", 400, lambda c: c.admin.patch(
        NEW, json={"gal": "yes"})),
    ("PATCH", "/api/admin/groups/{address}", 401, lambda c: c.anon.patch(
        NEW, json={"gal": True})),
    ("PATCH", "/api/admin/groups/{address}", 403, lambda c: c.bob.patch(
        NEW, json={"gal": True})),
    ("PATCH", "/api/admin/groups/{address}", 404, lambda c: c.admin.patch(
        "/api/admin/groups/none@example.com", json={"gal": True})),
    ("POST", "/api/admin/groups/{address}/members", 201,
     lambda c: c.admin.post(NEW + "/members",
                            json={"member": "carol@example.com"})),
    ("POST", "/api/admin/groups/{address}/members", 400,
     lambda c: c.admin.post(NEW + "/members", json={})),
    ("POST", "/api/admin/groups/{address}/members", 401,
     lambda c: c.anon.post(NEW + "/members",
                           json={"member": "carol@example.com"})),
    ("POST", "/api/admin/groups/{address}/members", 403,
     lambda c: c.bob.post(NEW + "/members",
                          json={"member": "carol@example.com"})),
    ("POST", "/api/admin/groups/{address}/members", 404,
     lambda c: c.admin.post("/api/admin/groups/none@example.com/members",
                            json={"member": "carol@example.com"})),
    ("POST", "/api/admin/groups/{address}/members", 409,
     lambda c: c.admin.post(NEW + "/members",
                            json={"member": "carol@example.com"})),
    ("PUT", "/api/admin/groups/{address}/members/{member}/rights", 200,
     lambda c: c.admin.put(NEW + "/members/bob@example.com/rights",
                           json={"rights": "write"})),
    ("PUT", "/api/admin/groups/{address}/members/{member}/rights", 400,
     lambda c: c.admin.put(TEAM + "/members/[example.com]/rights",
                           json={"rights": "write"})),
    ("PUT", "/api/admin/groups/{address}/members/{member}/rights", 401,
     lambda c: c.anon.put(NEW + "/members/bob@example.com/rights",
                          json={"rights": "write"})),
    ("PUT", "/api/admin/groups/{address}/members/{member}/rights", 403,
     lambda c: c.bob.put(NEW + "/members/bob@example.com/rights",
                         json={"rights": "write"})),
    ("PUT", "/api/admin/groups/{address}/members/{member}/rights", 404,
     lambda c: c.admin.put(NEW + "/members/alice@example.com/rights",
                           json={"rights": "write"})),
    ("DELETE", "/api/admin/groups/{address}/members/{member}", 204,
     lambda c: c.admin.delete(NEW + "/members/carol@example.com")),
    ("DELETE", "/api/admin/groups/{address}/members/{member}", 401,
     lambda c: c.anon.delete(NEW + "/members/bob@example.com")),
    ("DELETE", "/api/admin/groups/{address}/members/{member}", 403,
     lambda c: c.bob.delete(NEW + "/members/bob@example.com")),
    ("DELETE", "/api/admin/groups/{address}/members/{member}", 404,
     lambda c: c.admin.delete(NEW + "/members/carol@example.com")),
    ("GET", "/api/admin/folders", 200, lambda c: c.admin.get(
        "/api/admin/folders", params={"owner": "alice@example.com"})),
    ("GET", "/api/admin/folders", 400,
     lambda c: c.admin.get("/api/admin/folders")),
    ("GET", "/api/admin/folders", 401, lambda c: c.anon.get(
        "/api/admin/folders", params={"owner": "alice@example.com"})),
    ("GET", "/api/admin/folders", 403, lambda c: c.bob.get(
        "/api/admin/folders", params={"owner": "alice@example.com"})),
    ("GET", "/api/admin/folders", 404, lambda c: c.admin.get(
        "/api/admin/folders", params={"owner": "none@example.com"})),
    ("PATCH", "/api/admin/folders", 200, lambda c: c.admin.patch(
        "/api/admin/folders", json={"owner": "alice@example.com",
                                    "path": "Contacts", "gal": True})),
    ("PATCH", "/api/admin/folders", 400, lambda c: c.admin.patch(
        "/api/admin/folders", json={"owner": "alice@example.com",
                                    "path": "Calendar", "gal": True})),
    ("PATCH", "/api/admin/folders", 401, lambda c: c.anon.patch(
        "/api/admin/folders", json={"owner": "alice@example.com",
                                    "path": "Contacts", "gal": True})),
    ("PATCH", "/api/admin/folders", 403, lambda c: c.bob.patch(
        "/api/admin/folders", json={"owner": "alice@example.com",
                                    "path": "Contacts", "gal": True})),
    ("PATCH", "/api/admin/folders", 404, lambda c: c.admin.patch(
        "/api/admin/folders", json={"owner": "alice@example.com",
                                    "path": "Nowhere", "gal": True})),
    # A body not declared as JSON is refused whatever it holds.
    ("POST", "/api/grants", 415, lambda c: c.alice.post("/api/grants",
                                                        data=PLAIN)),
    ("POST", "/api/subscriptions", 415, lambda c: c.bob.post(
        "/api/subscriptions", data=PLAIN)),
    ("POST", "/api/admin/groups", 415, lambda c: c.admin.post(
        "/api/admin/groups", content=b'{"address": "y@example.com"}')),
    ("PATCH", "/api/admin/groups/{address}", 415,
     lambda c: c.admin.patch(NEW, data={"gal": "true"})),
    ("POST", "/api/admin/groups/{address}/members", 415,
     lambda c: c.admin.post(NEW + "/members", data=PLAIN)),
    ("PUT", "/api/admin/groups/{address}/members/{member}/rights", 415,
     lambda c: c.admin.put(NEW + "/members/bob@example.com/rights",
                           data={"rights": "write"})),
    ("PATCH", "/api/admin/folders", 415, lambda c: c.admin.patch(
        "/api/admin/folders", data=PLAIN)),
    ("POST", "/api/session", 415, lambda c: c.anon.post(
        "/api/session", data={"address": "bob@example.com",
                              "password": "demo"})),
    ("DELETE", "/api/session", 403, lambda c: c.session.delete(
        "/api/session", headers={"X-CSRF-Token": "wrong"})),
    ("DELETE", "/api/session", 204,
     lambda c: c.session.delete("/api/session")),
    ("DELETE", "/api/session", 401,
     lambda c: c.session.delete("/api/session")),
    ("POST", "/api/session", 201, lambda c: c.anon.post(
        "/api/session", json={"address": "bob@example.com",
                              "password": "demo"})),
    ("POST", "/api/session", 400,
     lambda c: c.anon.post("/api/session", content=b"[1, 2]",
                           headers=JSON)),
    ("POST", "/api/session", 403, lambda c: c.anon.post(
        "/api/session", headers=EVIL,
        json={"address": "bob@example.com", "password": "demo"})),
    ("POST", "/api/session", 401, lambda c: c.anon.post(
        "/api/session", json={"address": "bob@example.com",
                              "password": "wrong"})),
    ("POST", "/api/session", 429, lambda c: c.anon.post(
        "/api/session", json={"address": "bob@example.com",
                              "password": "demo"})),
]


def test_every_documented_status_is_answered(server_factory) -> None:
    """Each documented status of each operation comes back, and nothing
    the server answers here is undocumented; errors are JSON."""
    assert {(m, p, s) for m, p, s, _ in SCENARIOS} == documented()
    server = server_factory(setup=[["demo"]],
                            security={"login_delay": 30.0,
                                      "login_delay_max": 60.0})
    clients = Clients(server)
    try:
        for method, path, status, request in SCENARIOS:
            answer = request(clients)
            where = f"{method} {path} expected {status}"
            assert answer.status_code == status, \
                f"{where}, got {answer.status_code}: {answer.text}"
            if status >= 400:
                body = answer.json()
                assert isinstance(body["error"], str) and body["error"], where
                assert body["status"] == status, where
            if status == 429:
                assert int(answer.headers["Retry-After"]) >= 1
    finally:
        clients.close()

