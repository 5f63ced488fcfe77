"""The directory on SQLite and PostgreSQL: what it stores and refuses.

Each test runs twice through the ``store`` fixture, once per database.
"""

from __future__ import annotations

import pytest

from icewarp_share import acl
from icewarp_share.store import Store
from icewarp_share.store.errors import Conflict, Invalid, NotFound


@pytest.fixture
def org(store: Store) -> Store:
    """example.com with alice, bob, carol and the group team."""
    d = store.directory
    d.add_domain("example.com")
    d.add_domain("other.org")
    for name in ("alice", "bob", "carol"):
        d.add_account(f"{name}@example.com", "pw")
    d.add_account("olga@other.org", "pw")
    d.add_group("team@example.com", members=["bob@example.com"])
    return store


def test_new_account_gets_the_standard_folders(org: Store) -> None:
    """INBOX, Sent, Drafts, Trash, Junk, Calendar, Tasks, Notes,
    Contacts and Documents, each of its kind."""
    folders = {f.path: f.kind for f in
               org.directory.folders("alice@example.com")}
    assert folders == {
        "INBOX": "mail", "Sent": "mail", "Drafts": "mail", "Trash": "mail",
        "Junk": "mail", "Calendar": "calendar", "Tasks": "tasks",
        "Notes": "notes", "Contacts": "contacts", "Documents": "files"}


def test_password_is_stored_as_argon2_and_checked(org: Store) -> None:
    """The hash is argon2id; the right password logs in, others do not."""
    account = org.directory.account("alice@example.com")
    assert account.password_hash.startswith("$argon2id$")
    assert "pw" not in account.password_hash
    assert org.directory.authenticate("ALICE@example.com", "pw")
    assert org.directory.authenticate("alice@example.com", "no") is None
    assert org.directory.authenticate("nobody@example.com", "pw") is None


def test_duplicate_address_is_refused_for_accounts_and_groups(
        org: Store) -> None:
    """An address names one account or one group, never two."""
    with pytest.raises(Conflict):
        org.directory.add_account("Alice@Example.com", "x")
    with pytest.raises(Conflict):
        org.directory.add_group("alice@example.com")
    with pytest.raises(Conflict):
        org.directory.add_account("team@example.com", "x")


def test_account_in_unknown_domain_is_refused(org: Store) -> None:
    """Accounts live in domains the administrator created."""
    with pytest.raises(NotFound, match="domain nowhere.net"):
        org.directory.add_account("x@nowhere.net", "pw")


def test_share_twice_updates_the_one_grant(org: Store) -> None:
    """Sharing again changes the grant; it never adds a second one."""
    d = org.directory
    first = d.share("alice@example.com", "Calendar", "bob@example.com",
                    "read")
    second = d.share("alice@example.com", "Calendar", "bob@example.com",
                     "write")
    third = d.share("alice@example.com", "Calendar", "bob@example.com",
                    "lr")
    assert first.widened and second.widened and not third.widened
    grants = d.grants("alice@example.com", "Calendar")
    assert [(str(g.grantee), g.rights.letters) for g in grants] == [
        ("bob@example.com", "lr")]


def test_rights_are_stored_as_given(org: Store) -> None:
    """w without s stays so; legacy c and d are expanded (RFC 4314)."""
    d = org.directory
    d.share("alice@example.com", "INBOX", "bob@example.com", "lrw")
    d.share("alice@example.com", "INBOX", "carol@example.com", "lrcd")
    letters = {str(g.grantee): g.rights.letters
               for g in d.grants("alice@example.com", "INBOX")}
    assert letters == {"bob@example.com": "lrw",
                       "carol@example.com": "lrkxte"}


def test_bad_rights_letters_write_nothing(org: Store) -> None:
    """An unknown letter is refused and no grant appears."""
    with pytest.raises(Invalid, match="'z'"):
        org.directory.share("alice@example.com", "INBOX",
                            "bob@example.com", "lrz")
    assert org.directory.grants("alice@example.com", "INBOX") == []


def test_virtual_folder_cannot_be_shared(org: Store) -> None:
    """Saved searches and merged views are never shareable."""
    org.directory.add_folder("alice@example.com", "Unread", "mail",
                             virtual=True)
    with pytest.raises(Invalid, match="virtual"):
        org.directory.share("alice@example.com", "Unread",
                            "bob@example.com", "read")


