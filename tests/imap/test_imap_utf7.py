"""Modified UTF-7 mailbox names (RFC 3501 5.1.3), without a server."""

from __future__ import annotations

import pytest

from icewarp_share.imap import utf7


@pytest.mark.parametrize("text,wire", [
    ("INBOX", "INBOX"),
    ("Tom & Jerry", "Tom &- Jerry"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("日本語", "&ZeVnLIqe-"),
    ("~jean@example.com/Reçus", "~jean@example.com/Re&AOc-us"),
])
def test_names_round_trip_as_rfc_3501_writes_them(text, wire):
    """Known encodings from RFC 3501 5.1.3 and common folder names."""
    assert utf7.encode(text) == wire
    assert utf7.decode(wire) == text


@pytest.mark.parametrize("bad", ["&Jjo", "&!!-", "caf\u00e9"])
def test_malformed_names_are_refused(bad):
    """Unterminated or invalid base64, and raw 8-bit, raise an error."""
    with pytest.raises(utf7.NameEncodingError):
        utf7.decode(bad)
