"""Hypothesis strategies and builders shared by the ACL core tests.

Addresses come from small pools so that generated grants often name the
generated viewer, its groups or its domain.
"""

from __future__ import annotations

from hypothesis import strategies as st

from icewarp_share.acl import (
    LETTERS,
    FolderFacts,
    FolderKind,
    Grant,
    Grantee,
    GranteeKind,
    MailMode,
    OwnerKind,
    Rights,
    Viewer,
)

ACCOUNTS = ("ann@a.test", "bob@a.test", "cat@b.test", "dan@b.test")
GROUPS = ("sales@a.test", "staff@a.test", "ops@b.test")
DOMAINS = ("a.test", "b.test")

rights = st.text(alphabet=LETTERS, max_size=11).map(Rights.of)

grantees = st.one_of(
    st.sampled_from(ACCOUNTS).map(
        lambda a: Grantee(GranteeKind.ACCOUNT, a)),
    st.sampled_from(GROUPS).map(lambda g: Grantee(GranteeKind.GROUP, g)),
    st.sampled_from(DOMAINS).map(lambda d: Grantee(GranteeKind.DOMAIN, d)),
    st.just(Grantee(GranteeKind.ANYONE)),
)

grants = st.builds(Grant, grantees, rights)
grant_levels = st.lists(grants, max_size=5).map(tuple)


@st.composite
def viewers(draw: st.DrawFn) -> Viewer:
    """A groupware-enabled account of the pools, in some groups."""
    address = draw(st.sampled_from(ACCOUNTS))
    groups = draw(st.frozensets(st.sampled_from(GROUPS)))
    return Viewer(address, address.split("@")[1], groups, True,
                  draw(st.sampled_from(list(MailMode))))


@st.composite
def shared_folders(draw: st.DrawFn) -> FolderFacts:
    """A shareable folder (not virtual, groupware on, IMAP owner)."""
    owner_kind = draw(st.sampled_from(list(OwnerKind)))
    pool = ACCOUNTS if owner_kind is OwnerKind.ACCOUNT else GROUPS
    return FolderFacts(
        owner=draw(st.sampled_from(pool)),
        owner_kind=owner_kind,
        path=draw(st.sampled_from(["INBOX", "Calendar", "Work/Plans"])),
        kind=draw(st.sampled_from(list(FolderKind))),
        grants=draw(grant_levels),
        inherited=tuple(draw(st.lists(grant_levels, max_size=3))),
    )


def viewer(address: str = "ann@a.test", *, groups: tuple[str, ...] = (),
           groupware: bool = True, domain: str | None = None,
           mail_mode: MailMode = MailMode.IMAP,
           is_admin: bool = False) -> Viewer:
    """A viewer for example tests, its domain taken from the address."""
    return Viewer(address, domain or address.split("@")[1],
                  frozenset(groups), groupware, mail_mode, is_admin)


def grant(grantee: str, letters: str,
          groups: tuple[str, ...] = GROUPS) -> Grant:
    """A grant from the text forms, as an administrator would type it."""
    return Grant(Grantee.parse(grantee, groups), Rights.parse(letters))
