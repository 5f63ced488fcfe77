"""Folder names in the personal, other-users and public namespaces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icewarp_share.acl import (
    check_path,
    FolderNameError,
    OwnerKind,
    ParsedName,
    Prefixes,
    display_name,
    namespace_roots,
    parse_name,
)

ME = "ann@a.test"
DEFAULT = Prefixes()
SPELLED = Prefixes(shared="Shared/Accounts/", public="Shared/Public/")
BOTH = pytest.mark.parametrize("prefixes", [DEFAULT, SPELLED],
                               ids=["default", "spelled-out"])


@BOTH
def test_own_folders_sit_at_the_root(prefixes: Prefixes) -> None:
    assert display_name(ME, ME, OwnerKind.ACCOUNT, "Work/Plans",
                        prefixes) == "Work/Plans"
    assert parse_name(ME, "Work/Plans", prefixes) == \
        ParsedName(ME, OwnerKind.ACCOUNT, "Work/Plans")


def test_other_account_goes_under_the_shared_prefix() -> None:
    assert display_name(ME, "jean@example.com", OwnerKind.ACCOUNT,
                        "Calendar", DEFAULT) == "~jean@example.com/Calendar"
    assert display_name(ME, "jean@example.com", OwnerKind.ACCOUNT,
                        "Calendar", SPELLED) == \
        "Shared/Accounts/jean@example.com/Calendar"


def test_group_goes_under_the_public_prefix() -> None:
    assert display_name(ME, "sales@a.test", OwnerKind.GROUP, "Plans",
                        DEFAULT) == "Public/sales@a.test/Plans"
    assert parse_name(ME, "Shared/Public/sales@a.test/Plans", SPELLED) == \
        ParsedName("sales@a.test", OwnerKind.GROUP, "Plans")


@BOTH
def test_other_names_round_trip(prefixes: Prefixes) -> None:
    for owner_kind in OwnerKind:
        name = display_name(ME, "jean@example.com", owner_kind,
                            "INBOX/Sub", prefixes)
        assert parse_name(ME, name, prefixes) == \
            ParsedName("jean@example.com", owner_kind, "INBOX/Sub")


@BOTH
def test_namespace_roots_parse_without_owner(prefixes: Prefixes) -> None:
    for root in namespace_roots(prefixes):
        parsed = parse_name(ME, root, prefixes)
        assert (parsed.owner, parsed.path) == (None, "")
        assert parse_name(ME, root.rstrip("/"), prefixes) == parsed


def test_namespace_roots_are_the_prefixes() -> None:
    assert namespace_roots(DEFAULT) == ("~", "Public/")
    assert namespace_roots(SPELLED) == ("Shared/Accounts/", "Shared/Public/")


@BOTH
def test_owner_root_has_empty_path(prefixes: Prefixes) -> None:
    name = display_name(ME, "jean@example.com", OwnerKind.ACCOUNT, "",
                        prefixes)
    assert name == prefixes.shared + "jean@example.com"
    assert parse_name(ME, name, prefixes) == \
        ParsedName("jean@example.com", OwnerKind.ACCOUNT, "")


@pytest.mark.parametrize("spelling", ["inbox", "Inbox", "iNbOx"])
def test_inbox_is_case_insensitive(spelling: str) -> None:
    """RFC 3501 5.1: INBOX in any case names the inbox."""
    assert parse_name(ME, spelling, DEFAULT).path == "INBOX"
    assert parse_name(ME, spelling + "/Old", DEFAULT).path == "INBOX/Old"
    assert parse_name(ME, "~jean@x.test/" + spelling, DEFAULT).path == \
        "INBOX"


def test_other_names_are_case_sensitive() -> None:
    assert parse_name(ME, "Work", DEFAULT).path == "Work"
    assert parse_name(ME, "work", DEFAULT).path == "work"


def test_owner_addresses_are_lower_case() -> None:
    assert parse_name(ME, "~Jean@Example.com/A", DEFAULT).owner == \
        "jean@example.com"
    assert display_name(ME, "Jean@Example.com", OwnerKind.ACCOUNT, "A",
                        DEFAULT) == "~jean@example.com/A"


def test_own_folder_named_through_shared_prefix_is_own() -> None:
    assert parse_name(ME, "~ann@a.test/Work", DEFAULT) == \
        ParsedName(ME, OwnerKind.ACCOUNT, "Work")


@pytest.mark.parametrize("name", [
    "", "a//b", "/a", "a/", ".", "a/../b", "a/./b", "bad\x00name",
    "tab\there", "del\x7f", "~/Calendar", "~jean@x.test/", "Public//x",
])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(FolderNameError):
        parse_name(ME, name, DEFAULT)


def test_tilde_alone_is_the_other_users_root() -> None:
    assert parse_name(ME, "~", DEFAULT) == \
        ParsedName(None, OwnerKind.ACCOUNT, "")


@pytest.mark.parametrize("path", ["~mine", "Public", "Public/x"])
def test_own_folder_may_not_collide_with_a_prefix(path: str) -> None:
    with pytest.raises(FolderNameError, match="namespace"):
        display_name(ME, ME, OwnerKind.ACCOUNT, path, DEFAULT)


def test_display_refuses_bad_paths() -> None:
    with pytest.raises(FolderNameError):
        display_name(ME, "jean@x.test", OwnerKind.ACCOUNT, "a//b", DEFAULT)


@pytest.mark.parametrize(("shared", "public"), [
    ("", "Public/"), ("~", ""), ("Shared/", "Shared/Public/"),
    ("Same/", "Same/"), ("a//b/", "Public/"), ("~\n", "Public/"),
])
def test_overlapping_or_bad_prefixes_are_refused(shared: str,
                                                 public: str) -> None:
    with pytest.raises(FolderNameError):
        Prefixes(shared, public)


_SEGMENT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cf", "Cs", "Co", "Zl", "Zp"),
        blacklist_characters="/\\"),
    min_size=1, max_size=8).filter(
        lambda s: s not in (".", "..") and s == s.strip())
_PATHS = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join).filter(
    lambda p: p.split("/")[0].upper() != "INBOX" or
    p.split("/")[0] == "INBOX")
_OWNERS = st.sampled_from(["jean@example.com", "sales@a.test", "x@y"])


@given(_OWNERS, st.sampled_from(list(OwnerKind)), _PATHS | st.just(""),
       st.sampled_from([DEFAULT, SPELLED]))
def test_display_then_parse_gives_back_the_folder(
        owner: str, kind: OwnerKind, path: str, prefixes: Prefixes) -> None:
    name = display_name(ME, owner, kind, path, prefixes)
    assert parse_name(ME, name, prefixes) == ParsedName(owner, kind, path)


@given(_PATHS, st.sampled_from([DEFAULT, SPELLED]))
def test_own_paths_round_trip_unless_under_a_prefix(
        path: str, prefixes: Prefixes) -> None:
    """Only a path that would read back as another namespace is refused."""
    collides = any(path.startswith(p) or path == p.rstrip("/")
                   for p in namespace_roots(prefixes))
    if collides:
        with pytest.raises(FolderNameError):
            display_name(ME, ME, OwnerKind.ACCOUNT, path, prefixes)
        return
    name = display_name(ME, ME, OwnerKind.ACCOUNT, path, prefixes)
    assert parse_name(ME, name, prefixes) == \
        ParsedName(ME, OwnerKind.ACCOUNT, path)


@pytest.mark.parametrize("path", [
    "a\u202eb", "zero\u200bwidth", " lead", "trail ", "back\\slash",
    "x\u0085y"])
def test_invisible_and_spoofing_characters_are_refused(path: str) -> None:
    """Bidi overrides, zero-width characters, edge spaces, backslashes
    and C1 controls would let one folder pose as another."""
    with pytest.raises(FolderNameError):
        check_path(path)


def test_check_path_spells_inbox_upper_case() -> None:
    """A stored INBOX path is always spelled INBOX."""
    assert check_path("inbox/Sub") == "INBOX/Sub"
