"""Grantees as written in grants and in the IMAP ACL commands."""

from __future__ import annotations

import pytest
from acl_strategies import grantees
from hypothesis import given

from icewarp_share.acl import (
    Grant,
    Grantee,
    GranteeError,
    GranteeKind,
    Rights,
)


def test_anyone_is_recognised_in_any_case() -> None:
    assert Grantee.parse("anyone") == Grantee(GranteeKind.ANYONE)
    assert Grantee.parse("Anyone").name == ""


def test_bracketed_name_is_a_domain() -> None:
    grantee = Grantee.parse("[Example.COM]")
    assert grantee == Grantee(GranteeKind.DOMAIN, "example.com")
    assert str(grantee) == "[example.com]"


def test_address_is_an_account_unless_known_as_group() -> None:
    groups = ["Sales@example.com"]
    assert Grantee.parse("jean@example.com", groups).kind is \
        GranteeKind.ACCOUNT
    assert Grantee.parse("sales@EXAMPLE.com", groups) == \
        Grantee(GranteeKind.GROUP, "sales@example.com")


def test_addresses_are_kept_lower_case() -> None:
    assert Grantee(GranteeKind.ACCOUNT, "Jean@Example.com") == \
        Grantee(GranteeKind.ACCOUNT, "jean@example.com")


@pytest.mark.parametrize("text", ["", "  ", "[]", "-jean@example.com",
                                  "jean @example.com"])
def test_malformed_grantees_are_refused(text: str) -> None:
    with pytest.raises(GranteeError):
        Grantee.parse(text)


def test_anyone_takes_no_name() -> None:
    with pytest.raises(GranteeError):
        Grantee(GranteeKind.ANYONE, "x")


def test_grant_prints_as_grantee_and_rights() -> None:
    grant = Grant(Grantee.parse("[a.test]"), Rights.of("lr"))
    assert str(grant) == "[a.test]=lr"
    assert str(Grant(Grantee.parse("anyone"), Rights())) == "anyone=none"


@given(grantees)
def test_str_of_grantee_parses_back(grantee: Grantee) -> None:
    groups = [grantee.name] if grantee.kind is GranteeKind.GROUP else []
    assert Grantee.parse(str(grantee), groups) == grantee
