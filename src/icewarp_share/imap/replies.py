"""The one table of canned IMAP replies, named by meaning.

Clients never see exception text: every refusal and fault maps to one of
these lines. Response codes are those of RFC 5530 and RFC 4314.
"""

from __future__ import annotations

REPLIES: dict[str, tuple[bytes, bytes]] = {
    "nonexistent": (b"NO", b"[NONEXISTENT] No such mailbox"),
    "noperm": (b"NO", b"[NOPERM] Permission denied"),
    "noselect": (b"NO", b"Not a selectable mailbox"),
    "exists": (b"NO", b"[ALREADYEXISTS] Mailbox exists already"),
    "haschildren": (b"NO", b"[INUSE] Mailbox has children; delete them first"),
    "cannot": (b"NO", b"[CANNOT] Operation not possible on this mailbox"),
    "readonly": (b"NO", b"[READ-ONLY] Mailbox was opened read-only"),
    "badrights": (b"BAD", b"Rights must be RFC 4314 letters"),
    "badidentifier": (b"NO", b"[NONEXISTENT] No such identifier or grant"),
    "badset": (b"BAD", b"Invalid message set"),
    "badsearch": (b"BAD", b"Invalid search program"),
    "badfetch": (b"BAD", b"Invalid FETCH attributes"),
    "badflag": (b"BAD", b"Invalid flag or keyword"),
    "badsyntax": (b"BAD", b"Invalid command arguments"),
    "badcharset": (b"NO", b"[BADCHARSET (US-ASCII UTF-8)] Unsupported"),
    "unknown": (b"BAD", b"Unknown command or not valid in this state"),
    "privacy": (b"NO", b"[PRIVACYREQUIRED] Use TLS (STARTTLS) to log in"),
    "authfailed": (b"NO", b"[AUTHENTICATIONFAILED] Invalid credentials"),
    "authmech": (b"NO", b"Unsupported authentication mechanism"),
    "authcancel": (b"BAD", b"Authentication cancelled"),
    "toolarge": (b"NO", b"[TOOBIG] Message exceeds the size limit"),
    "notselected": (b"BAD", b"No mailbox selected"),
    "trycreate": (b"NO", b"[TRYCREATE] No such mailbox"),
    "servererror": (b"NO", b"[SERVERBUG] Internal error; try again later"),
    "parseerror": (b"BAD", b"Internal error while reading the command"),
}


def reply(name: str) -> tuple[bytes, bytes]:
    """Status word and text for a reply name."""
    return REPLIES[name]
