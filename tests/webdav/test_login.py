"""Logging in to /webdav/ with the full address and password."""

from __future__ import annotations

import time

import pytest
import requests

from tests.webdav.conftest import ALICE, BOB, PASSWORD, WebDav

BAD_PASSWORD = "not-the-password-7Q"


def test_no_credentials_get_a_basic_challenge(webdav: WebDav) -> None:
    """Never an anonymous listing: 401 with a Basic challenge."""
    answer = webdav.request(None, "PROPFIND", f"/{ALICE}/Documents/")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")
    assert b"multistatus" not in answer.content


def test_wrong_password_is_refused_and_logged(webdav: WebDav) -> None:
    """401, and a warning naming the account and the remote address."""
    url = f"{webdav.base}/{ALICE}/Documents/"
    answer = requests.request("PROPFIND", url, auth=(BOB, BAD_PASSWORD),
                              timeout=30)
    assert answer.status_code == 401
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in webdav.server.log().splitlines()
                 if "WARNING" in line and BOB in line]
        if lines:
            break
        time.sleep(0.1)
    assert any("127.0.0.1" in line for line in lines)
    assert BAD_PASSWORD not in webdav.server.log()


def test_address_is_case_insensitive(webdav: WebDav) -> None:
    """BOB@Example.COM is bob: same account, same rights."""
    answer = webdav.request(BOB.upper(), "PROPFIND", f"/{ALICE}/Documents/",
                            headers={"Depth": "0"})
    assert answer.status_code == 207


@pytest.mark.filterwarnings(
    "ignore::urllib3.exceptions.InsecureRequestWarning")
def test_basic_login_over_tls(webdav: WebDav) -> None:
    """The HTTPS listener serves /webdav/ with the same login."""
    url = f"{webdav.server.https_url}/webdav/{ALICE}/Documents/"
    answer = requests.request("PROPFIND", url, auth=(BOB, PASSWORD),
                              headers={"Depth": "0"}, verify=False,
                              timeout=30)
    assert answer.status_code == 207
