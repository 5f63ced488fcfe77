"""Browser sessions: cookie flags, the CSRF token, cross-site refusal,
sign-out, the pages' redirect to the sign-in form, and JSON errors."""

from __future__ import annotations

from contextlib import closing

import httpx

from tests.conftest import RunningServer
from tests.web.conftest import PASSWORD, basic, signed_in

BOB = "bob@example.com"
CHANGE = {"owner": "alice@example.com", "path": "Calendar"}


def test_session_cookie_is_httponly_strict_and_secure_over_tls(
        shared_demo: RunningServer) -> None:
    """The cookie cannot be read by scripts nor sent cross-site, and is
    marked Secure when the sign-in came over HTTPS."""
    login = {"address": BOB, "password": PASSWORD}
    plain = httpx.post(shared_demo.http_url + "/api/session", json=login)
    tls = httpx.post(shared_demo.https_url + "/api/session", json=login,
                     verify=False)
    for answer in (plain, tls):
        assert answer.status_code == 201
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in plain.headers["set-cookie"]
    assert "Secure" in tls.headers["set-cookie"]


def test_session_changes_need_the_csrf_token_and_same_origin(
        shared_demo: RunningServer) -> None:
    """With the cookie alone a change is refused; with the token it
    passes; with the token but another site's Origin it is refused."""
    with closing(signed_in(shared_demo, BOB)) as client:
        token = client.csrf
        client.csrf = ""
        bare = client.post("/api/subscriptions", json=CHANGE)
        wrong = client.post("/api/subscriptions", json=CHANGE,
                            headers={"X-CSRF-Token": "x" * 43})
        foreign = client.post("/api/subscriptions", json=CHANGE, headers={
            "X-CSRF-Token": token, "Origin": "https://attacker.example"})
        fetched = client.post("/api/subscriptions", json=CHANGE, headers={
            "X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"})
        good = client.post("/api/subscriptions", json=CHANGE, headers={
            "X-CSRF-Token": token, "Origin": shared_demo.http_url})
    assert [bare.status_code, wrong.status_code, foreign.status_code,
            fetched.status_code] == [403, 403, 403, 403]
    assert bare.json()["error"] == \
        "The request lacks the CSRF token of the page."
    assert good.status_code in (200, 201)


def test_sign_out_ends_the_session_on_the_server(
        shared_demo: RunningServer) -> None:
    """After the sign-out form, the old cookie value opens nothing, even
    if a copy of it is sent again."""
    with closing(signed_in(shared_demo, BOB)) as client:
        cookie = client.cookies.get("icewarp_session")
        page = client.post("/signout", data={"csrf_token": client.csrf})
        assert page.status_code == 303
        assert page.headers["location"] == "/signin"
    replay = httpx.get(shared_demo.http_url + "/api/me",
                       cookies={"icewarp_session": cookie})
    assert replay.status_code == 401


def test_pages_send_strangers_to_the_sign_in_form(
        shared_demo: RunningServer) -> None:
    """Without a session a page redirects to the form and comes back to
    it afterwards; the API answers 401 in JSON instead."""
    with httpx.Client(base_url=shared_demo.http_url) as client:
        page = client.get("/shared", params={"owner": "a@example.com"})
        api = client.get("/api/shared")
        form = client.post("/signin", data={
            "address": BOB, "password": PASSWORD,
            "next": "/shared?owner=a@example.com"})
    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin?next=/shared")
    assert api.status_code == 401
    assert form.status_code == 303
    assert form.headers["location"] == "/shared?owner=a@example.com"


def test_sign_in_form_never_redirects_off_site(
        shared_demo: RunningServer) -> None:
    """A "next" pointing at another site is replaced by the home page."""
    with httpx.Client(base_url=shared_demo.http_url) as client:
        form = client.post("/signin", data={
            "address": BOB, "password": PASSWORD,
            "next": "//attacker.example/"})
    assert form.headers["location"] == "/"


def test_unknown_api_path_and_method_answer_json(
        shared_demo: RunningServer) -> None:
    """A wrong path is a JSON 404, a wrong method a JSON 405, and neither
    shows a traceback or exception text."""
    with basic(shared_demo, "bob@example.com") as client:
        missing = client.get("/api/nothing-here")
        wrong = client.put("/api/folders")
    assert missing.status_code == 404
    assert missing.json()["error"] == "No such page or API endpoint."
    assert wrong.status_code == 405
    assert wrong.json()["status"] == 405
    assert "Traceback" not in missing.text + wrong.text


def test_sign_in_refuses_a_next_that_browsers_would_read_off_site(
        shared_demo: RunningServer) -> None:
    """Browsers drop tabs and newlines from a Location, so ``/<tab>/x``
    would land on ``//x``; a next with control characters or whitespace
    goes home instead, and a CR LF in it is no server error."""
    tricks = ["/\t/attacker.example", "/\n/attacker.example",
              "/\r\nSet-Cookie: x=1", "/ /attacker.example",
              "/\x00/attacker.example", "/\u2028/attacker.example"]
    with httpx.Client(base_url=shared_demo.http_url) as client:
        form = client.get("/signin?next=/%09/attacker.example")
        assert form.status_code == 200
        assert 'name="next" value="/"' in form.text
        for trick in tricks:
            answer = client.post("/signin", data={
                "address": BOB, "password": PASSWORD, "next": trick})
            assert answer.status_code == 303, (trick, answer.text)
            assert answer.headers["location"] == "/", trick


def test_a_password_change_ends_the_accounts_web_sessions(
        shared_demo: RunningServer) -> None:
    """Someone who learnt the old password and signed in loses the
    session once the owner changes the password; a new sign-in works."""
    user = "rotating@example.com"
    shared_demo.cli("account", "add", user, "--password", "old-secret")
    with closing(signed_in(shared_demo, user, "old-secret")) as old:
        assert old.get("/api/me").status_code == 200
        shared_demo.cli("account", "set", user, "--password", "new-secret")
        after = old.get("/api/me")
        page = old.get("/")
    assert after.status_code == 401
    assert after.json()["status"] == 401
    assert page.status_code == 303
    with closing(signed_in(shared_demo, user, "new-secret")) as new:
        assert new.get("/api/me").status_code == 200
