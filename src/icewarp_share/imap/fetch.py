# Twisted's IMAP4Server and LineReceiver are untyped, and their command
# tables are tuples of functions: mypy cannot check the calls into them.
# mypy: disable-error-code="no-untyped-call, assignment, override"
"""FETCH responses (RFC 3501 7.4.2) built from stored messages.

Sections are slices of the stored bytes, so BODY[...] is byte-exact;
ENVELOPE, BODY and BODYSTRUCTURE come from the store's cache. The
attribute list is read with Twisted's FETCH parser.
"""

from __future__ import annotations

from typing import Any

from twisted.mail.imap4 import _FetchParser

from icewarp_share.store import mime
from icewarp_share.store.mail import StoredMessage

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class FetchError(ValueError):
    """FETCH attributes that cannot be read or served."""


def parse_attributes(line: bytes) -> list[Any]:
    """The FETCH attributes of a command line, or FetchError."""
    parser = _FetchParser()
    try:
        parser.parseString(line)
    except Exception:  # noqa: BLE001 - Twisted's parser raises bare ones
        raise FetchError("bad fetch attributes") from None
    if parser.state or not parser.result:
        raise FetchError("bad fetch attributes")
    return list(parser.result)


def needs_data(attributes: list[Any]) -> bool:
    """Whether serving the attributes reads the message body."""
    return any(a.type in ("rfc822", "rfc822header", "rfc822text")
               or (a.type == "body" and _is_section(a)) for a in attributes)


def sets_seen(attributes: list[Any]) -> bool:
    """RFC 3501 6.4.5: BODY[...] without PEEK, RFC822, RFC822.TEXT."""
    return any(a.type in ("rfc822", "rfc822text")
               or (a.type == "body" and _is_section(a) and not a.peek)
               for a in attributes)


def _is_section(attribute: Any) -> bool:
    return bool(attribute.header or attribute.text or attribute.mime
                or attribute.empty)


def internal_date(message: StoredMessage) -> bytes:
    """INTERNALDATE as ``"17-Jul-1996 02:44:25 +0000"``."""
    d = message.internal_date
    text = (f"{d.day:02d}-{_MONTHS[d.month - 1]}-{d.year:04d} "
            f"{d:%H:%M:%S} +0000")
    return b'"' + text.encode() + b'"'


def flag_list(flags: list[str]) -> bytes:
    """``(\\Seen $Label1)``."""
    return b"(" + " ".join(flags).encode() + b")"


def response(seq: int, message: StoredMessage, attributes: list[Any],
             uid: bool) -> bytes:
    """One ``* n FETCH (...)`` line, literals included."""
    items: list[bytes] = []
    if uid and not any(a.type == "uid" for a in attributes):
        items.append(b"UID %d" % message.uid)
    for attribute in attributes:
        items.append(_item(attribute, message))
    return b"* %d FETCH (" % seq + b" ".join(items) + b")"


def _literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def _item(attribute: Any, message: StoredMessage) -> bytes:
    kind = attribute.type
    data = message.data or b""
    if kind == "uid":
        return b"UID %d" % message.uid
    if kind == "flags":
        return b"FLAGS " + flag_list(message.flags)
    if kind == "internaldate":
        return b"INTERNALDATE " + internal_date(message)
    if kind == "rfc822size":
        return b"RFC822.SIZE %d" % message.size
    if kind == "envelope":
        return b"ENVELOPE " + message.envelope
    if kind == "bodystructure":
        return b"BODYSTRUCTURE " + message.body_structure
    if kind == "rfc822":
        return b"RFC822 " + _literal(data)
    if kind == "rfc822header":
        return b"RFC822.HEADER " + _literal(data[:message.body_offset])
    if kind == "rfc822text":
        return b"RFC822.TEXT " + _literal(data[message.body_offset:])
    if kind == "body" and not _is_section(attribute):
        return b"BODY " + message.body
    return _section(attribute, data)


def _section_name(attribute: Any) -> bytes:
    numbers = b".".join(b"%d" % (n + 1) for n in attribute.part)
    header = attribute.header
    if header is not None:
        if header.fields:
            name = b"HEADER.FIELDS" + (b".NOT" if header.negate else b"")
            name += b" (" + b" ".join(header.fields) + b")"
        else:
            name = b"HEADER"
    elif attribute.text is not None:
        name = b"TEXT"
    elif attribute.mime is not None:
        name = b"MIME"
    else:
        name = b""
    if numbers and name:
        return numbers + b"." + name
    return numbers or name


def _section(attribute: Any, data: bytes) -> bytes:
    content = section_bytes(attribute, data)
    label = b"BODY[" + _section_name(attribute) + b"]"
    if attribute.partialBegin is not None:
        start = attribute.partialBegin
        content = content[start:start + attribute.partialLength]
        label += b"<%d>" % start
    return label + b" " + _literal(content)


def section_bytes(attribute: Any, data: bytes) -> bytes:
    """The bytes a BODY[section] names; empty when the part is missing."""
    root = mime.parse(data)
    numbers = tuple(n + 1 for n in attribute.part)
    part = mime.find(root, numbers) if numbers else root
    if part is None:
        return b""
    header = attribute.header
    if numbers and (header is not None or attribute.text is not None):
        # HEADER and TEXT of a part only exist for message/rfc822 parts.
        if part.embedded is None:
            return b""
        part = part.embedded
    if header is not None:
        if header.fields:
            names = [f.decode("ascii", "replace") for f in header.fields]
            return mime.header_fields(data, part, names, header.negate)
        return data[part.start:part.body_start]
    if attribute.text is not None:
        return data[part.body_start:part.end]
    if attribute.mime is not None:
        return data[part.start:part.body_start]
    if numbers:
        return data[part.body_start:part.end]
    return data