def test_member_grant_beats_group_grant_and_falls_back(org: Store) -> None:
    """Read through the group, write through the account grant; removing
    the account grant falls back to read."""
    d = org.directory
    d.share("alice@example.com", "Calendar", "team@example.com", "read")
    d.share("alice@example.com", "Calendar", "bob@example.com", "write")
    decision = d.decide("bob@example.com", "alice@example.com", "Calendar")
    assert decision.rights == acl.PRESETS["write"]
    assert decision.source is acl.Source.ACCOUNT
    d.unshare("alice@example.com", "Calendar", "bob@example.com")
    decision = d.decide("bob@example.com", "alice@example.com", "Calendar")
    assert decision.rights == acl.PRESETS["read"]
    assert decision.source is acl.Source.GROUP


def test_domain_grant_reaches_an_account_created_later(org: Store) -> None:
    """A [domain] grant is kept by name, so new accounts get it."""
    d = org.directory
    d.share("alice@example.com", "Contacts", "[example.com]", "read")
    d.add_account("dave@example.com", "pw")
    decision = d.decide("dave@example.com", "alice@example.com", "Contacts")
    assert decision.rights == acl.PRESETS["read"]
    outsider = d.decide("olga@other.org", "alice@example.com", "Contacts")
    assert not outsider.rights


def test_group_with_domain_member_gives_its_accounts_rights(
        org: Store) -> None:
    """A whole domain as a group member makes every account a member."""
    d = org.directory
    d.add_group("all@example.com", members=["[example.com]"])
    d.share("alice@example.com", "Tasks", "all@example.com", "author")
    assert "all@example.com" in d.viewer("carol@example.com").groups
    decision = d.decide("carol@example.com", "alice@example.com", "Tasks")
    assert decision.rights == acl.PRESETS["author"]


def test_subfolder_inherits_the_parent_grants(org: Store) -> None:
    """A folder with no grants of its own takes its parent's."""
    d = org.directory
    d.add_folder("alice@example.com", "Projects", "mail")
    d.add_folder("alice@example.com", "Projects/2026", "mail")
    d.share("alice@example.com", "Projects", "bob@example.com", "lr")
    decision = d.decide("bob@example.com", "alice@example.com",
                        "Projects/2026")
    assert decision.rights.letters == "lr"
    assert decision.inherited_from == 0


def test_groupware_switches_stop_sharing(org: Store) -> None:
    """Server, domain and account switches each turn sharing off."""
    d = org.directory
    d.share("alice@example.com", "Calendar", "bob@example.com", "read")

    def bob_rights() -> str:
        return d.decide("bob@example.com", "alice@example.com",
                        "Calendar").rights.letters

    d.update_account("alice@example.com", groupware=False)
    assert bob_rights() == ""
    d.update_account("alice@example.com", groupware=True)
    d.set_domain_groupware("example.com", False)
    assert bob_rights() == ""
    d.set_domain_groupware("example.com", True)
    d.set_server_groupware(False)
    assert bob_rights() == ""
    d.set_server_groupware(True)
    assert bob_rights() == "lrs"


def test_pop_only_account_mail_is_not_shared(org: Store) -> None:
    """A POP-only account's mail folders give nothing through sharing."""
    d = org.directory
    d.share("alice@example.com", "INBOX", "bob@example.com", "read")
    d.update_account("alice@example.com", mail_mode="pop")
    assert not d.decide("bob@example.com", "alice@example.com",
                        "INBOX").rights


def test_public_group_folders_visible_to_members_only(org: Store) -> None:
    """Members see the group's folders without subscribing; others not."""
    d = org.directory
    d.add_group("sales@example.com", members=["carol@example.com"],
                public_folder=True)
    names = {v.name for v in d.visible("carol@example.com")}
    assert "Public/sales@example.com/Calendar" in names
    assert not any(n.startswith("Public/")
                   for n in (v.name for v in d.visible("olga@other.org")))


