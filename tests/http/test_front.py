"""The HTTP front: authentication, identity, limits and path checks.

These run the real front (``icewarp_share.http``) on a loopback port with
echo applications behind it, so they pin down what every HTTP front end
can rely on before its own code runs.
"""

from __future__ import annotations

import base64
import http.client
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import _accepts, free_port

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The front with echo apps, one account alice@example.com/secret."""
    tmp_path = tmp_path_factory.mktemp("front")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
        '[http]\nmax_request_body = 1000\nmax_upload_size = 5000\n'
        '[security]\nlogin_delay = 0.3\nlogin_delay_max = 1.0\n')
    cli = [sys.executable, "-m", "icewarp_share"]
    for args in (["init"], ["domain", "add", "example.com"],
                 ["account", "add", "alice@example.com",
                  "--password", "secret"]):
        subprocess.run([*cli, *args, "--config", str(config)], check=True,
                       capture_output=True)
    port = free_port()
    log = (tmp_path / "front.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "echo_site.py"), str(config),
         str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not _accepts(port):
            assert proc.poll() is None, (tmp_path / "front.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


ALICE = ("alice@example.com", "secret")


def test_dav_without_credentials_gets_a_basic_challenge(front: str) -> None:
    """The first request of iOS has no credentials: 401, never a 207."""
    r = requests.request("PROPFIND", front + "/dav/", timeout=5)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_webdav_without_credentials_gets_a_challenge(front: str) -> None:
    """WebDAV needs a login too."""
    r = requests.get(front + "/webdav/", timeout=5)
    assert r.status_code == 401


def test_identity_reaches_the_app_in_the_private_key(front: str) -> None:
    """The app sees the verified address and SCRIPT_NAME/PATH_INFO split."""
    r = requests.get(front + "/dav/alice%40example.com/Calendar/",
                     auth=("Alice@Example.com", "secret"), timeout=5)
    assert r.status_code == 200
    seen = r.json()
    assert seen["app"] == "dav"
    assert seen["icewarp.account"] == "alice@example.com"
    assert seen["SCRIPT_NAME"] == "/dav"
    assert seen["PATH_INFO"] == "/alice@example.com/Calendar/"
    assert "HTTP_AUTHORIZATION" in seen


def test_client_identity_headers_are_stripped(front: str) -> None:
    """X-Remote-User, X-Script-Name and X-Forwarded-* never pass."""
    r = requests.get(front + "/webdav/", auth=ALICE, timeout=5, headers={
        "X-Remote-User": "bob@example.com", "X-Script-Name": "/evil",
        "X-Forwarded-For": "10.0.0.1", "X-Forwarded-Host": "evil",
        "X-Icewarp-Account": "bob@example.com"})
    seen = r.json()
    assert seen["icewarp.account"] == "alice@example.com"
    leaked = [k for k in seen if "REMOTE_USER" in k or "FORWARDED" in k
              or "SCRIPT_NAME" in k and k != "SCRIPT_NAME"
              or "ICEWARP" in k]
    assert leaked == []


def test_web_app_is_reached_without_credentials(front: str) -> None:
    """Pages and the API decide about sign-in themselves."""
    seen = requests.get(front + "/api/folders", timeout=5).json()
    assert seen["app"] == "web"
    assert "icewarp.account" not in seen


def test_wrong_password_is_401_and_slowed_down(front: str) -> None:
    """A failed login answers 401; the next attempt waits."""
    r = requests.get(front + "/dav/", auth=("alice@example.com", "nope"),
                     timeout=10)
    assert r.status_code == 401
    began = time.monotonic()
    r = requests.get(front + "/dav/", auth=("alice@example.com", "nope"),
                     timeout=10)
    assert r.status_code == 401
    assert time.monotonic() - began >= 0.25


def test_options_root_answers_without_login(front: str) -> None:
    """Windows' first request: OPTIONS / answered 200 with DAV headers."""
    r = requests.options(front + "/", timeout=5)
    assert r.status_code == 200
    assert r.headers["DAV"] == "1, 2"
    assert r.headers["MS-Author-Via"] == "DAV"


def test_well_known_redirects_to_dav(front: str) -> None:
    """RFC 6764 discovery lands on /dav/."""
    for name in ("caldav", "carddav"):
        r = requests.get(f"{front}/.well-known/{name}",
                         allow_redirects=False, timeout=5)
        assert r.status_code == 301
        assert r.headers["Location"] == "/dav/"


@pytest.mark.parametrize("path", [
    "/webdav/a/%2e%2e/b", "/webdav/a%2fb", "/dav/a/../../etc",
    "/webdav/a%00b", "/dav/%ff%fe"])
def test_bad_paths_are_400_before_any_app(front: str, path: str) -> None:
    """Traversal, encoded slashes, NUL and non-UTF-8 names are refused."""
    # http.client sends the path as written (requests would normalise it).
    host, port = front.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    token = base64.b64encode(b"alice@example.com:secret").decode()
    conn.request("GET", path, headers={"Authorization": f"Basic {token}"})
    answer = conn.getresponse()
    body = answer.read()
    conn.close()
    assert answer.status == 400
    assert b"Traceback" not in body


def test_body_over_the_limit_is_413(front: str) -> None:
    """The default body limit applies to DAV; uploads have their own."""
    r = requests.put(front + "/dav/x", data=b"x" * 2000, auth=ALICE,
                     timeout=5)
    assert r.status_code == 413
    ok = requests.put(front + "/webdav/x", data=b"x" * 2000, auth=ALICE,
                      timeout=5)
    assert ok.json()["body_length"] == 2000
    big = requests.put(front + "/webdav/x", data=b"x" * 6000, auth=ALICE,
                       timeout=5)
    assert big.status_code == 413


def test_chunked_body_over_the_limit_is_413(front: str) -> None:
    """A chunked upload (Finder) is cut off once it passes the limit."""
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    r = requests.put(front + "/webdav/x", data=chunks(), auth=ALICE,
                     timeout=5)
    assert r.status_code == 413


def test_health_reports_ready(front: str) -> None:
    """Load balancers get 200 and a JSON status."""
    r = requests.get(front + "/health", timeout=5)
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
