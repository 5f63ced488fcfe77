"""The structure of a stored message: MIME parts by byte offsets.

IMAP serves header and body sections byte for byte as they were received,
so a message is never re-serialised: ``parse`` finds where each part's
header and body start and end, and the sections are slices of the
original bytes. ``envelope`` and ``body_structure`` compute the RFC 3501
ENVELOPE and BODYSTRUCTURE once, when the message is stored; the store
keeps them so a FETCH of them reads no file.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MAX_DEPTH = 20


@dataclass
class Part:
    """One MIME entity: where its header and body lie in the message."""

    start: int
    body_start: int
    end: int
    headers: Message
    children: list[Part] = field(default_factory=list)
    embedded: Part | None = None

    @property
    def content_type(self) -> tuple[str, str]:
        """Main type and subtype, lower case."""
        main, _, sub = self.headers.get_content_type().partition("/")
        return main, sub

    @property
    def is_multipart(self) -> bool:
        """True for multipart/* with at least one part found."""
        return self.content_type[0] == "multipart"


def parse(data: bytes, start: int = 0, end: int | None = None,
          depth: int = 0) -> Part:
    """The part tree of ``data[start:end]``."""
    stop = len(data) if end is None else end
    body_start = _body_start(data, start, stop)
    headers = BytesHeaderParser(policy=compat32).parsebytes(
        data[start:body_start])
    part = Part(start, body_start, stop, headers)
    if depth >= _MAX_DEPTH:
        return part
    main, sub = part.content_type
    if main == "multipart":
        boundary = headers.get_param("boundary")
        if isinstance(boundary, str) and boundary:
            part.children = [
                parse(data, a, b, depth + 1)
                for a, b in _split(data, body_start, stop, boundary)]
    elif (main, sub) == ("message", "rfc822") and body_start < stop:
        part.embedded = parse(data, body_start, stop, depth + 1)
    return part


def _body_start(data: bytes, start: int, stop: int) -> int:
    """Offset of the first byte after the blank line ending the header."""
    if data.startswith(b"\r\n", start):
        return start + 2
    if data.startswith(b"\n", start):
        return start + 1
    found = _HEADER_END.search(data, start, stop)
    return stop if found is None else found.end()


def _split(data: bytes, start: int, stop: int,
           boundary: str) -> list[tuple[int, int]]:
    """Offsets of each body part between the boundary lines."""
    marker = re.compile(
        rb"(?:^|\r?\n)--" + re.escape(boundary.encode("latin-1", "replace"))
        + rb"(--)?[ \t]*(?:\r?\n|$)", re.MULTILINE)
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    pos = start
    while True:
        found = marker.search(data, pos, stop)
        if found is None:
            break
        if opened is not None:
            spans.append((opened, found.start()))
        if found.group(1):
            return spans
        opened = found.end()
        pos = max(found.end(), found.start() + 1)
    if opened is not None and opened <= stop:
        spans.append((opened, stop))
    return spans


def find(root: Part, numbers: tuple[int, ...]) -> Part | None:
    """The part a section number names (RFC 3501 6.4.5), or None.

    ``numbers`` are one-based. A non-multipart message has one part, 1;
    the parts of an embedded message/rfc822 are numbered inside it.
    """
    part = root
    for number in numbers:
        if part.embedded is not None:
            part = part.embedded
        if part.is_multipart and part.children:
            if not 1 <= number <= len(part.children):
                return None
            part = part.children[number - 1]
        elif number != 1:
            return None
    return part


def header_fields(data: bytes, part: Part, names: list[str],
                  negate: bool) -> bytes:
    """The header lines named (or all but those), with the blank line."""
    wanted = {n.lower() for n in names}
    block = data[part.start:part.body_start]
    kept: list[bytes] = []
    keep = False
    for line in block.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().decode("latin-1").lower()
        keep = (name in wanted) != negate
        if keep:
            kept.append(line)
    return b"".join(kept) + b"\r\n"


# region RFC 3501 strings


def imap_string(value: str | bytes | None) -> bytes:
    """NIL, a quoted string, or a literal when quoting cannot carry it."""
    if value is None:
        return b"NIL"
    raw = value if isinstance(value, bytes) else \
        value.encode("utf-8", "surrogateescape")
    plain = all(32 <= b < 127 for b in raw) and len(raw) < 1024
    if plain:
        return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') \
            + b'"'
    return b"{%d}\r\n" % len(raw) + raw


def _listed(items: list[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


def _header(headers: Message, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    return _FOLD.sub("", str(value)).strip()


# region ENVELOPE


def _addresses(headers: Message, name: str) -> bytes:
    raw = headers.get_all(name)
    if not raw:
        return b"NIL"
    pairs = email.utils.getaddresses(
        [_FOLD.sub("", str(value)) for value in raw])
    items = []
    for display, address in pairs:
        if not address and not display:
            continue
        mailbox, _, host = address.rpartition("@")
        if not mailbox:
            mailbox, host = address, ""
        items.append(_listed([
            imap_string(display or None), b"NIL",
            imap_string(mailbox or None), imap_string(host or None)]))
    return b"(" + b"".join(items) + b")" if items else b"NIL"


def envelope(part: Part) -> bytes:
    """The ENVELOPE of a message (RFC 3501 7.4.2)."""
    h = part.headers
    sender = "sender" if h.get("sender") else "from"
    reply = "reply-to" if h.get("reply-to") else "from"
    return _listed([
        imap_string(_header(h, "date")),
        imap_string(_header(h, "subject")),
        _addresses(h, "from"),
        _addresses(h, sender),
        _addresses(h, reply),
        _addresses(h, "to"),
        _addresses(h, "cc"),
        _addresses(h, "bcc"),
        imap_string(_header(h, "in-reply-to")),
        imap_string(_header(h, "message-id")),
    ])


# region BODYSTRUCTURE


def _params(headers: Message, name: str = "content-type") -> bytes:
    params = headers.get_params(header=name)
    if not params or len(params) < 2:
        return b"NIL"
    items: list[bytes] = []
    for key, value in params[1:]:
        text = email.utils.collapse_rfc2231_value(value)
        items += [imap_string(key.upper()), imap_string(text)]
    return _listed(items)


def _disposition(headers: Message) -> bytes:
    value = headers.get("content-disposition")
    if value is None:
        return b"NIL"
    kind = str(value).split(";", 1)[0].strip() or "attachment"
    return _listed([imap_string(kind.upper()),
                    _params(headers, "content-disposition")])


def _single(data: bytes, part: Part, extended: bool) -> bytes:
    h = part.headers
    main, sub = part.content_type
    body = data[part.body_start:part.end]
    encoding = (_header(h, "content-transfer-encoding") or "7BIT").upper()
    fields = [imap_string(main.upper()), imap_string(sub.upper()),
              _params(h), imap_string(_header(h, "content-id")),
              imap_string(_header(h, "content-description")),
              imap_string(encoding), b"%d" % len(body)]
    if (main, sub) == ("message", "rfc822") and part.embedded is not None:
        fields += [envelope(part.embedded),
                   body_structure(data, part.embedded, extended),
                   b"%d" % body.count(b"\n")]
    elif main == "text":
        fields.append(b"%d" % body.count(b"\n"))
    if extended:
        fields += [imap_string(_header(h, "content-md5")), _disposition(h),
                   imap_string(_header(h, "content-language")),
                   imap_string(_header(h, "content-location"))]
    return _listed(fields)


def body_structure(data: bytes, part: Part, extended: bool = True) -> bytes:
    """BODYSTRUCTURE (``extended``) or BODY of a part (RFC 3501 7.4.2)."""
    if not (part.is_multipart and part.children):
        return _single(data, part, extended)
    inner = b"".join(body_structure(data, child, extended)
                     for child in part.children)
    fields = [inner, imap_string(part.content_type[1].upper())]
    if extended:
        h = part.headers
        fields += [_params(h), _disposition(h),
                   imap_string(_header(h, "content-language")),
                   imap_string(_header(h, "content-location"))]
    return b"(" + b" ".join(fields) + b")"
