"""The store half of the workflow without a server: the notice a grant
produces, who receives it, and when the notifier is installed."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from pathlib import Path

from icewarp_share.store import Store, sharing
from tests.conftest import make_config


def test_notice_header_keeps_any_folder_name_on_one_line() -> None:
    """Spaces, ';', '=' and accents survive the header and come back."""
    notice = sharing.Notice("alice@example.com", "Projets été; a=b/2026",
                            "files", "lrs", "[example.com]")
    value = sharing.notice_header(notice)
    assert "\n" not in value and "été" not in value
    assert sharing.parse_notice_header(value) == notice


def populated(store: Store) -> Store:
    directory = store.directory
    directory.add_domain("example.com")
    for address in ("alice@example.com", "bob@example.com",
                    "carol@example.com"):
        directory.add_account(address, "pw", display_name="Ålice Ürban"
                              if address.startswith("alice") else "")
    directory.update_account("carol@example.com", groupware=False)
    directory.add_group("team@example.com", members=["[example.com]"])
    return store


def test_notice_names_owner_folder_rights_and_links(store: Store) -> None:
    """The message says who shared what with which rights, links to the
    two subscribe offers and carries the machine-readable header."""
    populated(store)
    change = store.directory.share("alice@example.com", "Calendar",
                                   "bob@example.com", "author")
    raw = sharing.compose_notice(
        change, "bob@example.com", sender="shares@example.com",
        owner_name="Ålice Ürban", base="https://mail.example.com")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == 'Ålice Ürban shared "Calendar" with you'
    header = sharing.parse_notice_header(message[sharing.NOTICE_HEADER])
    assert (header.owner, header.path, header.kind, header.rights) == \
        ("alice@example.com", "Calendar", "calendar", "lrsip")
    body = message.get_content()
    assert "Your rights: lrsip (author)" in body
    assert "https://mail.example.com/shared?owner=alice%40example.com" \
        "&path=Calendar&offer=folder" in body
    assert "https://mail.example.com/shared?owner=alice%40example.com" \
        "&offer=account" in body


def test_group_grant_reaches_members_with_groupware_but_not_owner(
        store: Store) -> None:
    """A group grantee's members are told, except the owner and accounts
    without groupware; domain and anyone grants tell nobody."""
    populated(store)
    notifier = sharing.Notifier(store, store.config,
                                deliver=lambda *_: None)
    directory = store.directory
    to_group = directory.share("alice@example.com", "Tasks",
                               "team@example.com", "read")
    to_domain = directory.share("alice@example.com", "Notes",
                                "[example.com]", "read")
    assert notifier.recipients(to_group) == ["bob@example.com"]
    assert notifier.recipients(to_domain) == []


def test_notices_go_out_only_when_rights_widen(store: Store,
                                               tmp_path: Path) -> None:
    """Installed on a store with notifications on, the notifier delivers
    on a new grant and a widening, not on the same or fewer rights."""
    populated(store)
    sent: list[tuple[str, bytes]] = []
    on = dataclasses.replace(store.config, sharing=make_config(
        tmp_path, sharing={"notifications": True,
                           "notification_from": "s@example.com"}).sharing)
    store.config = on
    first = sharing.install(store, lambda to, raw: sent.append((to, raw)))
    assert sharing.install(store) is first
    for rights in ("read", "read", "lr", "write"):
        store.directory.share("alice@example.com", "Calendar",
                              "bob@example.com", rights)
    assert [to for to, _ in sent] == ["bob@example.com"] * 2


def test_install_does_nothing_when_notifications_are_off(
        store: Store) -> None:
    """Off by default: no listener is added."""
    assert sharing.install(store) is None
    assert store.directory.grant_listeners == []
