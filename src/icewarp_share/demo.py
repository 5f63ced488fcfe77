"""The demo domain: a few accounts, a public group, shares and content.

``scripts/serve`` runs this once on a fresh installation so that a new
administrator can log in with a real client and see sharing at work. Every
demo account's password is ``DEMO_PASSWORD``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from icewarp_share.dav.caldav import content as caldav_content
from icewarp_share.store import Store
from icewarp_share.store import mail
from icewarp_share.store import sharing
from icewarp_share.store import files

DEMO_DOMAIN = "example.com"
DEMO_PASSWORD = "demo"

ACCOUNTS = (
    ("admin@example.com", "Administrator", True),
    ("alice@example.com", "Alice Martin", False),
    ("bob@example.com", "Bob Dupont", False),
    ("carol@example.com", "Carol Smith", False),
)

# (owner/path, grantee, rights): what the demo shares.
SHARES = (
    ("alice@example.com/Calendar", "bob@example.com", "read"),
    ("alice@example.com/Projects", "bob@example.com", "write"),
    ("alice@example.com/Documents", "bob@example.com", "write"),
    ("alice@example.com/Contacts", "[example.com]", "read"),
    ("carol@example.com/Calendar", "bob@example.com", "write"),
    ("carol@example.com/Tasks", "team@example.com", "author"),
)

# Content added by the stores of mail, calendar items and files; each
# step takes the store and yields lines for the administrator.
ContentStep = Callable[[Store], Iterator[str]]
CONTENT_STEPS: list[ContentStep] = []
CONTENT_STEPS.append(mail.demo_content)
CONTENT_STEPS.append(sharing.demo_content)
CONTENT_STEPS.append(caldav_content.demo_content)
CONTENT_STEPS.append(files.demo_content)


def populate(store: Store) -> Iterator[str]:
    """Create the demo data unless the demo domain exists already."""
    directory = store.directory
    if any(d.name == DEMO_DOMAIN for d in directory.list_domains()):
        yield f"demo domain {DEMO_DOMAIN} exists already; nothing to do"
        return
    directory.add_domain(DEMO_DOMAIN)
    for address, name, admin in ACCOUNTS:
        directory.add_account(address, DEMO_PASSWORD, display_name=name,
                              is_admin=admin)
        yield f"account {address} (password {DEMO_PASSWORD!r})"
    directory.add_folder("alice@example.com", "Projects", "mail")
    directory.add_group("team@example.com", display_name="Team",
                        members=[f"[{DEMO_DOMAIN}]"], public_folder=True,
                        deliver_to_folder=True)
    yield "group team@example.com with public folders, every account in it"
    for target, grantee, rights in SHARES:
        owner, _, path = target.partition("/")
        directory.share(owner, path, grantee, rights)
        yield f"shared {target} with {grantee}: {rights}"
    directory.subscribe("bob@example.com", "alice@example.com")
    directory.subscribe("bob@example.com", "carol@example.com", "Calendar")
    yield "bob@example.com subscribed to alice's account and carol's Calendar"
    for step in CONTENT_STEPS:
        yield from step(store)
