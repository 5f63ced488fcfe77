"""Effective rights: who gets what on a folder, and which grant decided."""

from __future__ import annotations

from dataclasses import replace

import pytest
from acl_strategies import (
    grant,
    grant_levels,
    rights,
    shared_folders,
    viewer,
    viewers,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from icewarp_share.acl import (
    ALL_RIGHTS,
    NO_RIGHTS,
    PRESETS,
    Decision,
    FolderFacts,
    FolderKind,
    Grant,
    Grantee,
    GranteeKind,
    MailMode,
    Operation,
    OwnerKind,
    Rights,
    Source,
    Viewer,
    applicable_grants,
    dav_privileges,
    effective_rights,
    may,
    required_rights,
)

ANN = viewer("ann@a.test", groups=("sales@a.test", "staff@a.test"))


def folder(*own: Grant, owner: str = "bob@a.test",
           kind: FolderKind = FolderKind.CALENDAR,
           inherited: tuple[tuple[Grant, ...], ...] = (),
           **changes: object) -> FolderFacts:
    """A folder of Bob's (by default) with the given own grants."""
    facts = FolderFacts(owner, OwnerKind.ACCOUNT, "Calendar", kind,
                        grants=own, inherited=inherited)
    return replace(facts, **changes)  # type: ignore[arg-type]


def test_owner_has_all_rights() -> None:
    decision = effective_rights(ANN, folder(owner="ann@a.test"))
    assert decision.rights == ALL_RIGHTS
    assert decision.source is Source.OWNER
    assert decision.reason == "owner"


def test_owner_keeps_all_rights_on_virtual_and_pop_folders() -> None:
    own = folder(owner="Ann@A.test", virtual=True,
                 owner_mail_mode=MailMode.POP, kind=FolderKind.MAIL)
    assert effective_rights(ANN, own).rights == ALL_RIGHTS


def test_group_folder_has_no_owning_account() -> None:
    """A group's address matching the viewer's is no ownership."""
    group_folder = folder(owner="ann@a.test", owner_kind=OwnerKind.GROUP)
    assert effective_rights(ANN, group_folder).source is Source.NONE


def test_account_grant_beats_group_grant() -> None:
    decision = effective_rights(
        ANN, folder(grant("sales@a.test", "all"), grant("ann@a.test", "lr")))
    assert decision.rights == Rights.of("lr")
    assert decision.source is Source.ACCOUNT
    assert decision.reason == "grant to account ann@a.test"


def test_empty_account_grant_blocks_group_rights() -> None:
    """An owner excludes one person from a group share this way."""
    decision = effective_rights(
        ANN, folder(grant("sales@a.test", "full"), grant("ann@a.test", "")))
    assert decision.rights == NO_RIGHTS
    assert decision.source is Source.ACCOUNT


def test_groups_are_united() -> None:
    decision = effective_rights(ANN, folder(
        grant("sales@a.test", "lr"), grant("staff@a.test", "lw"),
        grant("ops@b.test", "full")))
    assert decision.rights == Rights.of("lrw")
    assert decision.source is Source.GROUP
    assert len(decision.grants) == 2
    assert decision.reason == \
        "grants to groups sales@a.test, staff@a.test"


def test_group_grant_beats_domain_grant() -> None:
    decision = effective_rights(
        ANN, folder(grant("[a.test]", "full"), grant("sales@a.test", "l")))
    assert decision.rights == Rights.of("l")


def test_domain_grant_beats_anyone() -> None:
    decision = effective_rights(
        ANN, folder(grant("anyone", "full"), grant("[a.test]", "lr")))
    assert (decision.rights, decision.source) == \
        (Rights.of("lr"), Source.DOMAIN)
    assert decision.reason == "grant to domain [a.test]"


def test_anyone_applies_to_every_account() -> None:
    outsider = viewer("zed@z.test")
    decision = effective_rights(outsider, folder(grant("anyone", "read")))
    assert decision.rights == PRESETS["read"]
    assert decision.reason == "grant to anyone"


def test_grants_to_others_give_nothing() -> None:
    decision = effective_rights(ANN, folder(
        grant("cat@b.test", "full"), grant("[b.test]", "full"),
        grant("ops@b.test", "full")))
    assert decision == Decision(
        NO_RIGHTS, Source.NONE, (), None,
        "no grant on this folder names the viewer; this folder has "
        "grants of its own, so nothing above it is inherited")


def test_no_grant_anywhere_says_so() -> None:
    """With no grants on the folder or above, the reason is plain."""
    assert effective_rights(ANN, folder()).reason == "no grant applies"


def test_addresses_compare_case_insensitively() -> None:
    shouty = viewer("ANN@A.TEST", groups=("SALES@a.test",))
    assert effective_rights(shouty, folder(grant("ann@a.test", "lr"))) \
        .rights == Rights.of("lr")
    assert effective_rights(shouty, folder(grant("sales@a.test", "l"))) \
        .rights == Rights.of("l")


def test_inherits_from_nearest_parent_with_grants() -> None:
    levels = ((), (grant("ann@a.test", "lr"),), (grant("anyone", "full"),))
    decision = effective_rights(ANN, folder(inherited=levels,
                                            path="Work/2026/Q1/May"))
    assert decision.rights == Rights.of("lr")
    assert decision.inherited_from == 1
    assert decision.reason == \
        "grant to account ann@a.test (inherited from Work/2026)"


def test_parent_inheritance_is_named_in_the_reason() -> None:
    levels = ((grant("sales@a.test", "lrs"),),)
    decision = effective_rights(ANN, folder(inherited=levels,
                                            path="Work/May"))
    assert decision.inherited_from == 0
    assert decision.reason == \
        "grant to group sales@a.test (inherited from Work)"


def test_own_grants_stop_inheritance_even_for_others() -> None:
    """A folder with any grant of its own ignores its ancestors."""
    shared = folder(grant("cat@b.test", "lr"),
                    inherited=((grant("ann@a.test", "full"),),))
    decision = effective_rights(ANN, shared)
    assert decision.rights == NO_RIGHTS
    assert "has grants of its own" in decision.reason
    assert applicable_grants(shared) == (shared.grants, None)


def test_pop_only_mail_not_shared() -> None:
    mail = folder(grant("ann@a.test", "full"), kind=FolderKind.MAIL,
                  owner_mail_mode=MailMode.POP)
    decision = effective_rights(ANN, mail)
    assert decision.rights == NO_RIGHTS
    assert decision.reason == "mail of a POP-only account is not shared"


def test_pop_only_owner_still_shares_calendars() -> None:
    calendar = folder(grant("ann@a.test", "lr"),
                      owner_mail_mode=MailMode.POP)
    assert effective_rights(ANN, calendar).rights == Rights.of("lr")


def test_pop_and_imap_mail_is_shared() -> None:
    mail = folder(grant("ann@a.test", "lr"), kind=FolderKind.MAIL,
                  owner_mail_mode=MailMode.POP_IMAP)
    assert effective_rights(ANN, mail).rights == Rights.of("lr")


@pytest.mark.parametrize("kind", list(FolderKind))
def test_groupware_off_owner_shares_nothing(kind: FolderKind) -> None:
    shared = folder(grant("anyone", "full"), kind=kind,
                    owner_groupware=False)
    decision = effective_rights(ANN, shared)
    assert decision.rights == NO_RIGHTS
    assert decision.reason.startswith("groupware is off for the owner")


@pytest.mark.parametrize("kind", list(FolderKind))
def test_groupware_off_viewer_gets_nothing(kind: FolderKind) -> None:
    without = viewer("ann@a.test", groupware=False)
    decision = effective_rights(without, folder(grant("anyone", "full"),
                                                kind=kind))
    assert decision.rights == NO_RIGHTS
    assert decision.reason.startswith("groupware is off for the viewer")


def test_virtual_folder_never_shared() -> None:
    decision = effective_rights(ANN, folder(grant("ann@a.test", "full"),
                                            virtual=True))
    assert decision.reason == "virtual folders are never shared"
    assert decision.rights == NO_RIGHTS


def test_administrator_gets_nothing_from_being_one() -> None:
    admin = viewer("ann@a.test", is_admin=True)
    assert effective_rights(admin, folder()).rights == NO_RIGHTS


def test_explain_shows_rights_grants_and_reason() -> None:
    text = effective_rights(ANN, folder(grant("sales@a.test", "read"))) \
        .explain()
    assert text.splitlines() == [
        "rights: lrs (read)", "source: group",
        "grants: sales@a.test=lrs", "reason: grant to group sales@a.test"]


def test_explain_of_nothing_says_none() -> None:
    text = effective_rights(ANN, folder()).explain()
    assert text.splitlines()[0] == "rights: none"


@pytest.mark.parametrize(("operation", "letter"), [
    (Operation.LOOKUP, "l"), (Operation.READ, "r"),
    (Operation.SET_SEEN, "s"), (Operation.WRITE_FLAGS, "w"),
    (Operation.INSERT, "i"), (Operation.POST, "p"),
    (Operation.CREATE_CHILD, "k"), (Operation.DELETE_FOLDER, "x"),
    (Operation.DELETE_ITEM, "t"), (Operation.EXPUNGE, "e"),
    (Operation.ADMINISTER, "a"), (Operation.WRITE_ITEM, "w"),
    (Operation.CREATE_ITEM, "i"), (Operation.REMOVE_ITEM, "t"),
])
def test_each_operation_needs_its_letter(operation: Operation,
                                         letter: str) -> None:
    assert required_rights(operation) == Rights.of(letter)
    assert may(Rights.of(letter), operation)
    assert not may(ALL_RIGHTS - Rights.of(letter), operation)


def test_may_accepts_a_decision() -> None:
    decision = effective_rights(ANN, folder(grant("ann@a.test", "lr")))
    assert may(decision, Operation.READ)
    assert not may(decision, Operation.INSERT)


def test_read_grant_gives_read_only_dav_privileges() -> None:
    assert dav_privileges(PRESETS["read"]) == frozenset(
        {"read", "read-current-user-privilege-set"})


def test_lookup_alone_lets_a_client_read_its_privileges() -> None:
    assert dav_privileges(Rights.of("l")) == frozenset(
        {"read-current-user-privilege-set"})
    assert dav_privileges(NO_RIGHTS) == frozenset()


def test_dav_write_needs_all_four_parts() -> None:
    """RFC 3744 3.2: DAV:write aggregates content, properties, bind and
    unbind."""
    assert "write" not in dav_privileges(Rights.of("lrwi"))
    assert "write" in dav_privileges(Rights.of("lrwit"))
    assert {"write-content", "write-properties", "bind"} <= \
        dav_privileges(Rights.of("lrwi"))


def test_dav_acl_privileges_come_with_administer() -> None:
    privileges = dav_privileges(Rights.of("lra"))
    assert {"read-acl", "write-acl"} <= privileges
    assert "all" not in privileges


def test_dav_all_only_for_every_right() -> None:
    assert "all" in dav_privileges(ALL_RIGHTS)
    assert "all" not in dav_privileges(PRESETS["all"])


@given(viewers(), shared_folders())
def test_owner_always_gets_all(who: Viewer, facts: FolderFacts) -> None:
    own = replace(facts, owner=who.address, owner_kind=OwnerKind.ACCOUNT,
                  virtual=True, owner_groupware=False)
    assert effective_rights(who, own).rights == ALL_RIGHTS


@given(viewers(), shared_folders())
def test_result_is_within_the_union_of_grants(who: Viewer,
                                              facts: FolderFacts) -> None:
    assume(facts.owner != who.address)
    present = NO_RIGHTS
    for level in (facts.grants, *facts.inherited):
        for one in level:
            present = present | one.rights
    decision = effective_rights(who, facts)
    assert decision.rights | present == present
    assert all(g in (*facts.grants, *sum(facts.inherited, ()))
               for g in decision.grants)


@given(viewers(), shared_folders(), rights)
def test_account_grant_for_viewer_decides_exactly(
        who: Viewer, facts: FolderFacts, letters: Rights) -> None:
    assume(facts.owner != who.address)
    mine = Grant(Grantee(GranteeKind.ACCOUNT, who.address), letters)
    others = tuple(g for g in facts.grants
                   if g.grantee != mine.grantee)
    decision = effective_rights(who, replace(facts, grants=(*others, mine)))
    assert decision.rights == letters
    assert decision.source is Source.ACCOUNT
    assert decision.grants == (mine,)


_ORDER = (GranteeKind.ACCOUNT, GranteeKind.GROUP, GranteeKind.DOMAIN,
          GranteeKind.ANYONE)


@given(viewers(), shared_folders(), grant_levels, st.data())
def test_less_specific_grants_never_change_the_decision(
        who: Viewer, facts: FolderFacts, extra: tuple[Grant, ...],
        data: st.DataObject) -> None:
    """Grants of a less specific kind than the deciding one are ignored."""
    assume(facts.owner != who.address and facts.grants)
    before = effective_rights(who, facts)
    assume(before.source is not Source.NONE)
    rank = _ORDER.index(GranteeKind(before.source.value))
    weaker = tuple(g for g in extra
                   if _ORDER.index(g.grantee.kind) > rank)
    after = effective_rights(who, replace(facts,
                                          grants=facts.grants + weaker))
    assert after == before


def _matches(who: Viewer, one: Grant) -> bool:
    """An independent statement of which grants concern the viewer."""
    name, kind = one.grantee.name, one.grantee.kind
    return {
        GranteeKind.ACCOUNT: name == who.address,
        GranteeKind.GROUP: name in who.groups,
        GranteeKind.DOMAIN: name == who.domain,
        GranteeKind.ANYONE: True,
    }[kind]


@given(viewers(), shared_folders())
def test_most_specific_matching_kind_decides(who: Viewer,
                                             facts: FolderFacts) -> None:
    """Precedence account > group > domain > anyone, united per kind."""
    assume(facts.owner != who.address)
    applying, level = applicable_grants(facts)
    matching = [g for g in applying if _matches(who, g)]
    decision = effective_rights(who, facts)
    if not matching:
        assert decision.source is Source.NONE
        return
    best = min((g.grantee.kind for g in matching), key=_ORDER.index)
    deciding = tuple(g for g in matching if g.grantee.kind is best)
    expected = NO_RIGHTS
    for one in deciding:
        expected = expected | one.rights
    assert decision.source.value == best.value
    assert (decision.grants, decision.rights) == (deciding, expected)
    assert decision.inherited_from == level
