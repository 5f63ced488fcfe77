"""CLASS-based privacy of items in folders the viewer does not own."""

from __future__ import annotations

import pytest
from acl_strategies import rights
from hypothesis import given
from hypothesis import strategies as st

from icewarp_share.acl import (
    ALL_RIGHTS,
    NO_RIGHTS,
    PLACEHOLDER_PROPERTIES,
    PRESETS,
    ItemClass,
    Rights,
    Treatment,
    class_of,
    counts_as_busy,
    matches_queries,
    may_write_class,
    treatment,
    write_refusal_reason,
)

_RANK = [ItemClass.PUBLIC, ItemClass.CONFIDENTIAL, ItemClass.PRIVATE]
_VALUES = st.lists(st.one_of(
    st.none(), st.sampled_from(["PUBLIC", "private", "Confidential",
                                "X-SECRET", ""])))


def test_missing_class_is_public() -> None:
    assert class_of([]) is ItemClass.PUBLIC
    assert class_of([None, None]) is ItemClass.PUBLIC


def test_class_values_ignore_case_and_blanks() -> None:
    """RFC 5545 3.1: enumerated values are case-insensitive."""
    assert class_of([" confidential "]) is ItemClass.CONFIDENTIAL


def test_unknown_class_is_private() -> None:
    """RFC 5545 3.8.1.3: treat an unrecognised value as PRIVATE."""
    assert class_of(["X-COMPANY-ONLY"]) is ItemClass.PRIVATE
    assert class_of([""]) is ItemClass.PRIVATE


def test_override_without_class_is_masked_like_its_master() -> None:
    assert class_of(["PRIVATE", None]) is ItemClass.PRIVATE
    assert class_of([None, "CONFIDENTIAL"]) is ItemClass.CONFIDENTIAL


@pytest.mark.parametrize(("item_class", "expected"), [
    (ItemClass.PUBLIC, Treatment.SHOW),
    (ItemClass.CONFIDENTIAL, Treatment.REDACT),
    (ItemClass.PRIVATE, Treatment.HIDE),
])
def test_grantee_without_administer_sees_by_class(
        item_class: ItemClass, expected: Treatment) -> None:
    assert treatment(item_class, False, PRESETS["all"]) is expected


@pytest.mark.parametrize("item_class", list(ItemClass))
def test_owner_and_administer_see_everything(item_class: ItemClass) -> None:
    assert treatment(item_class, True, NO_RIGHTS) is Treatment.SHOW
    assert treatment(item_class, False, Rights.of("a")) is Treatment.SHOW


@pytest.mark.parametrize("item_treatment", list(Treatment))
def test_every_item_counts_as_busy(item_treatment: Treatment) -> None:
    assert counts_as_busy(item_treatment)


def test_only_shown_items_match_queries() -> None:
    assert matches_queries(Treatment.SHOW)
    assert not matches_queries(Treatment.REDACT)
    assert not matches_queries(Treatment.HIDE)


def test_placeholder_keeps_times_but_not_words() -> None:
    assert {"UID", "DTSTART", "DTEND", "RRULE"} <= PLACEHOLDER_PROPERTIES
    assert not {"SUMMARY", "DESCRIPTION", "LOCATION", "ATTENDEE"} & \
        PLACEHOLDER_PROPERTIES


@pytest.mark.parametrize("item_class", [ItemClass.PRIVATE,
                                        ItemClass.CONFIDENTIAL])
def test_grantee_may_not_write_private_or_confidential(
        item_class: ItemClass) -> None:
    assert not may_write_class(item_class, False, PRESETS["all"])
    reason = write_refusal_reason(item_class, False, PRESETS["all"])
    assert reason is not None and "administer" in reason


def test_public_writes_and_owner_writes_are_allowed() -> None:
    assert may_write_class(ItemClass.PUBLIC, False, NO_RIGHTS)
    assert may_write_class(ItemClass.PRIVATE, True, NO_RIGHTS)
    assert may_write_class(ItemClass.PRIVATE, False, ALL_RIGHTS)
    assert write_refusal_reason(ItemClass.PRIVATE, True, NO_RIGHTS) is None


@given(rights)
def test_private_never_shown_to_non_owner_without_administer(
        held: Rights) -> None:
    shown = treatment(ItemClass.PRIVATE, False, held) is Treatment.SHOW
    assert shown == ("a" in held)


@given(_VALUES, st.data())
def test_class_of_ignores_component_order(values: list[str | None],
                                          data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(values))
    assert class_of(shuffled) is class_of(values)


@given(_VALUES, _VALUES)
def test_adding_components_never_lowers_the_class(
        values: list[str | None], more: list[str | None]) -> None:
    before, after = class_of(values), class_of(values + more)
    assert _RANK.index(after) >= _RANK.index(before)
