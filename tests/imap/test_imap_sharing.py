"""The sharing cases of the IMAP front end, over real sockets.

Each test pins one rule of RFC 4314 as this server applies it: rights
checked on every command, per-account \\Seen, per-sharee subscriptions,
the shared tree with its \\Noselect parents, and no existence leaks.
"""

from __future__ import annotations

import imaplib
import re

import pytest

from tests.imap.imap_fixtures import message

ALICE, BOB, CAROL, DAVE = (f"{n}@example.com"
                           for n in ("alice", "bob", "carol", "dave"))


def _untagged(client: imaplib.IMAP4, name: str) -> list[bytes]:
    return [d for d in client.untagged_responses.pop(name, []) if d]


def _names(client: imaplib.IMAP4, command: str = "LIST",
           *args: str) -> dict[str, bytes]:
    typ, data = client._untagged_response(
        *client._simple_command(command, *args), command)
    assert typ == "OK", data
    found = {}
    for line in data:
        if not line:
            continue
        match = re.match(rb'\(([^)]*)\) "/" (.*)$', line)
        assert match, line
        found[match.group(2).strip(b'"').decode()] = match.group(1)
    return found


def test_listrights_needs_administer_and_leaks_no_rights_line(login):
    """A sharee with lrs gets NO for LISTRIGHTS and no LISTRIGHTS line."""
    bob = login(BOB)
    typ, data = bob._simple_command("LISTRIGHTS", '"~alice@example.com/INBOX"',
                                    BOB)
    assert typ == "NO"
    assert b"NOPERM" in data[0]
    assert not _untagged(bob, "LISTRIGHTS")


def test_myrights_of_missing_owner_is_nonexistent_and_server_stays(login):
    """MYRIGHTS on an unknown address's folder: NO [NONEXISTENT]."""
    bob = login(BOB)
    typ, data = bob._simple_command("MYRIGHTS",
                                    '"~nobody@example.com/INBOX"')
    assert typ == "NO" and b"[NONEXISTENT]" in data[0]
    assert bob.noop()[0] == "OK"
    assert login(CAROL).noop()[0] == "OK"


def test_myrights_reports_granted_letters(login):
    """MYRIGHTS shows the sharee's letters as stored (RFC 4314 3.8)."""
    bob = login(BOB)
    typ, data = bob.myrights('"~alice@example.com/Projects"')
    assert typ == "OK"
    assert data[0].endswith(b" lrsip")


def test_seen_is_kept_per_account_in_a_shared_mailbox(login):
    """Sharee's \\Seen survives re-login; the owner's stays unseen."""
    alice = login(ALICE)
    assert alice.append("Projects", None, None,
                        message("plain-note.eml"))[0] == "OK"
    bob = login(BOB)
    assert bob.select('"~alice@example.com/Projects"')[0] == "OK"
    typ, data = bob.store("1", "+FLAGS", "(\\Seen)")
    assert typ == "OK", data
    bob.logout()

    bob = login(BOB)
    bob.select('"~alice@example.com/Projects"')
    typ, data = bob.fetch("1", "(FLAGS)")
    assert b"\\Seen" in data[0]
    alice.select("Projects")
    typ, data = alice.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in data[0]


def test_subscriptions_of_two_sharees_stay_apart(login):
    """Each sharee's LSUB and LIST (SUBSCRIBED) show only its own."""
    bob, carol = login(BOB), login(CAROL)
    assert bob.subscribe('"~alice@example.com/Projects"')[0] == "OK"
    assert carol.subscribe('"~alice@example.com/Reports"')[0] == "OK"
    for client, mine, other in ((bob, "Projects", "Reports"),
                                (carol, "Reports", "Projects")):
        for listed in (_names(client, "LSUB", '""', '"*"'),
                       _names(client, "LIST", '(SUBSCRIBED)', '""',
                              '"*"')):
            assert f"~alice@example.com/{mine}" in listed
            assert f"~alice@example.com/{other}" not in listed


