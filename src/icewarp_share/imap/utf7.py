"""Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3).

IMAP4rev1 clients send and expect mailbox names in this encoding; the
store and the ACL core keep names as Unicode text. Printable ASCII stands
for itself ("&" is written "&-"); any other run of characters is written
"&" + base64 of its UTF-16BE form, with "," for "/" and no padding, + "-".
"""

from __future__ import annotations

import base64
import binascii


class NameEncodingError(ValueError):
    """A name that is not valid modified UTF-7."""


def _b64(text: str) -> str:
    raw = base64.b64encode(text.encode("utf-16-be")).decode("ascii")
    return raw.rstrip("=").replace("/", ",")


def encode(name: str) -> str:
    """The modified UTF-7 form of a Unicode mailbox name."""
    out: list[str] = []
    run: list[str] = []
    for char in name + "\0end":
        if 0x20 <= ord(char) <= 0x7E or char == "\0":
            if run:
                out.append("&" + _b64("".join(run)) + "-")
                run = []
            if char == "\0":
                break
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    return "".join(out)


def decode(name: str) -> str:
    """The Unicode name a modified UTF-7 name stands for."""
    out: list[str] = []
    pos = 0
    while pos < len(name):
        char = name[pos]
        if char != "&":
            if not 0x20 <= ord(char) <= 0x7E:
                raise NameEncodingError(f"8-bit character in {name!r}")
            out.append(char)
            pos += 1
            continue
        end = name.find("-", pos)
        if end == -1:
            raise NameEncodingError(f"unterminated '&' in {name!r}")
        chunk = name[pos + 1:end]
        out.append("&" if not chunk else _unb64(chunk, name))
        pos = end + 1
    return "".join(out)


def _unb64(chunk: str, name: str) -> str:
    padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
    try:
        return base64.b64decode(padded, validate=True).decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError):
        raise NameEncodingError(f"bad '&' sequence in {name!r}") from None
