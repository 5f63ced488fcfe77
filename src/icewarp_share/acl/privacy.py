"""Private and confidential items in folders that are not the viewer's.

The iCalendar/vCard CLASS of an item decides how a grantee sees it: shown,
reduced to a "Busy" placeholder, or hidden. Every read path (listing,
GET, multiget, sync, query, free-busy) asks ``treatment`` so that no
protocol shows more than another; the store applies the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .rights import Rights


class ItemClass(StrEnum):
    """The access classification of an item (RFC 5545 3.8.1.3)."""

    PUBLIC = "PUBLIC"
    CONFIDENTIAL = "CONFIDENTIAL"
    PRIVATE = "PRIVATE"


_RANK = {ItemClass.PUBLIC: 0, ItemClass.CONFIDENTIAL: 1,
         ItemClass.PRIVATE: 2}


class Treatment(StrEnum):
    """What a viewer gets of an item."""

    SHOW = "show"
    REDACT = "redact"
    HIDE = "hide"


REDACTED_SUMMARY = "Busy"
"""The SUMMARY a placeholder carries instead of the real one."""

PLACEHOLDER_PROPERTIES = frozenset({
    "UID", "DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE",
    "EXDATE", "RECURRENCE-ID", "DTSTAMP", "SEQUENCE", "TRANSP", "STATUS",
    "CLASS", "CREATED", "LAST-MODIFIED", "COMPLETED",
})
"""Properties a placeholder keeps: times and identity, nothing said."""

_REFUSAL = ("only the owner or someone with the administer right may "
            "create private or confidential items in this folder")


def _one_class(value: str | None) -> ItemClass:
    """The class of one component's CLASS value.

    Absent (None) is PUBLIC, the RFC 5545 default. Anything else that is
    not a known value, an empty one included, counts as PRIVATE, as
    RFC 5545 3.8.1.3 asks for values an application does not recognise.
    """
    if value is None:
        return ItemClass.PUBLIC
    try:
        return ItemClass(value.strip().upper())
    except ValueError:
        return ItemClass.PRIVATE


def class_of(values: Iterable[str | None]) -> ItemClass:
    """The class of a whole resource: the most restrictive component's.

    A recurrence override without CLASS is thereby masked like its
    master; a resource with no components is PUBLIC.
    """
    return max(map(_one_class, values), key=_RANK.__getitem__,
               default=ItemClass.PUBLIC)


def _sees_everything(viewer_is_owner: bool, rights: Rights) -> bool:
    """The owner and holders of ``a`` see and set every class."""
    return viewer_is_owner or "a" in rights


def treatment(item_class: ItemClass, viewer_is_owner: bool,
              rights: Rights) -> Treatment:
    """How an item of this class is shown to this viewer."""
    if _sees_everything(viewer_is_owner, rights):
        return Treatment.SHOW
    if item_class is ItemClass.PRIVATE:
        return Treatment.HIDE
    if item_class is ItemClass.CONFIDENTIAL:
        return Treatment.REDACT
    return Treatment.SHOW


def counts_as_busy(item_treatment: Treatment) -> bool:
    """Whether the item still blocks time in free-busy answers.

    Always: hiding what an item says must not make its time look free.
    Whether the item is transparent (TRANSP) is a separate matter that
    the free-busy code decides as for any item.
    """
    del item_treatment
    return True


def matches_queries(item_treatment: Treatment) -> bool:
    """Whether a query may match the item at all.

    Only shown items: matching on a hidden or redacted property would
    reveal it one question at a time.
    """
    return item_treatment is Treatment.SHOW


def may_write_class(item_class: ItemClass, viewer_is_owner: bool,
                    rights: Rights) -> bool:
    """Whether the viewer may store an item of this class in the folder."""
    if item_class is ItemClass.PUBLIC:
        return True
    return _sees_everything(viewer_is_owner, rights)


def write_refusal_reason(item_class: ItemClass, viewer_is_owner: bool,
                         rights: Rights) -> str | None:
    """The sentence to send with a 403, or None when the write may go on."""
    if may_write_class(item_class, viewer_is_owner, rights):
        return None
    return _REFUSAL
