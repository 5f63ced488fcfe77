"""Differences the conformance test found, pinned until they are fixed.

Each test is a strict xfail naming what is wrong: it turns red once the
front end (or the core) is fixed, and then the matching exemption in
``protocols.py`` must go.
"""

from __future__ import annotations

import pytest
import requests

from tests.conformance import world as w

OWNER_WITHOUT_GROUPWARE = w.World(no_groupware=w.OWNER,
                                  group_members=("bob@example.com",),
                                  grants=(), subscriptions=())


@pytest.mark.xfail(strict=True, reason=(
    "owner with groupware off: the core gives all rights on the own "
    "Calendar, CalDAV answers 403 (a groupware check outside the core)"))
def test_owner_without_groupware_gets_what_the_core_decides(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """CalDAV and the core agree on an owner whose groupware is off."""
    server = w.start(tmp_path_factory.mktemp("known"),
                     OWNER_WITHOUT_GROUPWARE)
    store = w.open_store(server)
    try:
        rights = store.directory.decide(w.OWNER, w.OWNER, "Calendar").rights
        answer = requests.request(
            "PROPFIND", f"{server.http_url}/dav/{w.OWNER}/Calendar/",
            auth=(w.OWNER, w.PASSWORD), headers={"Depth": "0"}, timeout=30)
    finally:
        store.close()
        server.stop()
    may_read = "r" in rights
    assert may_read == (answer.status_code == 207), (
        str(rights), answer.status_code)
