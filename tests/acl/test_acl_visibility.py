"""Which folders a viewer's folder list holds, and under which names."""

from __future__ import annotations

from acl_strategies import grant, viewer

from icewarp_share.acl import (
    FolderFacts,
    FolderKind,
    Grant,
    OwnerKind,
    Prefixes,
    Subscription,
    Via,
    is_member,
    visible_folders,
)

ANN = viewer("ann@a.test", groups=("sales@a.test",))
PREFIXES = Prefixes()


def folder(owner: str, path: str, *grants: Grant,
           owner_kind: OwnerKind = OwnerKind.ACCOUNT,
           kind: FolderKind = FolderKind.CALENDAR,
           virtual: bool = False) -> FolderFacts:
    """A folder with its own grants."""
    return FolderFacts(owner, owner_kind, path, kind, virtual=virtual,
                       grants=grants)


def names(*candidates: FolderFacts, subscriptions: tuple[
        Subscription, ...] = (), subscribed_only: bool = True,
          kinds: tuple[FolderKind, ...] | None = None) -> list[str]:
    """The names Ann sees among the candidates."""
    return [v.name for v in visible_folders(
        ANN, candidates, subscriptions, PREFIXES, kinds=kinds,
        subscribed_only=subscribed_only)]


def test_own_folders_always_appear_even_virtual() -> None:
    listed = visible_folders(
        ANN, [folder("ann@a.test", "INBOX", kind=FolderKind.MAIL),
              folder("ann@a.test", "Search", virtual=True)], [], PREFIXES)
    assert [(v.name, v.via, v.subscribed) for v in listed] == [
        ("INBOX", Via.OWN, True), ("Search", Via.OWN, True)]


def test_shared_folder_needs_a_subscription() -> None:
    shared = folder("bob@a.test", "Calendar", grant("ann@a.test", "read"))
    assert names(shared) == []
    assert names(shared, subscriptions=(
        Subscription("bob@a.test", "Calendar"),)) == ["~bob@a.test/Calendar"]


def test_subscription_to_another_folder_does_not_count() -> None:
    shared = folder("bob@a.test", "Calendar", grant("ann@a.test", "read"))
    assert names(shared, subscriptions=(
        Subscription("bob@a.test", "Tasks"),)) == []


def test_account_subscription_covers_every_folder_with_lookup() -> None:
    visible = folder("bob@a.test", "Calendar", grant("ann@a.test", "l"))
    hidden = folder("bob@a.test", "Secret", grant("ann@a.test", "r"))
    listed = visible_folders(ANN, [visible, hidden],
                             [Subscription("Bob@A.test", None)], PREFIXES)
    assert [(v.name, v.via) for v in listed] == [
        ("~bob@a.test/Calendar", Via.ACCOUNT_SUBSCRIPTION)]


def test_folder_subscription_is_preferred_over_account() -> None:
    shared = folder("bob@a.test", "Calendar", grant("ann@a.test", "l"))
    listed = visible_folders(
        ANN, [shared], [Subscription("bob@a.test", None),
                        Subscription("bob@a.test", "Calendar")], PREFIXES)
    assert listed[0].via is Via.SUBSCRIPTION


def test_subscription_without_lookup_shows_nothing() -> None:
    """Rights are checked at every listing, not when subscribing."""
    revoked = folder("bob@a.test", "Calendar", grant("ann@a.test", ""))
    assert names(revoked, subscriptions=(
        Subscription("bob@a.test", None),)) == []


def test_shared_with_me_lists_unsubscribed_folders() -> None:
    shared = folder("bob@a.test", "Calendar", grant("ann@a.test", "read"))
    listed = visible_folders(ANN, [shared], [], PREFIXES,
                             subscribed_only=False)
    assert [(v.name, v.subscribed, v.via) for v in listed] == [
        ("~bob@a.test/Calendar", False, Via.GRANT)]


def test_group_public_folder_needs_no_subscription_for_members() -> None:
    public = folder("sales@a.test", "Plans", grant("sales@a.test", "read"),
                    owner_kind=OwnerKind.GROUP)
    listed = visible_folders(ANN, [public], [], PREFIXES)
    assert [(v.name, v.via, v.subscribed) for v in listed] == [
        ("Public/sales@a.test/Plans", Via.GROUP_MEMBER, True)]


def test_non_member_subscribes_to_a_public_folder() -> None:
    public = folder("ops@b.test", "Plans", grant("anyone", "read"),
                    owner_kind=OwnerKind.GROUP)
    assert names(public) == []
    assert names(public, subscriptions=(
        Subscription("ops@b.test", None),)) == ["Public/ops@b.test/Plans"]


def test_member_without_lookup_does_not_see_public_folder() -> None:
    public = folder("sales@a.test", "Plans", grant("sales@a.test", "r"),
                    owner_kind=OwnerKind.GROUP)
    assert names(public) == []


def test_virtual_folders_of_others_never_appear() -> None:
    virtual = folder("bob@a.test", "Search", grant("ann@a.test", "full"),
                     virtual=True)
    assert names(virtual, subscriptions=(Subscription("bob@a.test", None),),
                 subscribed_only=False) == []


def test_list_is_sorted_by_name() -> None:
    candidates = [
        folder("ann@a.test", "Zoo"),
        folder("bob@a.test", "A", grant("anyone", "l")),
        folder("ann@a.test", "Apples"),
    ]
    assert names(*candidates, subscriptions=(
        Subscription("bob@a.test", None),)) == ["Apples", "Zoo",
                                                "~bob@a.test/A"]


def test_kinds_limit_the_list() -> None:
    candidates = [folder("ann@a.test", "INBOX", kind=FolderKind.MAIL),
                  folder("ann@a.test", "Calendar")]
    assert names(*candidates, kinds=(FolderKind.MAIL,)) == ["INBOX"]


def test_visible_folder_carries_the_decision() -> None:
    shared = folder("bob@a.test", "Calendar", grant("sales@a.test", "lr"))
    listed = visible_folders(ANN, [shared], [Subscription("bob@a.test",
                                                          None)], PREFIXES)
    assert str(listed[0].decision.rights) == "lr"


def test_membership_ignores_case() -> None:
    assert is_member(ANN, "SALES@a.test")
    assert not is_member(ANN, "ops@b.test")
