"""Message fixtures of the IMAP tests, read as they travel on the wire."""

from __future__ import annotations

import imaplib
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def message(name: str) -> bytes:
    """A message fixture with CRLF line ends."""
    text = (FIXTURES / name).read_bytes().replace(b"\r\n", b"\n")
    return text.replace(b"\n", b"\r\n")


# Commands imaplib does not know, in the states where RFC 4314, 6851,
# 2971 and 5161 allow them.
for _name in ("LISTRIGHTS", "MOVE", "ID", "ENABLE", "UNSELECT"):
    imaplib.Commands.setdefault(_name, ("NONAUTH", "AUTH", "SELECTED"))
