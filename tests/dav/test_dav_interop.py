"""Real clients: vdirsyncer syncs shares, caldav-server-tester conformance.

vdirsyncer (as Bob, read-only grantee) syncs Alice's shared calendar and
address book into local directories and must get the shown items and
placeholders, never the private ones. caldav-server-tester runs its
checks against Alice's account; its result is compared with the
committed baseline so that a new deviation fails the run. The
deviations the baseline accepts are listed, with their reasons, in
``docs/caldav.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import RunningServer
from tests.dav.conftest import (
    ALICE,
    BOB,
    FIXTURES,
    PASSWORD,
    SHARED_CALENDAR,
    as_user,
    fixture_text,
)

BASELINE = FIXTURES / "caldav-server-tester-baseline.json"
BIN = Path(sys.executable).parent

VDIRSYNCER_CONFIG = """[general]
status_path = "{base}/status/"

[pair calendar]
a = "calendar_local"
b = "calendar_remote"
collections = null
conflict_resolution = "b wins"

[storage calendar_local]
type = "filesystem"
path = "{base}/calendar/"
fileext = ".ics"

[storage calendar_remote]
type = "caldav"
url = "{url}/dav/{bob}/{calendar}/"
username = "{bob}"
password = "{password}"

[pair contacts]
a = "contacts_local"
b = "contacts_remote"
collections = null
conflict_resolution = "b wins"

[storage contacts_local]
type = "filesystem"
path = "{base}/contacts/"
fileext = ".vcf"

[storage contacts_remote]
type = "carddav"
url = "{url}/dav/{bob}/~alice@example.com/Contacts/"
username = "{bob}"
password = "{password}"
"""


def _store_alices_items(server: RunningServer) -> None:
    alice = as_user(server, ALICE)
    for name in ("private_event.ics", "public_event.ics",
                 "confidential_recurring.ics"):
        assert alice.put(f"{ALICE}/Calendar/{name}",
                         fixture_text(name)).status_code == 201
    for name in ("private_contact.vcf", "public_contact.vcf"):
        assert alice.put(f"{ALICE}/Contacts/{name}",
                         fixture_text(name)).status_code == 201


def _vdirsyncer(config: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "vdirsyncer"), "-c", str(config), *args],
        capture_output=True, text=True, timeout=120, input="",
        check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_vdirsyncer_syncs_shared_calendar_and_address_book(dav, tmp_path):
    """Bob's vdirsyncer gets public items and placeholders, no private."""
    _store_alices_items(dav)
    config = tmp_path / "config"
    config.write_text(VDIRSYNCER_CONFIG.format(
        base=tmp_path, url=dav.http_url, bob=BOB, password=PASSWORD,
        calendar=SHARED_CALENDAR))
    for folder in ("calendar", "contacts"):
        (tmp_path / folder).mkdir()
    _vdirsyncer(config, "discover")
    _vdirsyncer(config, "sync")

    events = [p.read_text() for p in (tmp_path / "calendar").iterdir()]
    assert len(events) == 2
    assert any("Team meeting" in text for text in events)
    assert any("SUMMARY:Busy" in text for text in events)
    assert not any("Doctor" in text or "Salary" in text for text in events)
    cards = [p.read_text() for p in (tmp_path / "contacts").iterdir()]
    assert len(cards) == 1 and "Jean Dupont" in cards[0]


def _observed(server: RunningServer, tmp_path: Path) -> dict[str, str]:
    done = subprocess.run(
        [str(BIN / "caldav-server-tester"), "--format", "json",
         "--caldav-url", f"{server.http_url}/dav/",
         "--caldav-username", ALICE, "--caldav-password", PASSWORD],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    features = json.loads(done.stdout)["features"]
    return {name: value.get("support", "") for name, value in
            sorted(features.items())}


def _deviations(observed: dict[str, str],
                baseline: dict[str, str]) -> list[str]:
    """Features worse than the baseline says (better ones are fine)."""
    return [f"{name}: {support} (baseline: {baseline.get(name, 'none')})"
            for name, support in observed.items()
            if support not in ("full", baseline.get(name))]


@pytest.mark.skipif(not (BIN / "caldav-server-tester").exists(),
                    reason="caldav-server-tester is a test dependency")
def test_caldav_server_tester_finds_no_new_deviation(dav, tmp_path):
    """Every feature is as good as in the committed baseline, or better."""
    observed = _observed(dav, tmp_path)
    baseline = json.loads(BASELINE.read_text())
    assert not _deviations(observed, baseline), (
        "new deviations; if intended, update the baseline and "
        "docs/caldav.md:\n" + "\n".join(_deviations(observed, baseline)))