def test_subscriptions_decide_what_a_sharee_sees(org: Store) -> None:
    """One folder, or the whole account (including later shares)."""
    d = org.directory
    d.share("alice@example.com", "Calendar", "bob@example.com", "read")
    d.share("alice@example.com", "Tasks", "bob@example.com", "read")
    d.subscribe("bob@example.com", "alice@example.com", "Calendar")

    def shared() -> set[str]:
        return {v.name for v in d.visible("bob@example.com")
                if v.folder.owner != "bob@example.com"}

    assert shared() == {"~alice@example.com/Calendar"}
    d.unsubscribe("bob@example.com", "alice@example.com", "Calendar")
    d.subscribe("bob@example.com", "alice@example.com")
    d.share("alice@example.com", "Notes", "bob@example.com", "read")
    assert shared() == {"~alice@example.com/Calendar",
                        "~alice@example.com/Tasks",
                        "~alice@example.com/Notes"}


def test_shared_with_me_lists_unsubscribed_shares(org: Store) -> None:
    """The "shared with me" list shows shares before any subscription."""
    d = org.directory
    d.share("alice@example.com", "Calendar", "[example.com]", "read")
    listed = d.visible("carol@example.com", subscribed_only=False)
    shared = [v for v in listed if v.folder.owner == "alice@example.com"]
    assert [v.folder.path for v in shared] == ["Calendar"]
    assert not shared[0].subscribed


def test_subscription_survives_a_prefix_change(org: Store) -> None:
    """Subscriptions are kept by id: a new prefix renames the tree."""
    d = org.directory
    d.share("alice@example.com", "Calendar", "bob@example.com", "read")
    d.subscribe("bob@example.com", "alice@example.com", "Calendar")
    d.prefixes = acl.Prefixes("Shared/Accounts/", "Public/")
    names = {v.name for v in d.visible("bob@example.com")}
    assert "Shared/Accounts/alice@example.com/Calendar" in names


def test_unshare_of_missing_grant_is_not_found(org: Store) -> None:
    """Removing a grant that does not exist says so."""
    with pytest.raises(NotFound):
        org.directory.unshare("alice@example.com", "Calendar",
                              "bob@example.com")


def test_pop_only_mail_cannot_be_shared(org: Store) -> None:
    """A grant that could never take effect is refused when made."""
    d = org.directory
    d.update_account("alice@example.com", mail_mode="pop")
    with pytest.raises(Invalid, match="POP-only"):
        d.share("alice@example.com", "INBOX", "bob@example.com", "read")
    d.share("alice@example.com", "Calendar", "bob@example.com", "read")


def test_no_folder_inside_a_mapped_folder(org: Store, tmp_path) -> None:
    """A mapped folder's subfolders come from its directory only."""
    d = org.directory
    (tmp_path / "share").mkdir()
    d.add_folder("alice@example.com", "Share", "files",
                 map_dir=str(tmp_path / "share"), recursive=True)
    with pytest.raises(Invalid, match="mapped"):
        d.add_folder("alice@example.com", "Share/Sub", "files")


def test_subscribing_to_oneself_is_refused(org: Store) -> None:
    """Own folders are always there; a subscription would mean nothing."""
    with pytest.raises(Invalid):
        org.directory.subscribe("alice@example.com", "alice@example.com")


def test_mapping_the_data_directory_is_refused(org: Store) -> None:
    """A mapped directory is served to grantees: never the data
    directory (database, bodies, TLS key), nor a directory holding it."""
    d = org.directory
    for target in (org.data_dir, org.data_dir / "tls", org.data_dir.parent):
        target.mkdir(exist_ok=True)
        with pytest.raises(Invalid, match="data directory"):
            d.add_folder("alice@example.com", f"Map{len(str(target))}",
                         "files", map_dir=str(target))


def test_map_roots_limit_where_folders_map(org: Store, tmp_path) -> None:
    """With storage.map_roots set, only directories inside them map."""
    from icewarp_share.store.directory import MapPolicy

    allowed = tmp_path / "shares"
    (allowed / "team").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    org.directory.map_policy = MapPolicy(org.data_dir, (allowed,))
    org.directory.add_folder("alice@example.com", "Team", "files",
                             map_dir=str(allowed / "team"))
    with pytest.raises(Invalid, match="map_roots"):
        org.directory.add_folder("alice@example.com", "Else", "files",
                                 map_dir=str(tmp_path / "elsewhere"))
