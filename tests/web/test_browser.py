"""The pages in a real headless Chromium: share from the dialog, receive
the notice, subscribe from "Shared with me", see the folder.

Debian's ``chromium`` is driven through Playwright with
``executable_path``; no browser is downloaded. Screenshots are saved
under the test's temporary directory (the ones in ``docs/screenshots``
come from these tests).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import imapclient
import pytest

from tests.conftest import RunningServer
from tests.web.conftest import PASSWORD, basic, inbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, for the whole module."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed "
                    "(scripts/system-packages.txt lists it)")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM,
                                          args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots of this module go."""
    return tmp_path_factory.mktemp("screenshots")


def page_of(browser: object, server: RunningServer, user: str) -> object:
    """A fresh browser context signed in as ``user`` through the form."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.goto(server.http_url + "/")
    assert "/signin" in page.url
    page.fill("#address", user)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(server.http_url + "/")
    return page


def imap_folders(server: RunningServer, user: str) -> list[str]:
    """The folder names an IMAP client lists for ``user``."""
    with imapclient.IMAPClient("127.0.0.1", port=server.ports["imap"],
                               ssl=False, timeout=30) as client:
        client.login(user, PASSWORD)
        return [name for _flags, _delimiter, name in client.list_folders()]


def test_share_receive_subscribe_and_see_the_folder(
        browser: object, shared_demo: RunningServer, shots: Path) -> None:
    """Alice shares a folder from the dialog with a grantee chosen in
    the picker; Carol gets the notice, subscribes from "Shared with me"
    and her IMAP client lists the folder, until Alice revokes it."""
    server = shared_demo
    notices = len(inbox(server, "carol@example.com"))

    alice = page_of(browser, server, "alice@example.com")
    alice.click('button.share-button[data-path="Projects"]')
    alice.wait_for_selector("#share-dialog[open]")
    alice.fill("#grantee", "car")
    alice.wait_for_selector(
        '#grantee-options option[value="carol@example.com"]',
        state="attached")
    alice.fill("#grantee", "carol@example.com")
    alice.select_option("#preset", label="author (lrsip)")
    assert alice.is_checked('input.letter[value="i"]')
    assert not alice.is_checked('input.letter[value="w"]')
    alice.click("#save-grant")
    row = alice.wait_for_selector(
        '#grant-rows tr[data-grantee="carol@example.com"]')
    assert "author" in row.inner_text()
    alice.screenshot(path=str(shots / "sharing-dialog.png"))

    assert len(inbox(server, "carol@example.com")) == notices + 1

    carol = page_of(browser, server, "carol@example.com")
    carol.click("#nav-shared")
    selector = ('tr[data-owner="alice@example.com"]'
                '[data-path="Projects"]')
    carol.click(selector + " button.subscribe")
    carol.wait_for_selector(selector + ".subscribed")
    assert carol.inner_text(selector + " td.state") == "subscribed"
    carol.screenshot(path=str(shots / "shared-with-me.png"),
                     full_page=True)

    assert "~alice@example.com/Projects" in imap_folders(
        server, "carol@example.com")
    with basic(server, "alice@example.com") as client:
        client.delete("/api/grants", params={
            "path": "Projects", "grantee": "carol@example.com"})
    assert "~alice@example.com/Projects" not in imap_folders(
        server, "carol@example.com")
    carol.reload()
    assert carol.query_selector(selector) is None


def test_notice_link_offers_the_subscription(
        browser: object, shared_demo: RunningServer, shots: Path) -> None:
    """The link of a notification opens "Shared with me" with a button
    offering that subscription, and nothing changes until it is used."""
    server = shared_demo
    with basic(server, "carol@example.com") as client:
        client.post("/api/grants", json={
            "path": "Contacts", "grantee": "bob@example.com",
            "rights": "read"})
    link = (server.http_url + "/shared?owner=carol%40example.com"
            "&path=Contacts&offer=folder")
    bob = page_of(browser, server, "bob@example.com")
    bob.goto(link)
    selector = 'tr[data-owner="carol@example.com"][data-path="Contacts"]'
    assert bob.inner_text(selector + " td.state") == "not shown"
    bob.click("#offer button.subscribe")
    bob.wait_for_selector(selector + ".subscribed")
    bob.screenshot(path=str(shots / "subscribed-from-notice.png"))


def test_wrong_password_is_refused_on_the_form(
        browser: object, shared_demo: RunningServer) -> None:
    """A wrong password keeps the browser on the form with a message and
    sets no session."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(shared_demo.http_url + "/signin")
    page.fill("#address", "alice@example.com")
    page.fill("#password", "not the password")
    page.click("#sign-in")
    message = page.wait_for_selector("#signin-error")
    assert message.inner_text() in (
        "Wrong address or password.",
        "Too many failed sign-ins; try again later.")
    assert context.cookies() == []
    context.close()


def test_administrator_creates_a_public_group(
        browser: object, shared_demo: RunningServer, shots: Path) -> None:
    """The administration page creates a group with a public folder;
    its members then find the group's folders without subscribing."""
    server = shared_demo
    admin = page_of(browser, server, "admin@example.com")
    admin.click("#nav-admin")
    admin.fill("#group-address", "sales@example.com")
    admin.fill("#group-name", "Sales")
    admin.check("#group-public")
    admin.click("#new-group button[type=submit]")
    row = 'tr[data-group="sales@example.com"]'
    admin.wait_for_selector(row)
    admin.fill(row + " input.new-member", "bob@example.com")
    admin.click(row + " button.add-member")
    admin.wait_for_selector(row + ' select[data-member="bob@example.com"]')
    admin.screenshot(path=str(shots / "admin-groups.png"), full_page=True)

    with basic(server, "bob@example.com") as client:
        folders = client.get("/api/shared").json()["folders"]
    assert ("sales@example.com", "Calendar", "group member") in \
        [(f["owner"], f["path"], f["via"]) for f in folders]
