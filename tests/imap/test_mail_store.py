"""The mail store on SQLite and PostgreSQL: durability, \\Seen per
account, flags, copies, expunge and the modseq catch-up."""

from __future__ import annotations

from icewarp_share.store.mail import MailStore
from tests.imap.imap_fixtures import message


def _setup(store) -> tuple[MailStore, int, int]:
    store.directory.add_domain("example.com")
    alice = store.directory.add_account("alice@example.com", "pw")
    bob = store.directory.add_account("bob@example.com", "pw")
    store.directory.add_group("team@example.com",
                              members=["bob@example.com"],
                              public_folder=True)
    return MailStore(store), alice.id, bob.id


def test_append_is_on_disk_and_numbered(store):
    """append returns increasing UIDs; the body file holds the bytes."""
    mail, alice, _ = _setup(store)
    raw = message("plain-note.eml")
    assert mail.append("alice@example.com", "INBOX", raw) == 1
    assert mail.append("alice@example.com", "INBOX", raw) == 2
    folder = mail.mail_folder("alice@example.com", "INBOX")
    found = mail.messages(folder.id, [1, 2], alice, with_data=True)
    assert [m.data for m in found] == [raw, raw]
    assert len(list((store.data_dir / "mail").rglob("*"))) >= 2
    assert not list((store.data_dir / "mail").rglob("*.tmp"))


def test_seen_is_per_account_other_flags_shared(store):
    """\\Seen set by bob is bob's; \\Flagged set by bob is everyone's."""
    mail, alice, bob = _setup(store)
    mail.append("alice@example.com", "INBOX", message("plain-note.eml"))
    folder = mail.mail_folder("alice@example.com", "INBOX")
    mail.set_flags(folder.id, [1], bob, "+", ["\\Seen", "\\Flagged"],
                   ["seen", "other"])
    assert mail.messages(folder.id, [1], bob)[0].flags == \
        ["\\Flagged", "\\Seen"]
    assert mail.messages(folder.id, [1], alice)[0].flags == ["\\Flagged"]
    assert mail.status(folder.id, alice)["UNSEEN"] == 1
    assert mail.status(folder.id, bob)["UNSEEN"] == 0


def test_replace_leaves_categories_outside_scope(store):
    """FLAGS replace within scope keeps flags the caller may not touch."""
    mail, alice, _ = _setup(store)
    mail.append("alice@example.com", "INBOX", message("plain-note.eml"),
                ["\\Deleted", "$Work"])
    folder = mail.mail_folder("alice@example.com", "INBOX")
    after = mail.set_flags(folder.id, [1], alice, "=", ["\\Answered"],
                           ["other"])
    assert after.flags[1] == ["\\Answered", "\\Deleted"]


def test_copy_links_body_and_expunge_removes_it(store):
    """A copy has its own UID and file; expunge deletes only \\Deleted."""
    mail, alice, _ = _setup(store)
    raw = message("multipart-report.eml")
    mail.append("alice@example.com", "INBOX", raw)
    source = mail.mail_folder("alice@example.com", "INBOX")
    target = mail.mail_folder("alice@example.com", "Trash")
    validity, pairs = mail.copy(source.id, [1], target.id, alice,
                                ["seen", "deleted", "other"])
    assert pairs == [(1, 1)] and validity == target.uidvalidity
    mail.set_flags(source.id, [1], alice, "+", ["\\Deleted"], ["deleted"])
    assert mail.expunge(source.id) == [1]
    assert mail.messages(target.id, [1], alice, True)[0].data == raw


def test_snapshot_reports_changes_since_modseq(store):
    """A session catching up sees changed flags and the current UIDs."""
    mail, alice, _ = _setup(store)
    for _ in range(3):
        mail.append("alice@example.com", "INBOX", message("plain-note.eml"))
    folder = mail.mail_folder("alice@example.com", "INBOX")
    before = mail.snapshot(folder.id, alice)
    mail.set_flags(folder.id, [2], alice, "+", ["\\Deleted"], ["deleted"])
    mail.expunge(folder.id)
    mail.set_flags(folder.id, [3], alice, "+", ["\\Flagged"], ["other"])
    after = mail.snapshot(folder.id, alice, before.modseq)
    assert after.uids == [1, 3]
    assert after.changed == {3: ["\\Flagged"]}


def test_deliver_to_group_members_or_folder(store):
    """A group without deliver-to-folder reaches each member's INBOX."""
    mail, _, _ = _setup(store)
    places = mail.deliver("team@example.com", message("plain-note.eml"))
    assert places == [("bob@example.com", "INBOX")]
    store.directory.update_group("team@example.com", deliver_to_folder=True)
    places = mail.deliver("TEAM@example.com", message("plain-note.eml"))
    assert places == [("team@example.com", "INBOX")]
