"""Access rights as the RFC 4314 letters, and the presets people pick from.

A grant carries a set of letters. The set is kept exactly as granted:
nothing is merged or implied (``w`` without ``s`` stays so), because what
an owner chose is what every protocol must honour. Only the obsolete
letters ``c`` and ``d`` of RFC 2086 are translated on input, as RFC 4314
section 2.1.1 asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

LETTERS = "lrswipkxtea"
"""Every right this server knows, in the order RFC 4314 lists them."""

ITEM_LETTERS = "rswipte"
"""Rights about the items of a folder, for the item half of the dialog."""

FOLDER_LETTERS = "lkxa"
"""Rights about the folder itself, for the folder half of the dialog."""

# RFC 4314 2.1.1: the obsolete "c" stands for "k" and "x", and the obsolete
# "d" for "x", "t" and "e"; a client sending them means all of these.
_LEGACY = {"c": "kx", "d": "xte"}

_DESCRIPTIONS = {
    "l": "see the folder in folder lists",
    "r": "open the folder and read its items",
    "s": "keep its own seen/read state",
    "w": "change flags and modify existing items",
    "i": "add items (copy or move in, create)",
    "p": "send mail to the folder",
    "k": "create subfolders",
    "x": "delete or rename the folder",
    "t": "delete items",
    "e": "expunge deleted messages",
    "a": "administer: change rights, see private items",
}


class RightsError(ValueError):
    """A rights text holds a letter or word that is not a right."""


def _canonical(text: str) -> str:
    """Return the letters of ``text`` expanded, in LETTERS order, once each.

    Raises RightsError naming the first letter that is not a right.
    """
    wanted: set[str] = set()
    for letter in text:
        if letter in _LEGACY:
            wanted.update(_LEGACY[letter])
        elif letter in LETTERS:
            wanted.add(letter)
        else:
            raise RightsError(f"unknown right {letter!r} in {text!r}")
    return "".join(letter for letter in LETTERS if letter in wanted)


@dataclass(frozen=True)
class Rights:
    """A set of RFC 4314 rights, held as letters in canonical order.

    Construct with ``Rights.of`` (letters) or ``Rights.parse`` (letters or
    a preset name). Constructing directly also canonicalises, so two
    ``Rights`` with the same letters are always equal.
    """

    letters: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "letters", _canonical(self.letters))

    @classmethod
    def of(cls, letters: str) -> Rights:
        """Rights from letters only; ``c`` and ``d`` still expand."""
        return cls(letters)

    @classmethod
    def parse(cls, text: str) -> Rights:
        """Rights from what a person typed: a preset name or letters.

        Preset names are matched case-insensitively before letters, so
        ``read`` is the preset, not the letters r, e, a and d. Whitespace
        is ignored and an empty text means no rights.
        """
        compact = "".join(text.split())
        preset = PRESETS.get(compact.lower())
        if preset is not None:
            return preset
        try:
            return cls(compact)
        except RightsError as error:
            names = ", ".join(PRESETS)
            raise RightsError(f"{error} (presets: {names})") from None

    def has(self, letters: str) -> bool:
        """Whether every right in ``letters`` is held."""
        needed = Rights.of(letters)
        return set(needed.letters) <= set(self.letters)

    def preset_name(self) -> str | None:
        """The preset these rights are exactly equal to, if any."""
        for name, preset in PRESETS.items():
            if preset == self:
                return name
        return None

    def __contains__(self, letter: object) -> bool:
        return (isinstance(letter, str) and len(letter) == 1
                and letter in self.letters)

    def __or__(self, other: Rights) -> Rights:
        return Rights(self.letters + other.letters)

    def __and__(self, other: Rights) -> Rights:
        return Rights("".join(c for c in self.letters if c in other))

    def __sub__(self, other: Rights) -> Rights:
        return Rights("".join(c for c in self.letters if c not in other))

    def __bool__(self) -> bool:
        return bool(self.letters)

    def __str__(self) -> str:
        return self.letters


NO_RIGHTS = Rights("")
ALL_RIGHTS = Rights(LETTERS)

_READ = Rights("lrs")
_AUTHOR = _READ | Rights("ip")
_WRITE = _AUTHOR | Rights("wk")
_ALL = _WRITE | Rights("tex")

PRESETS: Mapping[str, Rights] = MappingProxyType({
    "none": NO_RIGHTS,
    "read": _READ,
    "author": _AUTHOR,
    "write": _WRITE,
    "all": _ALL,
    "full": _ALL | Rights("a"),
})
"""The named sets offered to people, from least to most."""


def describe(letter: str) -> str:
    """A short human description of one right, for the sharing dialog."""
    try:
        return _DESCRIPTIONS[letter]
    except KeyError:
        raise RightsError(f"unknown right {letter!r}") from None
