"""Random directories for the conformance test, and a server for each.

A world is plain data (accounts, a group, folders, grants,
subscriptions) drawn by hypothesis, written through the real store
before ``serve`` starts. The conformance test then asks the ACL core
what each user may do and checks every protocol over real sockets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from icewarp_share import config as configuration
from icewarp_share.store import Store
from icewarp_share.store.mail import MailStore
from tests.conftest import RunningServer, _toml, free_port

PASSWORD = "conformance-pw"
OWNER = "alice@example.com"
GROUP = "team@example.com"
USERS = ("bob@example.com", "carol@example.com", "dave@other.org",
         "erin@example.com", "pop@example.com")
GRANTEES = (*USERS, GROUP, "[example.com]", "[other.org]", "anyone")
LETTERS = "lrswipkxtea"
# Alice's folders under test; Projects/Sub never gets grants of its own,
# so it inherits those of Projects.
MAIL_FOLDERS = ("INBOX", "Projects", "Projects/Sub")
GRANTED = ("INBOX", "Projects", "Calendar", "Documents")
MESSAGES_PER_FOLDER = 2


@dataclass(frozen=True)
class World:
    """One directory: who exists, who holds what, who subscribed what."""

    no_groupware: str
    group_members: tuple[str, ...]
    grants: tuple[tuple[str, str, str], ...]  # folder, grantee, letters
    subscriptions: tuple[tuple[str, str | None], ...]  # user, folder

    def describe(self) -> str:
        """The world as lines a person can rebuild it from."""
        lines = [f"groupware off: {self.no_groupware}",
                 "pop-only: pop@example.com",
                 f"{GROUP} members: {', '.join(self.group_members)}"]
        lines += [f"share {OWNER}/{folder} {grantee} {letters}"
                  for folder, grantee, letters in self.grants]
        lines += [f"subscribe {user} {OWNER} {folder or '(account)'}"
                  for user, folder in self.subscriptions]
        return "\n".join(lines)


# A hand-made world run on every pass: each grantee level, inheritance,
# a grant to the POP-only and the groupware-less account, subscriptions
# to one folder and to the whole account.
RICH = World(
    no_groupware="erin@example.com",
    group_members=("[example.com]", "dave@other.org"),
    grants=(("INBOX", "bob@example.com", "lr"),
            ("INBOX", "[other.org]", "lrs"),
            ("Projects", GROUP, "lrswi"),
            ("Projects", "carol@example.com", "l"),
            ("Projects", "erin@example.com", "lrwt"),
            ("Calendar", "anyone", "lr"),
            ("Calendar", "carol@example.com", "lrswite"),
            ("Calendar", "erin@example.com", "lr"),
            ("Documents", "[example.com]", "lr"),
            ("Documents", "pop@example.com", "lrwit"),
            ("INBOX", "pop@example.com", "lrswipkxtea")),
    subscriptions=(("bob@example.com", None),
                   ("carol@example.com", "Projects"),
                   ("dave@other.org", "INBOX"),
                   ("pop@example.com", None)))

letters = st.sets(st.sampled_from(LETTERS), min_size=1).map(
    lambda chosen: "".join(sorted(chosen, key=LETTERS.index)))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A random world with at least one grant at each grantee level."""
    grants: dict[tuple[str, str], str] = {}
    for grantee in draw(st.lists(st.sampled_from(GRANTEES), min_size=3,
                                 max_size=8, unique=True)):
        folder = draw(st.sampled_from(GRANTED))
        grants[(folder, grantee)] = draw(letters)
    members = draw(st.sets(st.sampled_from(
        ("bob@example.com", "dave@other.org", "[example.com]")),
        min_size=1))
    subscriptions = []
    for user in USERS:
        choice = draw(st.sampled_from((None, "", *GRANTED, "Projects/Sub")))
        if choice is not None:
            subscriptions.append((user, choice or None))
    return World(
        no_groupware=draw(st.sampled_from(
            ("carol@example.com", "erin@example.com", OWNER))),
        group_members=tuple(sorted(members)),
        grants=tuple((f, g, r) for (f, g), r in sorted(grants.items())),
        subscriptions=tuple(subscriptions))


def message(folder: str, number: int) -> bytes:
    """A small message stored in a folder before the server starts."""
    return (f"From: {OWNER}\r\nTo: {OWNER}\r\nSubject: {folder} {number}"
            f"\r\nMessage-ID: <{number}.{folder.replace('/', '.')}@w>\r\n"
            f"\r\nBody {number} of {folder}.\r\n").encode()


def populate(store: Store, world: World) -> None:
    """Write the world into a migrated store."""
    directory = store.directory
    directory.add_domain("example.com")
    directory.add_domain("other.org")
    for address in (OWNER, *USERS):
        directory.add_account(
            address, PASSWORD,
            mail_mode="pop" if address.startswith("pop@") else "imap",
            groupware=address != world.no_groupware)
    directory.add_group(GROUP, members=world.group_members)
    directory.add_folder(OWNER, "Projects", "mail")
    directory.add_folder(OWNER, "Projects/Sub", "mail")
    for folder, grantee, rights in world.grants:
        directory.share(OWNER, folder, grantee, rights)
    for user, folder in world.subscriptions:
        directory.subscribe(user, OWNER, folder)
    mail = MailStore(store)
    for folder in MAIL_FOLDERS:
        for number in range(MESSAGES_PER_FOLDER):
            mail.append(OWNER, folder, message(folder, number))


def start(base: Path, world: World) -> RunningServer:
    """``init``, the world, then ``serve`` (IMAP and HTTP only)."""
    ports = {"imap": free_port(), "http": free_port()}
    raw: dict[str, dict[str, object]] = {
        "storage": {"data_dir": str(base / "data")},
        "imap": {"listen": [f"127.0.0.1:{ports['imap']}"],
                 "tls_listen": []},
        "lmtp": {"listen": []},
        "http": {"listen": [f"127.0.0.1:{ports['http']}"],
                 "tls_listen": []},
        "security": {"login_delay": 0.05, "login_delay_max": 0.2},
    }
    config_path = base / "icewarp-share.toml"
    config_path.write_text(_toml(raw))
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    server = RunningServer(base / "data", config_path, ports,
                           log_path=base / "server.log", env=env)
    server.cli("init")
    store = Store(configuration.load(config_path))
    try:
        populate(store, world)
    finally:
        store.close()
    server.start()
    return server


def open_store(server: RunningServer) -> Store:
    """The store of a running server, for asking the ACL core."""
    return Store(configuration.load(server.config_path))
