# Twisted's IMAP4Server and LineReceiver are untyped, and their command
# tables are tuples of functions: mypy cannot check the calls into them.
# mypy: disable-error-code="no-untyped-call, assignment, override"
"""LMTP (RFC 2033): delivery from an MTA, one reply per recipient.

Each accepted recipient gets its own answer after DATA: 250 once the
message is durable in every place it goes (an account's INBOX, a group's
public INBOX, or each member's INBOX), or a 4xx/5xx for that recipient
alone. Unknown recipients are refused at RCPT with 550.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

from twisted.internet.threads import deferToThreadPool
from twisted.protocols.basic import LineReceiver

from icewarp_share.store.errors import NotFound

if TYPE_CHECKING:
    from .listeners import Service

log = logging.getLogger(__name__)

_PATH = re.compile(rb"^(?:FROM|TO):\s*<([^<>]*)>(.*)$", re.IGNORECASE)
_SIZE = re.compile(rb"\bSIZE=(\d+)", re.IGNORECASE)

REPLIES = {
    "greeting": b"220 icewarp-share LMTP ready",
    "ok": b"250 2.0.0 OK",
    "sender": b"250 2.1.0 Sender OK",
    "recipient": b"250 2.1.5 Recipient OK",
    "data": b"354 Send the message; end with <CRLF>.<CRLF>",
    "bye": b"221 2.0.0 Bye",
    "unknown": b"550 5.1.1 No such recipient",
    "badseq": b"503 5.5.1 Bad sequence of commands",
    "syntax": b"501 5.5.4 Syntax error in parameters",
    "command": b"500 5.5.2 Unknown command",
    "toolarge": b"552 5.3.4 Message exceeds the size limit",
    "failed": b"451 4.3.0 Delivery failed; try again later",
    "linelong": b"500 5.5.2 Line too long",
}


class Delivery(LineReceiver):
    """One LMTP connection."""

    MAX_LENGTH = 8192

    def __init__(self, service: Service) -> None:
        self.service = service
        self.limit: int = service.config.lmtp.max_message_size
        self._reset()

    def _reset(self) -> None:
        self.sender: str | None = None
        self.recipients: list[str] = []
        self.lines: list[bytes] | None = None
        self.size = 0

    def _send(self, name: str) -> None:
        self.sendLine(REPLIES[name])

    def connectionMade(self) -> None:
        """Greet the MTA."""
        self._send("greeting")

    def lineLengthExceeded(self, line: bytes) -> None:
        """Refuse over-long lines; the MTA may retry."""
        self._send("linelong")
        cast(Any, self.transport).loseConnection()

    def lineReceived(self, line: bytes) -> None:
        """A command, or a line of the message after DATA."""
        if self.lines is not None:
            self._data_line(line)
            return
        verb, _, rest = line.partition(b" ")
        handler = getattr(self, "lmtp_" + verb.decode("ascii",
                                                      "replace").upper(),
                          None)
        if handler is None:
            self._send("command")
            return
        handler(rest.strip())

    def lmtp_LHLO(self, rest: bytes) -> None:
        """LHLO: our extensions."""
        self._reset()
        self.sendLine(b"250-icewarp-share")
        self.sendLine(b"250-PIPELINING")
        self.sendLine(b"250-ENHANCEDSTATUSCODES")
        self.sendLine(b"250-8BITMIME")
        self.sendLine(b"250 SIZE %d" % self.limit)

    def lmtp_MAIL(self, rest: bytes) -> None:
        """MAIL FROM, with the SIZE parameter checked up front."""
        found = _PATH.match(rest)
        if found is None:
            self._send("syntax")
            return
        size = _SIZE.search(found.group(2))
        if size is not None and int(size.group(1)) > self.limit:
            self._send("toolarge")
            return
        self._reset()
        self.sender = found.group(1).decode("utf-8", "replace")
        self._send("sender")

    def lmtp_RCPT(self, rest: bytes) -> None:
        """RCPT TO: known accounts and groups only."""
        found = _PATH.match(rest)
        if self.sender is None:
            self._send("badseq")
            return
        if found is None:
            self._send("syntax")
            return
        address = found.group(1).decode("utf-8", "replace").lower()

        def known() -> bool:
            return self.service.store.directory.find_account(address) \
                is not None or _is_group(self.service.store, address)

        def answer(exists: bool) -> None:
            if exists:
                self.recipients.append(address)
                self._send("recipient")
            else:
                log.warning("LMTP unknown recipient %s", address)
                self._send("unknown")
            self.resumeProducing()

        self.pauseProducing()
        self._thread(known).addCallbacks(answer, self._failed_rcpt)

    def _failed_rcpt(self, failure: Any) -> None:
        log.error("LMTP recipient check failed", exc_info=failure.value)
        self.sendLine(REPLIES["failed"])
        self.resumeProducing()

    def lmtp_DATA(self, rest: bytes) -> None:
        """DATA: collect the message up to the lone dot."""
        if self.sender is None or not self.recipients:
            self._send("badseq")
            return
        self.lines = []
        self._send("data")

    def _data_line(self, line: bytes) -> None:
        assert self.lines is not None
        if line == b".":
            self._deliver()
            return
        if line.startswith(b"."):
            line = line[1:]
        self.size += len(line) + 2
        if self.size <= self.limit:
            self.lines.append(line)

    def _deliver(self) -> None:
        recipients, size = list(self.recipients), self.size
        message = b"\r\n".join(self.lines or []) + b"\r\n"
        self._reset()
        if size > self.limit:
            for _ in recipients:
                self._send("toolarge")
            return
        self.pauseProducing()
        self._answer_each(recipients, message)

    def _answer_each(self, recipients: list[str], message: bytes) -> None:
        """Deliver to each recipient in turn, answering each in order."""
        if not recipients:
            self.resumeProducing()
            return
        first, rest = recipients[0], recipients[1:]
        mail = self.service.mail

        def deliver() -> list[int]:
            places = mail.deliver(first, message)
            found = [mail.mail_folder(owner, path) for owner, path in places]
            return [f.id for f in found if f is not None]

        def delivered(folders: list[int]) -> None:
            log.info("LMTP delivered to %s (%d folders, %d bytes)", first,
                     len(folders), len(message))
            for folder_id in folders:
                self.service.registry.changed(folder_id)
            self._send("ok")
            self._answer_each(rest, message)

        def failed(failure: Any) -> None:
            if failure.check(NotFound):
                self._send("unknown")
            else:
                log.error("LMTP delivery to %s failed", first,
                          exc_info=failure.value)
                self._send("failed")
            self._answer_each(rest, message)

        self._thread(deliver).addCallbacks(
            delivered, failed)

    def lmtp_RSET(self, rest: bytes) -> None:
        """RSET."""
        self._reset()
        self._send("ok")

    def lmtp_NOOP(self, rest: bytes) -> None:
        """NOOP."""
        self._send("ok")

    def lmtp_QUIT(self, rest: bytes) -> None:
        """QUIT."""
        self._send("bye")
        cast(Any, self.transport).loseConnection()

    def _thread(self, func: Any, *args: Any) -> Any:
        from twisted.internet import reactor
        return deferToThreadPool(reactor, self.service.pool, func, *args)


def _is_group(store: Any, address: str) -> bool:
    try:
        store.directory.group(address)
    except NotFound:
        return False
    return True
