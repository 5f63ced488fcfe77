"""Model-based conformance: every protocol does what the ACL core says.

Hypothesis draws small directories (two domains, a group with a domain
member, groupware off for one account, a POP-only account, grants with
random letters for accounts, a group, domains and anyone, a subfolder
that inherits, subscriptions). For each world one real server runs; for
every user and every folder of the owner the test asks the core
(``Directory.decide`` and ``visible``) what the user may see and do, then
checks IMAP, CalDAV, WebDAV and the JSON API over sockets. Every
difference is listed with the world that shows it, which hypothesis
shrinks.

``scripts/test`` runs a fixed-seed subset (``derandomize``);
``scripts/conformance-long SECONDS`` runs random worlds for a budget.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from tests.conformance import world as w
from tests.conformance.protocols import (
    check_api,
    check_caldav,
    check_imap,
    check_webdav,
)

EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "2"))
RANDOM = bool(os.environ.get("CONFORMANCE_RANDOM"))


@settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None,
          database=None,
          # A world costs a server start: the fixed-seed subset reports
          # the world as drawn; random runs shrink it.
          phases=(list(Phase) if RANDOM else
                  [Phase.explicit, Phase.generate]),
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(world=w.worlds())
@example(world=w.RICH)
def test_every_protocol_answers_as_the_core_decides(
        world: w.World, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No protocol shows or allows more or less than the ACL core."""
    server = w.start(tmp_path_factory.mktemp("world"), world)
    store = w.open_store(server)
    differences: list[str] = []
    try:
        for user in (w.OWNER, *w.USERS):
            differences += check_imap(server, store, user)
            differences += check_caldav(server, store, user)
            differences += check_webdav(server, store, user)
            differences += check_api(server, store, user)
    finally:
        store.close()
        server.stop()
    assert not differences, (
        "\n".join(differences) + "\n--- world ---\n" + world.describe())
