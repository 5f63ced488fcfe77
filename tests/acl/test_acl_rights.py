"""Rights letters, presets and their set algebra."""

from __future__ import annotations

import pytest
from acl_strategies import rights
from hypothesis import given
from hypothesis import strategies as st

from icewarp_share.acl import (
    ALL_RIGHTS,
    FOLDER_LETTERS,
    ITEM_LETTERS,
    LETTERS,
    NO_RIGHTS,
    PRESETS,
    Rights,
    RightsError,
    describe,
)


def test_letters_follow_rfc4314_order() -> None:
    assert LETTERS == "lrswipkxtea"
    assert ALL_RIGHTS.letters == LETTERS
    assert NO_RIGHTS.letters == ""


def test_presets_build_on_each_other() -> None:
    assert PRESETS["none"] == NO_RIGHTS
    assert str(PRESETS["read"]) == "lrs"
    assert str(PRESETS["author"]) == "lrsip"
    assert str(PRESETS["write"]) == "lrswipk"
    assert str(PRESETS["all"]) == "lrswipkxte"
    assert PRESETS["full"] == ALL_RIGHTS


@pytest.mark.parametrize("text", ["read", "READ", " Read ", "rEaD"])
def test_preset_names_are_case_insensitive(text: str) -> None:
    assert Rights.parse(text) == PRESETS["read"]


def test_preset_name_wins_over_letters() -> None:
    """'read' and 'all' are also strings of valid letters."""
    assert Rights.parse("all") == PRESETS["all"]
    assert Rights.parse("write") == PRESETS["write"]


def test_legacy_c_and_d_expand() -> None:
    """RFC 4314 2.1.1: c stands for k and x, d for x, t and e."""
    assert Rights.parse("c") == Rights.of("kx")
    assert Rights.parse("d") == Rights.of("xte")
    assert Rights.of("lrcd").letters == "lrkxte"


def test_w_without_s_stays() -> None:
    assert Rights.parse("lrw").letters == "lrw"
    assert "s" not in Rights.parse("lrw")


def test_unknown_letter_is_named() -> None:
    with pytest.raises(RightsError, match="'z'"):
        Rights.parse("lrz")


def test_unknown_word_is_refused_naming_its_letter() -> None:
    with pytest.raises(RightsError, match="'f'.*presets"):
        Rights.parse("fullest")


def test_upper_case_letters_are_not_rights() -> None:
    """RFC 4314 rights are lower-case letters."""
    with pytest.raises(RightsError, match="'L'"):
        Rights.parse("LR")


def test_empty_text_means_no_rights() -> None:
    assert Rights.parse("") == NO_RIGHTS
    assert Rights.parse("   ") == NO_RIGHTS
    assert not Rights.parse("")


def test_whitespace_is_ignored() -> None:
    assert Rights.parse(" l r\ts ") == Rights.of("lrs")


def test_of_does_not_accept_presets() -> None:
    with pytest.raises(RightsError):
        Rights.of("full")


def test_letters_are_canonical_and_unique() -> None:
    assert Rights.of("aarl").letters == "lra"
    assert Rights("srl") == Rights.of("lrs")


def test_set_operations() -> None:
    lrs, rw = Rights.of("lrs"), Rights.of("rw")
    assert lrs | rw == Rights.of("lrsw")
    assert lrs & rw == Rights.of("r")
    assert lrs - rw == Rights.of("ls")


def test_has_needs_every_letter() -> None:
    assert Rights.of("lrs").has("lr")
    assert not Rights.of("lrs").has("lrw")
    assert Rights.of("lrs").has("")


def test_has_understands_legacy_letters() -> None:
    assert Rights.of("kx").has("c")
    assert not Rights.of("k").has("c")


def test_contains_only_single_letters() -> None:
    assert "r" in Rights.of("lr")
    assert "lr" not in Rights.of("lr")
    assert "" not in Rights.of("lr")


def test_preset_name_only_for_an_exact_match() -> None:
    assert Rights.of("lrs").preset_name() == "read"
    assert NO_RIGHTS.preset_name() == "none"
    assert Rights.of("lr").preset_name() is None


def test_dialog_halves_cover_every_letter_once() -> None:
    assert sorted(ITEM_LETTERS + FOLDER_LETTERS) == sorted(LETTERS)


def test_every_letter_is_described() -> None:
    assert all(describe(letter) for letter in LETTERS)
    with pytest.raises(RightsError, match="'q'"):
        describe("q")


@given(rights)
def test_parse_of_str_gives_back_the_rights(value: Rights) -> None:
    assert Rights.parse(str(value)) == value


@given(st.text(alphabet=LETTERS + "cd"))
def test_of_is_canonical_whatever_the_order(text: str) -> None:
    value = Rights.of(text)
    assert value == Rights.of(text[::-1])
    assert list(value.letters) == sorted(set(value.letters),
                                         key=LETTERS.index)


@given(rights, rights)
def test_union_and_intersection_are_set_operations(
        left: Rights, right: Rights) -> None:
    assert set(str(left | right)) == set(str(left)) | set(str(right))
    assert set(str(left & right)) == set(str(left)) & set(str(right))
    assert (left - right) & right == NO_RIGHTS
