"""The one privacy filter every CalDAV and CardDAV read path goes through.

``present`` takes a stored item and the viewer's view of its folder and
answers what the viewer gets: the item itself, a time-only placeholder,
or nothing. The decision is the ACL core's (``class_of``, ``treatment``,
``counts_as_busy``); this module only applies it to iCalendar and vCard
text. Listing, GET, HEAD, multiget, queries, sync, ETags, CTags and
free-busy all build their items here, so none of them can show more than
another. Queries are evaluated on what ``present`` returns, so a hidden
property is never matched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from icewarp_share import acl
from icewarp_share.dav.caldav.places import FolderView
from icewarp_share.store.items import ItemState, StoredItem

MASKED_COMPONENTS = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"})
"""Components whose properties a placeholder reduces."""

CARD_KEPT = frozenset({"VERSION", "UID", "REV", "CLASS", "PRODID"})
"""vCard properties a contact placeholder keeps: identity only.

RFC 6350 requires VERSION and FN; FN and N are replaced by the
placeholder text, like SUMMARY in events.
"""


class Purpose(Enum):
    """Why an item is read: to show it, or to compute free-busy time."""

    READ = "read"
    FREEBUSY = "freebusy"


@dataclass(frozen=True)
class Presented:
    """What the viewer gets of one item: its text and matching ETag."""

    text: str
    etag: str
    treatment: acl.Treatment


def etag_of(text: str) -> str:
    """A strong ETag (quoted) for an item's text."""
    return f'"{hashlib.sha256(text.encode("utf-8")).hexdigest()}"'


def unfold(text: str) -> list[str]:
    """Content lines with RFC 5545 3.1 / RFC 6350 3.2 folding undone."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def fold(line: str) -> str:
    """One content line folded at 75 octets, CRLF-terminated."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts) + "\r\n"


def _name(line: str) -> str:
    """The property name of a content line, upper case, without group.

    vCard properties may carry a group (RFC 6350 3.3, ``item1.CLASS``):
    the name is what follows the last dot, so a grouped CLASS counts.
    """
    end = len(line)
    for mark in (";", ":"):
        found = line.find(mark)
        if found != -1:
            end = min(end, found)
    return line[:end].strip().upper().rpartition(".")[2]


def _value(line: str) -> str:
    """The value of a content line (after the first unquoted colon)."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[index + 1:]
    return ""


def _walk(lines: Iterable[str]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Each line with the stack of components it sits in."""
    stack: list[str] = []
    for line in lines:
        name = _name(line)
        if name == "BEGIN":
            stack.append(_value(line).strip().upper())
            yield tuple(stack), line
        elif name == "END":
            yield tuple(stack), line
            if stack:
                stack.pop()
        else:
            yield tuple(stack), line


def class_values(text: str) -> list[str | None]:
    """The CLASS of each event, task, journal entry or card in ``text``.

    A component without CLASS gives None (PUBLIC for the core).
    """
    found: dict[int, str | None] = {}
    index = -1
    for stack, line in _walk(unfold(text)):
        name = _name(line)
        owner = stack[-1] if stack else ""
        if name == "BEGIN" and owner in MASKED_COMPONENTS | {"VCARD"} \
                and len(stack) <= 2:
            index += 1
            found[index] = None
        elif name == "CLASS" and owner in MASKED_COMPONENTS | {"VCARD"} \
                and index in found:
            found[index] = _value(line)
    return list(found.values())


def item_class(text: str) -> acl.ItemClass:
    """The class of a whole resource: the core's most restrictive one."""
    return acl.class_of(class_values(text))


def components(text: str) -> set[str]:
    """The component types inside a VCALENDAR (VTIMEZONE left out)."""
    return {stack[1] for stack, line in _walk(unfold(text))
            if len(stack) == 2 and _name(line) == "BEGIN"
            and stack[1] != "VTIMEZONE"}


def placeholder(text: str) -> str:
    """The time-only form of an item: identity and times, nothing said.

    Events, tasks and journal entries keep the core's placeholder
    properties and get its redacted SUMMARY; their alarms and other
    sub-components go. Time zones stay, so the times keep their meaning.
    A vCard keeps its identity and is named like the placeholder SUMMARY.
    """
    out: list[str] = []
    skip_depth = 0
    for stack, line in _walk(unfold(text)):
        name = _name(line)
        if skip_depth:
            if name == "END" and len(stack) == skip_depth:
                skip_depth = 0
            continue
        inner = stack[-1] if stack else ""
        parent = stack[-2] if len(stack) > 1 else ""
        if name == "BEGIN" and parent in MASKED_COMPONENTS:
            skip_depth = len(stack)
            continue
        out.extend(_kept(name, inner, line))
    return "".join(fold(line) for line in out)


def _kept(name: str, inner: str, line: str) -> list[str]:
    """The placeholder lines one original line turns into."""
    summary = acl.REDACTED_SUMMARY
    if name == "BEGIN" and inner in MASKED_COMPONENTS:
        return [line, f"SUMMARY:{summary}"]
    if name == "BEGIN" and inner == "VCARD":
        return [line, f"FN:{summary}", f"N:{summary};;;;"]
    if name in ("BEGIN", "END"):
        return [line]
    if inner in MASKED_COMPONENTS:
        return [line] if name in acl.PLACEHOLDER_PROPERTIES else []
    if inner == "VCARD":
        return [line] if name in CARD_KEPT else []
    return [line]


def present(stored: StoredItem, folder: FolderView,
            purpose: Purpose = Purpose.READ) -> Presented | None:
    """What ``folder``'s viewer gets of ``stored``: None means nothing.

    For free-busy, an item the viewer may not see still blocks its time,
    as its placeholder.
    """
    facts = stored.facts
    treatment = acl.treatment(acl.ItemClass(facts.item_class),
                              folder.is_owner, folder.rights)
    if treatment is acl.Treatment.SHOW:
        return Presented(stored.body, facts.etag, treatment)
    busy = purpose is Purpose.FREEBUSY and acl.counts_as_busy(treatment)
    if treatment is acl.Treatment.HIDE and not busy:
        return None
    text = placeholder(stored.body)
    return Presented(text, etag_of(text), treatment)


def hidden(item_class_value: str, folder: FolderView) -> bool:
    """Whether an item of this class is hidden from the folder's viewer."""
    treatment = acl.treatment(acl.ItemClass(item_class_value),
                              folder.is_owner, folder.rights)
    return treatment is acl.Treatment.HIDE


def view_mark(folder: FolderView) -> str:
    """What the viewer gets of each class, as letters ("sss", "srh"...).

    Sync tokens carry it: a token handed out under another view (rights
    changed since) cannot be trusted to describe what the client holds.
    """
    return "".join(
        acl.treatment(klass, folder.is_owner, folder.rights).value[0]
        for klass in acl.ItemClass)


def shown_etag(state: ItemState | None, folder: FolderView) -> str | None:
    """The ETag the viewer got of a logged item state (None: nothing).

    Sync compares it before and after a run of changes: a change the
    viewer could not see (a hidden item, or a placeholder that stayed
    the same) is never reported and never moves the viewer's token.
    """
    if state is None:
        return None
    treatment = acl.treatment(acl.ItemClass(state.item_class),
                              folder.is_owner, folder.rights)
    if treatment is acl.Treatment.SHOW:
        return state.etag
    if treatment is acl.Treatment.HIDE:
        return None
    # Items stored without a placeholder ETag count every change.
    return state.masked_etag or state.etag