def test_list_extended_recursivematch_and_bad_options(login):
    """RFC 5258: an unsubscribed parent of a subscribed folder comes with
    CHILDINFO; RECURSIVEMATCH alone and unknown options are BAD."""
    carol = login(CAROL)
    carol.subscribe('"~alice@example.com/Reports"')
    typ, data = carol._untagged_response(*carol._simple_command(
        "LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', '"%"'), "LIST")
    assert typ == "OK"
    assert (b'(\\Noselect \\HasChildren) "/" "~alice@example.com" '
            b'("CHILDINFO" ("SUBSCRIBED"))') in data
    typ, data = carol._untagged_response(*carol._simple_command(
        "LSUB", '""', '"%"'), "LSUB")
    assert b'(\\Noselect) "/" "~alice@example.com"' in data
    for args in (("(RECURSIVEMATCH)", '""', '"*"'),
                 ('""', '"*"', "RETURN", "(STATUS (MESSAGES))")):
        with pytest.raises(imaplib.IMAP4.error, match="BAD"):
            carol._simple_command("LIST", *args)


def test_shared_tree_parent_is_noselect(login):
    """The owner root under the prefix: LIST \\Noselect, SELECT plain NO."""
    carol = login(CAROL)
    carol.subscribe('"~alice@example.com/Reports"')
    listed = _names(carol, "LIST", '""', '"*"')
    assert b"\\Noselect" in listed["~alice@example.com"]
    assert b"\\HasChildren" in listed["~alice@example.com"]
    for name in ('"~alice@example.com"', '"~"'):
        typ, data = carol.select(name)
        assert typ == "NO"
        assert b"NONEXISTENT" not in data[0] and b"NOPERM" not in data[0]


def test_grant_while_logged_in_appears_and_revoke_removes(login):
    """SETACL by the owner shows up in the sharee's next LIST; DELETEACL
    takes it away."""
    alice, dave = login(ALICE), login(DAVE)
    assert "~alice@example.com/Reports" not in _names(dave, "LIST", '""',
                                                      '"*"')
    assert alice.setacl("Reports", DAVE, "lr")[0] == "OK"
    assert dave.subscribe('"~alice@example.com/Reports"')[0] == "OK"
    assert "~alice@example.com/Reports" in _names(dave, "LIST", '""', '"*"')
    typ, data = alice.getacl("Reports")
    assert b"dave@example.com lr" in data[0]
    assert alice.deleteacl("Reports", DAVE)[0] == "OK"
    assert "~alice@example.com/Reports" not in _names(dave, "LIST", '""',
                                                      '"*"')
    typ, data = dave.select('"~alice@example.com/Reports"')
    assert typ == "NO" and b"[NONEXISTENT]" in data[0]


def test_store_flag_without_w_is_refused_and_flags_unchanged(login):
    """lrs cannot set \\Flagged: NO [NOPERM], flags as before."""
    alice = login(ALICE)
    alice.append("Projects", None, None, message("plain-note.eml"))
    carol = login(CAROL)
    assert carol.select('"~alice@example.com/Projects"')[0] == "OK"
    before = carol.fetch("1:*", "(FLAGS)")[1]
    typ, data = carol.store("1", "+FLAGS", "(\\Flagged)")
    assert typ == "NO" and b"[NOPERM]" in data[0]
    assert carol.fetch("1:*", "(FLAGS)")[1] == before


def test_missing_and_unlisted_mailboxes_answer_alike(login):
    """No 'l': the same NO [NONEXISTENT] as a folder that does not exist."""
    dave = login(DAVE)
    answers = set()
    for name in ('"~alice@example.com/INBOX"', '"~alice@example.com/Nope"'):
        typ, data = dave.select(name)
        answers.add((typ, data[0]))
        typ, data = dave.status(name, "(MESSAGES)")
        answers.add((typ, data[0]))
    assert answers == {("NO", b"[NONEXISTENT] No such mailbox")}


def test_append_needs_insert_right(login):
    """Carol (lrs) may not APPEND into a folder shared with her."""
    carol = login(CAROL)
    typ, data = carol.append('"~alice@example.com/Projects"', None, None,
                             message("plain-note.eml"))
    assert typ == "NO" and b"[NOPERM]" in data[0]


def test_namespace_names_the_three_prefixes(login):
    """NAMESPACE: personal "", other users "~", shared "Public/"."""
    _, data = login(BOB).namespace()
    assert data[0] == b'(("" "/")) (("~" "/")) (("Public/" "/"))'


def test_group_public_folder_listed_for_members(login):
    """A member sees the group's public INBOX without subscribing."""
    listed = _names(login(BOB), "LIST", '""', '"*"')
    assert "Public/team@example.com/INBOX" in listed
    assert b"\\Noselect" in listed["Public"]
    assert "Public/team@example.com/INBOX" not in _names(
        login(DAVE), "LIST", '""', '"*"')


@pytest.mark.parametrize("pattern,expected", [
    ("%", {"INBOX", "Projects", "Reports", "Drop", "Sent", "Drafts",
           "Trash", "Junk", "~alice@example.com", "Public"}),
    ("~alice@example.com/%", {"~alice@example.com/INBOX"}),
])
def test_list_patterns_cross_namespaces(login, pattern, expected):
    """``%`` stops at the delimiter in every namespace."""
    alice, bob = login(ALICE), login(BOB)
    bob.subscribe('"~alice@example.com/INBOX"')
    client = alice if pattern == "%" else bob
    listed = set(_names(client, "LIST", '""', f'"{pattern}"'))
    if pattern == "%":
        assert expected - {"~alice@example.com", "Public"} <= listed
    else:
        assert expected <= listed
        assert all(name.count("/") == 1 for name in listed)


def test_changing_shared_prefix_renames_tree_keeps_subscriptions(
        imap_server, login):
    """Restarted with shared_prefix "Shared/Accounts/", bob's subscription
    shows under the new name, with \\Noselect parents."""
    bob = login(BOB)
    assert bob.subscribe('"~alice@example.com/Projects"')[0] == "OK"
    bob.logout()
    original = imap_server.config_path.read_text()
    imap_server.stop()
    imap_server.config_path.write_text(
        original + '[sharing]\nshared_prefix = "Shared/Accounts/"\n')
    try:
        imap_server.start()
        bob = login(BOB)
        assert bob.namespace()[1][0] == \
            b'(("" "/")) (("Shared/Accounts/" "/")) (("Public/" "/"))'
        subscribed = _names(bob, "LSUB", '""', '"*"')
        assert "Shared/Accounts/alice@example.com/Projects" in subscribed
        listed = _names(bob, "LIST", '""', '"*"')
        assert b"\\Noselect" in listed["Shared"]
        assert b"\\Noselect" in listed["Shared/Accounts"]
        assert not any(name.startswith("~") for name in listed)
        assert bob.select('"Shared/Accounts"')[0] == "NO"
        assert bob.select(
            '"Shared/Accounts/alice@example.com/Projects"')[0] == "OK"
        bob.logout()
    finally:
        imap_server.stop()
        imap_server.config_path.write_text(original)
        imap_server.start()
