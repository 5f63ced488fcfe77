# Twisted's IMAP4Server and LineReceiver are untyped, and their command
# tables are tuples of functions: mypy cannot check the calls into them.
# mypy: disable-error-code="no-untyped-call, assignment, override"
"""The IMAP4rev1 server: Twisted's parser, our commands over the store.

``Session`` subclasses Twisted's ``IMAP4Server`` for its line and literal
parsing and replaces the commands: each one resolves the mailbox through
``access.Mailboxes`` (the ACL core decides), runs store work in the
store's thread pool, and answers in order. While a command runs the
session stops reading, so pipelined commands are answered one after the
other. After each command in the selected state the session catches up
with changes made by other sessions (EXPUNGE, EXISTS, FETCH FLAGS).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, cast

from twisted.internet import defer, interfaces
from twisted.internet.threads import deferToThreadPool
from twisted.mail import imap4
from twisted.python.failure import Failure

from icewarp_share import acl
from icewarp_share.auth import plaintext_allowed
from icewarp_share.store.errors import Invalid, NotFound, StoreError
from icewarp_share.store.mail import (
    SEEN,
    SYSTEM_FLAGS,
    Snapshot,
    flag_category,
    normalize_flag,
)
from icewarp_share.store.mime import imap_string

from . import fetch as fetching
from . import utf7
from .access import Entry, Mailboxes, Refused, Target, pattern_matcher
from .replies import reply
from .search import Context, SearchError, compile_search
from .sequence import SetError, compress, resolve

if TYPE_CHECKING:
    from .listeners import Service

log = logging.getLogger(__name__)

_LITERAL_PLUS = re.compile(rb"\{\d+\+\}\Z")

_SCOPE_RIGHT = {"seen": acl.Operation.SET_SEEN,
                "deleted": acl.Operation.DELETE_ITEM,
                "other": acl.Operation.WRITE_FLAGS}


class Selected:
    """The selected mailbox of a session, with its UIDs in order."""

    def __init__(self, target: Target, readonly: bool,
                 snapshot: Snapshot) -> None:
        self.target = target
        self.readonly = readonly
        self.uids = list(snapshot.uids)
        self.modseq = snapshot.modseq
        self.uidnext = snapshot.uidnext

    @property
    def folder_id(self) -> int:
        """The folder's id in the store."""
        return self.target.folder.id


class Session(imap4.IMAP4Server):
    """One IMAP connection."""

    IDENT = b"icewarp-share IMAP4rev1 ready"

    def __init__(self, service: Service, secure: bool) -> None:
        super().__init__(contextFactory=service.tls_options)
        self.service = service
        self.secure = secure
        self.user: str | None = None
        self.account_id = 0
        self.boxes: Mailboxes | None = None
        self.selected: Selected | None = None
        self.MAX_LENGTH = service.config.imap.max_line_length
        self._running: bytes | None = None
        self._idle_tag: bytes | None = None
        self._nonsync = False
        self._sasl: Callable[[bytes], None] | None = None
        self._command = ("", 0.0)

    # region connection and command flow

    @property
    def wire(self) -> Any:
        """The connection's transport (Twisted types it loosely)."""
        return self.transport

    @property
    def remote(self) -> str:
        """The client's address, for logs and throttling."""
        return str(getattr(self.wire.getPeer(), "host", "?"))

    def connectionMade(self) -> None:
        """Greet the client and start the idle timer."""
        super().connectionMade()
        if self.secure:
            self.startedTLS = True
        log.info("IMAP connection from %s", self.remote)

    def connectionLost(self, reason: Failure | None = None) -> None:
        """Forget the selected mailbox."""
        self._unselect()
        super().connectionLost(reason)

    def lineLengthExceeded(self, line: bytes) -> None:
        """Refuse an over-long line politely and close."""
        self.sendLine(b"* BYE Line too long")
        self.wire.loseConnection()

    def lineReceived(self, line: bytes) -> None:
        """Parse a line; never show exception text to the client."""
        if self._sasl is not None:
            handler, self._sasl = self._sasl, None
            handler(line)
            return
        if self.blocked is not None:
            self.blocked.append(line)
            return
        self.resetTimeout()
        state = self.parseState
        parse = getattr(self, "parse_" + state)
        try:
            parse(line)
            if state == "command":
                self._refuse_unread_literal(line)
        except Refused as refused:
            # Raised while reading arguments, e.g. a literal too large.
            self._reply(line.split(b" ", 1)[0], refused.reply)
        except Exception:
            # Twisted would answer with the exception text; we do not.
            log.exception("IMAP command failed while parsing")
            status, text = reply("parseerror")
            self._respond(status, None, text)

    def _refuse_unread_literal(self, line: bytes) -> None:
        """Close when a refused command leaves a LITERAL+ literal unread.

        With ``{N+}`` (RFC 7888) the client sends the literal without
        waiting; if the command was refused before its arguments reached
        the literal, those bytes would otherwise be read as the next
        command (a tester ran ``DELETE`` and ``LOGIN`` that way).
        """
        if _LITERAL_PLUS.search(line) is None:
            return
        if self._pendingLiteral is not None or not self.line_mode:
            return  # the command is reading its literal
        self.sendLine(b"* BYE The literal of a refused command is not read")
        self.wire.loseConnection()

    def dispatchCommand(self, tag: bytes, cmd: bytes, rest: bytes | None,
                        uid: Any = None) -> None:
        """Run one command, holding further input until it answers."""
        found = self.lookupCommand(cmd)
        if not found:
            self._reply(tag, "unknown")
            return
        handler, parsers = found[0], found[1:]
        self._command = (cmd.decode("ascii", "replace"), time.monotonic())
        log.info("IMAP %s %s from %s", self.user or "-", self._command[0],
                 self.remote)

        def run(server: Session, *args: Any, **kwargs: Any) -> None:
            self._begin(tag)
            try:
                handler(server, *args, **kwargs)
            except Refused as refused:
                self._reply(tag, refused.reply)
            except (imap4.IllegalClientResponse, Invalid):
                # Invalid: the store refused a value the client sent (an
                # unknown system flag...): the client's error, not ours.
                self._reply(tag, "badsyntax")
            except Exception:
                log.exception("IMAP %s failed", cmd.decode("ascii", "replace"))
                self._reply(tag, "servererror")

        self._IMAP4Server__doCommand(  # type: ignore[attr-defined]
            tag, run, [self, tag], parsers, rest, uid)

    def _IMAP4Server__ebDispatch(self, failure: Failure, tag: bytes) -> None:
        if failure.check(imap4.IllegalClientResponse):
            self._reply(tag, "badsyntax")
        elif isinstance(failure.value, Refused):
            self._reply(tag, failure.value.reply)
        else:
            log.error("IMAP argument parsing failed",
                      exc_info=failure.value)
            self._reply(tag, "parseerror")

    def _begin(self, tag: bytes) -> None:
        self._running = tag
        self.pauseProducing()

    def _respond(self, state: bytes, tag: bytes | None,
                 message: bytes | None) -> None:
        super()._respond(state, tag, message)
        if tag and tag == self._running:
            self._running = None
            name, started = self._command
            log.info("IMAP %s %s answered %s in %.1f ms", self.user or "-",
                     name, state.decode("ascii", "replace"),
                     (time.monotonic() - started) * 1000)
            from twisted.internet import reactor
            cast(Any, reactor).callLater(0, self._resume)

    def _resume(self) -> None:
        if self._running is None and self.paused and \
                not self.wire.disconnecting:
            self.resumeProducing()

    def _reply(self, tag: bytes, name: str) -> None:
        if name == "noperm":
            log.warning("IMAP %s from %s refused %s: missing right",
                        self.user or "-", self.remote, self._command[0])
        status, text = reply(name)
        if status == b"OK":
            self.sendPositiveResponse(tag, text)
        elif status == b"NO":
            self.sendNegativeResponse(tag, text)
        else:
            self.sendBadResponse(tag, text)

    def _thread(self, func: Callable[..., Any], *args: Any
                ) -> defer.Deferred[Any]:
        from twisted.internet import reactor
        return deferToThreadPool(reactor, self.service.pool, func, *args)

    def _work(self, tag: bytes, done: Callable[[Any], None],
              func: Callable[..., Any], *args: Any) -> None:
        """Run ``func`` in the pool, then ``done`` with its result.

        Refusals and faults become canned replies and ``done`` is not
        called; a fault in ``done`` itself is logged and answered too.
        """
        d = self._thread(func, *args)

        def failed(failure: Failure) -> None:
            if isinstance(failure.value, Refused):
                self._reply(tag, failure.value.reply)
            elif failure.check(NotFound):
                self._reply(tag, "nonexistent")
            elif failure.check(Invalid):
                self._reply(tag, "badsyntax")
            elif failure.check(StoreError):
                self._reply(tag, "cannot")
            else:
                log.error("IMAP command %s failed", tag,
                          exc_info=failure.value)
                self._reply(tag, "servererror")

        def answer(result: Any) -> None:
            try:
                done(result)
            except Refused as refused:
                self._reply(tag, refused.reply)
            except Exception:
                log.exception("IMAP answer to %s failed", tag)
                self._reply(tag, "servererror")

        d.addCallbacks(answer, failed)

    def _done(self, tag: bytes, text: bytes) -> Callable[[Any], None]:
        """A ``done`` for ``_work`` that only answers OK."""
        return lambda _result: self._ok(tag, text)

    def _ok(self, tag: bytes, text: bytes, expunges: bool = True) -> None:
        """Catch up with other sessions' changes, then answer OK."""
        if self.selected is None:
            self.sendPositiveResponse(tag, text)
            return
        def answer(_result: object) -> None:
            self.sendPositiveResponse(tag, text)

        self._sync(expunges).addBoth(answer)

    # region literals (LITERAL+, size limit)

    def _plus(self, line: bytes) -> bytes:
        if line.endswith(b"+}"):
            self._nonsync = True
            return line[:-2] + b"}"
        return line

    def arg_astring(self, line: bytes, final: bool = False) -> Any:
        """An astring, accepting RFC 7888 non-synchronising literals."""
        stripped = line.strip()
        if stripped.startswith(b"{"):
            stripped = self._plus(stripped)
        return super().arg_astring(stripped, final)

    def arg_literal(self, line: bytes) -> Any:
        """A message literal within the configured size limit."""
        line = self._plus(line.strip())
        try:
            size = int(line[1:-1])
        except ValueError:
            raise imap4.IllegalClientResponse("bad literal") from None
        if size > self.service.config.imap.max_literal_size:
            if self._nonsync:
                self.sendLine(b"* BYE [TOOBIG] Literal too large")
                self.wire.loseConnection()
            raise Refused("toolarge")
        return super().arg_literal(line)

    def sendContinuationRequest(self, msg: bytes | None = b"Ready") -> None:
        """No continuation for a LITERAL+ literal."""
        if self._nonsync:
            self._nonsync = False
            return
        super().sendContinuationRequest(msg)

    # region capabilities and housekeeping

    def _plaintext_ok(self) -> bool:
        secure = self.startedTLS or interfaces.ISSLTransport(
            self.transport, None) is not None
        return plaintext_allowed(self.service.config.imap.plaintext_login,
                                 self.remote, secure)

    def listCapabilities(self) -> list[bytes]:
        """What works, and only that."""
        caps = [b"IMAP4rev1", b"LITERAL+", b"SASL-IR", b"ID", b"ENABLE",
                b"IDLE", b"NAMESPACE", b"ACL", b"RIGHTS=texk", b"UIDPLUS",
                b"MOVE", b"CHILDREN", b"SPECIAL-USE", b"LIST-EXTENDED",
                b"UNSELECT"]
        if self.user is None:
            if not self.startedTLS and self.canStartTLS and self.ctx:
                caps.append(b"STARTTLS")
            if self._plaintext_ok():
                caps.append(b"AUTH=PLAIN")
            else:
                caps.append(b"LOGINDISABLED")
        return caps

    def do_STARTTLS(self, tag: bytes) -> None:
        """STARTTLS; then the client must ask CAPABILITY again.

        Whatever the client sent after STARTTLS in clear is dropped, so a
        man in the middle cannot slip commands into the TLS session.
        """
        super().do_STARTTLS(tag)
        if self.startedTLS:
            self._buffer = b""

    unauth_STARTTLS = (do_STARTTLS,)

    def do_ID(self, tag: bytes, line: bytes) -> None:
        """RFC 2971: name ourselves; the client's ID is only logged."""
        log.info("IMAP client at %s says ID %s", self.remote,
                 line[:200].decode("ascii", "replace"))
        self.sendUntaggedResponse(b'ID ("name" "icewarp-share")')
        self.sendPositiveResponse(tag, b"ID completed")

    unauth_ID = auth_ID = select_ID = (do_ID, imap4.IMAP4Server.arg_line)

    def do_ENABLE(self, tag: bytes, line: bytes) -> None:
        """RFC 5161: no extension here needs enabling."""
        self.sendUntaggedResponse(b"ENABLED")
        self.sendPositiveResponse(tag, b"ENABLE completed")

    auth_ENABLE = select_ENABLE = (do_ENABLE, imap4.IMAP4Server.arg_line)

    def do_NOOP(self, tag: bytes) -> None:
        """NOOP, which also reports other sessions' changes."""
        self._ok(tag, b"NOOP completed")

    unauth_NOOP = auth_NOOP = select_NOOP = (do_NOOP,)
    select_CHECK = (do_NOOP,)

    def do_NAMESPACE(self, tag: bytes) -> None:
        """RFC 2342: personal, other users, shared (public)."""
        other, shared = acl.namespace_roots(self.service.store.prefixes)

        def ns(prefix: str) -> bytes:
            return b'(("' + prefix.encode() + b'" "/"))'

        self.sendUntaggedResponse(b'NAMESPACE (("" "/")) ' + ns(other)
                                  + b" " + ns(shared))
        self.sendPositiveResponse(tag, b"NAMESPACE completed")

    auth_NAMESPACE = select_NAMESPACE = (do_NAMESPACE,)

    # region login

    def do_LOGIN(self, tag: bytes, user: bytes, password: bytes) -> None:
        """LOGIN, refused before TLS unless the policy allows it."""
        if not self._plaintext_ok():
            self._reply(tag, "privacy")
            return
        self._login(tag, user.decode("utf-8", "replace"),
                    password.decode("utf-8", "replace"))

    unauth_LOGIN = (do_LOGIN, arg_astring,
                    imap4.IMAP4Server.arg_finalastring)

    def do_AUTHENTICATE(self, tag: bytes, line: bytes) -> None:
        """AUTHENTICATE PLAIN (RFC 4616), with SASL-IR."""
        mechanism, _, initial = line.strip().partition(b" ")
        if mechanism.upper() != b"PLAIN":
            self._reply(tag, "authmech")
            return
        if not self._plaintext_ok():
            self._reply(tag, "privacy")
            return
        if initial:
            self._plain(tag, initial)
            return
        self._sasl = lambda answer: self._plain(tag, answer)
        self.sendContinuationRequest(None)
        self.resumeProducing()

    unauth_AUTHENTICATE = (do_AUTHENTICATE, imap4.IMAP4Server.arg_line)

    def _plain(self, tag: bytes, answer: bytes) -> None:
        if answer.strip() == b"*":
            self._reply(tag, "authcancel")
            return
        try:
            decoded = base64.b64decode(answer.strip(), validate=True)
            authz, user, password = decoded.split(b"\0")
        except (binascii.Error, ValueError):
            self._reply(tag, "badsyntax")
            return
        if authz and authz.lower() != user.lower():
            # Acting as another user (RFC 4616 authzid) is not offered.
            self._reply(tag, "authfailed")
            return
        self._login(tag, user.decode("utf-8", "replace"),
                    password.decode("utf-8", "replace"))

    def _login(self, tag: bytes, user: str, password: str) -> None:
        from twisted.internet import reactor

        auth = self.service.authenticator
        wait = auth.throttle.delay(self.remote, user)
        remote = self.remote

        def check() -> tuple[Any]:
            account = auth.verify(user, password)
            auth.record(account, user, remote, "IMAP")
            return (account,)

        def answered(result: tuple[Any]) -> None:
            account = result[0]
            if account is None:
                self._reply(tag, "authfailed")
                return
            self.user = account.address
            self.account_id = account.id
            self.boxes = Mailboxes(self.service.store, self.service.mail,
                                   account.address)
            self.state = "auth"
            self.setTimeout(self.POSTAUTH_TIMEOUT)
            caps = b" ".join(self.listCapabilities())
            self.sendPositiveResponse(tag, b"[CAPABILITY " + caps
                                      + b"] Logged in")

        def later() -> None:
            self._work(tag, answered, check)

        cast(Any, reactor).callLater(wait, later)

    # region mailboxes

    def _name(self, raw: bytes) -> str:
        return _client_name(raw)

    def do_SELECT(self, tag: bytes, name: bytes, readonly: bool = False
                  ) -> None:
        """SELECT/EXAMINE: needs ``r``; read-write needs one of s w t e."""
        self._unselect()
        self.state = "auth"
        boxes, account = self._boxes(), self.account_id
        mail = self.service.mail

        def work() -> tuple[Target, Snapshot, list[str], int | None]:
            target = boxes.resolve(self._name(name), acl.Operation.READ)
            snap = mail.snapshot(target.folder.id, account)
            keywords = mail.keywords(target.folder.id)
            unseen = mail.first_unseen_uid(target.folder.id, account)
            return target, snap, keywords, unseen

        def done(result: Any) -> None:
            if result is None:
                return
            target, snap, keywords, unseen = result
            writable = not readonly and any(
                c in target.rights for c in "stwe")
            self.selected = Selected(target, not writable, snap)
            self.service.registry.add(target.folder.id, self)
            self.state = "select"
            self._select_responses(target, snap, keywords, unseen,
                                   writable)
            code = b"[READ-ONLY]" if not writable else b"[READ-WRITE]"
            verb = b"EXAMINE" if readonly else b"SELECT"
            self.sendPositiveResponse(tag, code + b" " + verb
                                      + b" completed")

        self._work(tag, done, work)

    def do_EXAMINE(self, tag: bytes, name: bytes) -> None:
        """EXAMINE: SELECT read-only."""
        self.do_SELECT(tag, name, readonly=True)

    auth_SELECT = select_SELECT = (do_SELECT,
                                   imap4.IMAP4Server.arg_finalastring)
    auth_EXAMINE = select_EXAMINE = (do_EXAMINE,
                                     imap4.IMAP4Server.arg_finalastring)

    def _select_responses(self, target: Target, snap: Snapshot,
                          keywords: list[str], unseen: int | None,
                          writable: bool) -> None:
        flags = list(SYSTEM_FLAGS) + keywords
        self.sendUntaggedResponse(b"FLAGS " + fetching.flag_list(flags))
        self.sendUntaggedResponse(b"%d EXISTS" % len(snap.uids))
        self.sendUntaggedResponse(b"0 RECENT")
        if unseen is not None and unseen in snap.uids:
            self.sendUntaggedResponse(b"OK [UNSEEN %d] First unseen"
                                      % (snap.uids.index(unseen) + 1))
        self.sendUntaggedResponse(b"OK [UIDVALIDITY %d] UIDs valid"
                                  % snap.uidvalidity)
        self.sendUntaggedResponse(b"OK [UIDNEXT %d] Predicted next UID"
                                  % snap.uidnext)
        permanent = [f for f in SYSTEM_FLAGS if writable and acl.may(
            target.rights, _SCOPE_RIGHT[flag_category(f)])]
        if writable and "w" in target.rights:
            permanent.append("\\*")
        self.sendUntaggedResponse(b"OK [PERMANENTFLAGS "
                                  + fetching.flag_list(permanent)
                                  + b"] Flags that stick")

    def _unselect(self) -> None:
        if self.selected is not None:
            self.service.registry.remove(self.selected.folder_id, self)
            self.selected = None

    def _boxes(self) -> Mailboxes:
        assert self.boxes is not None
        return self.boxes

    def do_CLOSE(self, tag: bytes) -> None:
        """CLOSE: expunge silently when allowed, then unselect."""
        selected = self._current()
        mail = self.service.mail
        self._unselect()
        self.state = "auth"
        if selected.readonly or "e" not in selected.target.rights:
            self.sendPositiveResponse(tag, b"CLOSE completed")
            return

        def done(uids: Any) -> None:
            if uids:
                self.service.registry.changed(selected.folder_id, self)
            self.sendPositiveResponse(tag, b"CLOSE completed")

        self._work(tag, done, mail.expunge, selected.folder_id)

    select_CLOSE = (do_CLOSE,)

    def do_UNSELECT(self, tag: bytes) -> None:
        """RFC 3691: leave the mailbox without expunging."""
        self._unselect()
        self.state = "auth"
        self.sendPositiveResponse(tag, b"UNSELECT completed")

    select_UNSELECT = (do_UNSELECT,)

    def _current(self) -> Selected:
        if self.selected is None:
            raise Refused("notselected")
        return self.selected

    def do_CREATE(self, tag: bytes, name: bytes) -> None:
        """CREATE a mail folder."""
        boxes = self._boxes()
        self._work(tag, self._done(tag, b"CREATE completed"),
                   boxes.create, self._name(name))

    def do_DELETE(self, tag: bytes, name: bytes) -> None:
        """DELETE a mail folder (needs ``x``)."""
        boxes = self._boxes()
        self._work(tag, self._done(tag, b"DELETE completed"),
                   boxes.delete, self._name(name))

    def do_RENAME(self, tag: bytes, old: bytes, new: bytes) -> None:
        """RENAME inside one owner's tree."""
        boxes = self._boxes()
        self._work(tag, self._done(tag, b"RENAME completed"),
                   boxes.rename, self._name(old),
                   self._name(new))

    def do_SUBSCRIBE(self, tag: bytes, name: bytes, on: bool = True) -> None:
        """SUBSCRIBE: recorded for this account only."""
        boxes = self._boxes()
        self._work(tag, self._done(tag, b"SUBSCRIBE completed"),
                   boxes.subscribe, self._name(name), on)

    def do_UNSUBSCRIBE(self, tag: bytes, name: bytes) -> None:
        """UNSUBSCRIBE: drops this account's subscription."""
        self.do_SUBSCRIBE(tag, name, on=False)

    _astr = arg_astring
    _final = imap4.IMAP4Server.arg_finalastring
    auth_CREATE = select_CREATE = (do_CREATE, _final)
    auth_DELETE = select_DELETE = (do_DELETE, _final)
    auth_RENAME = select_RENAME = (do_RENAME, _astr, _final)
    auth_SUBSCRIBE = select_SUBSCRIBE = (do_SUBSCRIBE, _final)
    auth_UNSUBSCRIBE = select_UNSUBSCRIBE = (do_UNSUBSCRIBE, _final)

    # region LIST

    def do_LIST(self, tag: bytes, line: bytes, lsub: bool = False) -> None:
        """LIST with RFC 5258 selection and return options, and LSUB."""
        try:
            request = _ListRequest.read(line, lsub)
        except (ValueError, Refused, imap4.IMAP4Exception):
            self._reply(tag, "badsyntax")
            return
        boxes = self._boxes()

        def done(entries: Any) -> None:
            if entries is None:
                return
            for text in request.lines(entries, boxes):
                self.sendUntaggedResponse(text)
            word = b"LSUB" if lsub else b"LIST"
            self._ok(tag, word + b" completed")

        if request.root_only:
            done([])
            return
        self._work(tag, done, boxes.entries)

    def do_LSUB(self, tag: bytes, line: bytes) -> None:
        """LSUB: the subscribed part of the tree."""
        self.do_LIST(tag, line, lsub=True)

    auth_LIST = select_LIST = (do_LIST, imap4.IMAP4Server.arg_line)
    auth_LSUB = select_LSUB = (do_LSUB, imap4.IMAP4Server.arg_line)

    def do_STATUS(self, tag: bytes, name: bytes, names: Any) -> None:
        """STATUS, counted in SQL; needs ``r``."""
        boxes, mail, account = self._boxes(), self.service.mail, \
            self.account_id
        wanted = [bytes(n).decode("ascii", "replace").upper()
                  for n in names or []]

        def work() -> tuple[Target, dict[str, int]]:
            target = boxes.resolve(self._name(name), acl.Operation.READ)
            return target, mail.status(target.folder.id, account)

        def done(result: Any) -> None:
            if result is None:
                return
            target, counts = result
            items = b" ".join(b"%s %d" % (n.encode(), counts[n])
                              for n in wanted if n in counts)
            self.sendUntaggedResponse(
                b"STATUS " + _mailbox(target.name) + b" (" + items + b")")
            self._ok(tag, b"STATUS completed")

        self._work(tag, done, work)

    auth_STATUS = select_STATUS = (do_STATUS, _astr,
                                   imap4.IMAP4Server.arg_plist)

    # region APPEND

    def do_APPEND(self, tag: bytes, name: bytes, flags: Any, date: Any,
                  message: Any) -> None:
        """APPEND: needs ``i``; flags the account may not set are dropped."""
        boxes, mail, account = self._boxes(), self.service.mail, \
            self.account_id
        body = message.read()
        try:
            wanted = [normalize_flag(bytes(f).decode("ascii"))
                      for f in flags or []]
            when = _parse_date(date)
        except (ValueError, UnicodeDecodeError):
            self._reply(tag, "badsyntax")
            return

        def work() -> tuple[int, tuple[int, int]]:
            try:
                target = boxes.resolve(self._name(name),
                                       acl.Operation.INSERT)
            except Refused as refused:
                if refused.reply == "nonexistent":
                    raise Refused("trycreate") from None
                raise
            kept = [f for f in wanted if acl.may(
                target.rights, _SCOPE_RIGHT[flag_category(f)])]
            return target.folder.id, mail.add(
                target.folder.id, body, kept, when, account)

        def done(result: Any) -> None:
            if result is None:
                return
            folder_id, (validity, uid) = result
            self.service.registry.changed(folder_id, self)
            self._ok(tag, b"[APPENDUID %d %d] APPEND completed"
                     % (validity, uid))

        self._work(tag, done, work)

    auth_APPEND = select_APPEND = (
        do_APPEND, _astr, imap4.IMAP4Server.opt_plist,
        imap4.IMAP4Server.opt_datetime, arg_literal)

    # region selected state: FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE

    def arg_sequence(self, line: bytes) -> tuple[bytes, bytes]:
        """A sequence set: the text up to the next space."""
        text, _, rest = line.partition(b" ")
        if not text:
            raise imap4.IllegalClientResponse("missing message set")
        return text, rest

    def _messages(self, text: bytes, uid: bool) -> list[int]:
        try:
            return resolve(text, self._current().uids, uid=uid)
        except SetError:
            raise Refused("badset") from None

    def do_FETCH(self, tag: bytes, messages: bytes, line: bytes,
                 uid: int = 0) -> None:
        """FETCH; BODY[...] without PEEK sets \\Seen when ``s`` is held."""
        selected = self._current()
        try:
            attributes = fetching.parse_attributes(line)
        except fetching.FetchError:
            self._reply(tag, "badfetch")
            return
        uids = self._messages(messages, bool(uid))
        mark = fetching.sets_seen(attributes) and not selected.readonly \
            and "s" in selected.target.rights
        if mark and not any(a.type == "flags" for a in attributes):
            attributes.append(imap4._FetchParser.Flags())
        data = fetching.needs_data(attributes)
        mail, account = self.service.mail, self.account_id

        boxes = self._boxes()

        def work() -> Any:
            target = boxes.recheck(selected.target, acl.Operation.READ)
            change = None
            if mark and uids and "s" in target.rights:
                change = mail.set_flags(selected.folder_id, uids, account,
                                        "+", [SEEN], ["seen"])
            return change, mail.messages(selected.folder_id, uids, account,
                                         data)

        def done(result: Any) -> None:
            change, found = result
            self._own_change(selected, change)
            positions = {u: i + 1 for i, u in enumerate(selected.uids)}
            for message in found:
                seq = positions.get(message.uid)
                if seq is not None:
                    self.wire.write(fetching.response(
                        seq, message, attributes, bool(uid)) + b"\r\n")
            if change is not None:
                self.service.registry.changed(selected.folder_id, self)
            self._ok(tag, b"FETCH completed", expunges=bool(uid))

        self._work(tag, done, work)

    select_FETCH = (do_FETCH, arg_sequence,
                    imap4.IMAP4Server.arg_line)

    def do_STORE(self, tag: bytes, messages: bytes, item: bytes,
                 flags: Any, uid: int = 0) -> None:
        """STORE; a flag the account has no right for refuses it all."""
        selected = self._current()
        word = item.upper()
        mode = {b"+": "+", b"-": "-"}.get(word[:1], "=")
        base = word.lstrip(b"+-")
        if base not in (b"FLAGS", b"FLAGS.SILENT"):
            self._reply(tag, "badsyntax")
            return
        try:
            wanted = [normalize_flag(bytes(f).decode("ascii"))
                      for f in flags]
        except (ValueError, UnicodeDecodeError):
            self._reply(tag, "badflag")
            return
        if selected.readonly:
            self._reply(tag, "readonly")
            return
        uids = self._messages(messages, bool(uid))
        boxes, mail, account = self._boxes(), self.service.mail, \
            self.account_id

        def work() -> Any:
            target = boxes.recheck(selected.target, acl.Operation.READ)
            scope = [c for c, op in _SCOPE_RIGHT.items()
                     if acl.may(target.rights, op)]
            if any(flag_category(f) not in scope for f in wanted):
                raise Refused("noperm")
            return mail.set_flags(selected.folder_id, uids, account, mode,
                                  wanted, scope)

        def done(change: Any) -> None:
            changed = change.flags
            self._own_change(selected, change)
            if base == b"FLAGS":
                positions = {u: i + 1 for i, u in enumerate(selected.uids)}
                for u, now in sorted(changed.items()):
                    extra = b"UID %d " % u if uid else b""
                    self.sendUntaggedResponse(
                        b"%d FETCH (%sFLAGS %s)" % (
                            positions[u], extra, fetching.flag_list(now)))
            self.service.registry.changed(selected.folder_id, self)
            self._ok(tag, b"STORE completed", expunges=bool(uid))

        self._work(tag, done, work)

    select_STORE = (do_STORE, arg_sequence,
                    imap4.IMAP4Server.arg_atom,
                    imap4.IMAP4Server.arg_flaglist)

    def do_SEARCH(self, tag: bytes, line: bytes, uid: int = 0) -> None:
        """SEARCH, computed in SQL."""
        selected = self._current()
        try:
            tokens = imap4.parseNestedParens(line)
        except Exception:  # noqa: BLE001 - Twisted raises several kinds
            self._reply(tag, "badsearch")
            return
        first = tokens[0] if tokens else b""
        if not isinstance(first, list) and bytes(first).upper() == \
                b"CHARSET":
            charset = bytes(tokens[1]).upper() if len(tokens) > 1 else b""
            if charset not in (b"US-ASCII", b"UTF-8"):
                self._reply(tag, "badcharset")
                return
            tokens = tokens[2:]
        ctx = Context(self.service.mail, selected.folder_id,
                      self.account_id, list(selected.uids))

        boxes = self._boxes()

        def work() -> list[int]:
            boxes.recheck(selected.target, acl.Operation.READ)
            try:
                condition = compile_search(tokens, ctx)
            except SearchError:
                raise Refused("badsearch") from None
            return self.service.mail.search(selected.folder_id, condition)

        def done(found: Any) -> None:
            if found is None:
                return
            if uid:
                numbers = found
            else:
                positions = {u: i + 1 for i, u in enumerate(selected.uids)}
                numbers = [positions[u] for u in found if u in positions]
            text = b" ".join(b"%d" % n for n in numbers)
            self.sendUntaggedResponse(b"SEARCH" + (b" " + text if text
                                                   else b""))
            self._ok(tag, b"SEARCH completed", expunges=bool(uid))

        self._work(tag, done, work)

    select_SEARCH = (do_SEARCH, imap4.IMAP4Server.arg_line)

    def do_COPY(self, tag: bytes, messages: bytes, name: bytes,
                uid: int = 0, move: bool = False) -> None:
        """COPY (``i`` on the target) and MOVE (also ``t e`` here)."""
        selected = self._current()
        if move and selected.readonly:
            self._reply(tag, "readonly")
            return
        uids = self._messages(messages, bool(uid))
        boxes, mail, account = self._boxes(), self.service.mail, \
            self.account_id

        def work() -> Any:
            source = boxes.recheck(selected.target, acl.Operation.READ)
            if move and not all(c in source.rights for c in "te"):
                raise Refused("noperm")
            try:
                target = boxes.resolve(self._name(name),
                                       acl.Operation.INSERT)
            except Refused as refused:
                if refused.reply == "nonexistent":
                    raise Refused("trycreate") from None
                raise
            scope = [c for c, op in _SCOPE_RIGHT.items()
                     if acl.may(target.rights, op)]
            validity, pairs = mail.copy(selected.folder_id, uids,
                                        target.folder.id, account, scope)
            if move and pairs:
                mail.remove(selected.folder_id, [p[0] for p in pairs])
            return target.folder.id, validity, pairs

        def done(result: Any) -> None:
            if result is None:
                return
            folder_id, validity, pairs = result
            self.service.registry.changed(folder_id, self)
            code = b""
            if pairs:
                code = b"[COPYUID %d %s %s] " % (
                    validity, compress([p[0] for p in pairs]).encode(),
                    compress([p[1] for p in pairs]).encode())
            if move:
                if pairs:
                    self.sendUntaggedResponse(b"OK " + code.strip())
                    self.service.registry.changed(selected.folder_id, self)
                self._ok(tag, b"MOVE completed")
                return
            self._ok(tag, code + b"COPY completed", expunges=bool(uid))

        self._work(tag, done, work)

    def do_MOVE(self, tag: bytes, messages: bytes, name: bytes,
                uid: int = 0) -> None:
        """RFC 6851 MOVE."""
        self.do_COPY(tag, messages, name, uid, move=True)

    select_COPY = (do_COPY, arg_sequence, _final)
    select_MOVE = (do_MOVE, arg_sequence, _final)

    def do_EXPUNGE(self, tag: bytes, messages: bytes | None = None,
                   uid: int = 0) -> None:
        """EXPUNGE (needs ``e``), and UID EXPUNGE of RFC 4315."""
        selected = self._current()
        if selected.readonly:
            self._reply(tag, "readonly")
            return
        only = self._messages(messages, True) if messages else None

        def done(removed: Any) -> None:
            if removed is None:
                return
            if removed:
                self.service.registry.changed(selected.folder_id, self)
            self._ok(tag, b"EXPUNGE completed")

        boxes, mail = self._boxes(), self.service.mail

        def work() -> list[int]:
            boxes.recheck(selected.target, acl.Operation.EXPUNGE)
            return mail.expunge(selected.folder_id, only)

        self._work(tag, done, work)

    select_EXPUNGE = (do_EXPUNGE,)

    def do_UID(self, tag: bytes, command: bytes, line: bytes) -> None:
        """UID FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE."""
        word = command.upper()
        if word not in (b"COPY", b"FETCH", b"STORE", b"SEARCH", b"MOVE",
                        b"EXPUNGE"):
            self._reply(tag, "unknown")
            return
        parsers = getattr(self, "select_" + word.decode())[1:]
        handler = getattr(type(self), "do_" + word.decode())
        if word == b"EXPUNGE":
            parsers = (Session.arg_sequence,)
        self._IMAP4Server__doCommand(  # type: ignore[attr-defined]
            tag, lambda s, *a, **k: self._guard(tag, handler, s, *a, **k),
            [self, tag], parsers, line, 1)

    def _guard(self, tag: bytes, handler: Callable[..., None],
               *args: Any, **kwargs: Any) -> None:
        try:
            handler(*args, **kwargs)
        except Refused as refused:
            self._reply(tag, refused.reply)

    select_UID = (do_UID, imap4.IMAP4Server.arg_atom,
                  imap4.IMAP4Server.arg_line)

    # region IDLE and pushed changes

    def do_IDLE(self, tag: bytes) -> None:
        """RFC 2177: report changes until the client sends DONE."""
        self._idle_tag = tag
        self.parseState = "idle"
        self.sendContinuationRequest(b"idling")
        self._running = None
        self.resumeProducing()
        if self.selected is not None:
            self._sync(True)

    auth_IDLE = select_IDLE = (do_IDLE,)

    def parse_idle(self, line: bytes) -> None:
        """Only DONE ends IDLE; anything else is a protocol error."""
        tag, self._idle_tag = self._idle_tag, None
        self.parseState = "command"
        if line.strip().upper() != b"DONE":
            self.sendBadResponse(tag, b"Expected DONE")
            return
        self.sendPositiveResponse(tag, b"IDLE terminated")

    def folder_changed(self) -> None:
        """Another session changed our folder: tell the client if idle."""
        if self._idle_tag is not None and self.selected is not None:
            self._sync(True)

    def _own_change(self, selected: Selected, change: Any) -> None:
        """Skip reporting our own flag change back to ourselves."""
        if change is not None and change.modseq == selected.modseq + 1:
            selected.modseq = change.modseq

    def _sync(self, expunges: bool) -> defer.Deferred[Any]:
        """Send EXPUNGE, EXISTS and FETCH FLAGS for changes since last."""
        selected = self.selected
        if selected is None:
            return defer.succeed(None)
        d = self._thread(self.service.mail.snapshot, selected.folder_id,
                         self.account_id, selected.modseq)

        def apply(snap: Snapshot) -> None:
            if self.selected is not selected or \
                    snap.modseq <= selected.modseq:
                return
            now = set(snap.uids)
            gone = [u for u in selected.uids if u not in now]
            if gone and not expunges:
                return
            for u in reversed(gone):
                seq = selected.uids.index(u) + 1
                selected.uids.pop(seq - 1)
                self.sendUntaggedResponse(b"%d EXPUNGE" % seq)
            known = set(selected.uids)
            new = [u for u in snap.uids if u not in known]
            if new:
                selected.uids.extend(new)
                selected.uids.sort()
                self.sendUntaggedResponse(b"%d EXISTS" % len(selected.uids))
            positions = {u: i + 1 for i, u in enumerate(selected.uids)}
            for u, flags in sorted(snap.changed.items()):
                if u in positions and u not in new:
                    self.sendUntaggedResponse(b"%d FETCH (FLAGS %s)" % (
                        positions[u], fetching.flag_list(flags)))
            selected.modseq = snap.modseq

        def failed(failure: Failure) -> None:
            if failure.check(NotFound) and self.selected is selected:
                # Deleted by someone else: leave it (RFC 7162 CLOSED).
                self._unselect()
                self.state = "auth"
                self.sendUntaggedResponse(b"OK [CLOSED] Mailbox deleted")
                return
            log.error("IMAP synchronisation failed",
                      exc_info=failure.value)

        return d.addCallbacks(apply, failed)

    # region RFC 4314 ACL

    def _acl_work(self, tag: bytes, func: Callable[[], list[bytes]],
                  ok: bytes) -> None:
        def done(lines: list[bytes]) -> None:
            for line in lines:
                self.sendUntaggedResponse(line)
            self._ok(tag, ok)

        self._work(tag, done, func)

    def do_GETACL(self, tag: bytes, name: bytes) -> None:
        """GETACL: needs ``a``."""
        boxes = self._boxes()

        def work() -> list[bytes]:
            target, pairs = boxes.get_acl(self._name(name))
            items = b"".join(b" " + _astring(who) + b" " + rights.encode()
                             for who, rights in pairs)
            return [b"ACL " + _mailbox(target.name) + items]

        self._acl_work(tag, work, b"GETACL completed")

    def do_SETACL(self, tag: bytes, name: bytes, who: bytes,
                  rights: bytes) -> None:
        """SETACL with ``+``/``-``: the same grants as the CLI writes."""
        boxes = self._boxes()

        def work() -> list[bytes]:
            boxes.set_acl(self._name(name), who.decode("utf-8", "replace"),
                          rights.decode("ascii", "replace"))
            return []

        self._acl_work(tag, work, b"SETACL completed")

    def do_DELETEACL(self, tag: bytes, name: bytes, who: bytes) -> None:
        """DELETEACL: remove a grant."""
        boxes = self._boxes()

        def work() -> list[bytes]:
            boxes.delete_acl(self._name(name),
                             who.decode("utf-8", "replace"))
            return []

        self._acl_work(tag, work, b"DELETEACL completed")

    def do_LISTRIGHTS(self, tag: bytes, name: bytes, who: bytes) -> None:
        """LISTRIGHTS: needs ``a``; every letter may be granted alone."""
        boxes = self._boxes()

        def work() -> list[bytes]:
            target = boxes.administered(self._name(name))
            ident = who.decode("utf-8", "replace").strip().lower()
            if ident == target.owner:
                rights = acl.ALL_RIGHTS.letters.encode()
            else:
                rights = b'"" ' + b" ".join(
                    c.encode() for c in acl.LETTERS)
            return [b"LISTRIGHTS " + _mailbox(target.name) + b" "
                    + _astring(ident) + b" " + rights]

        self._acl_work(tag, work, b"LISTRIGHTS completed")

    def do_MYRIGHTS(self, tag: bytes, name: bytes) -> None:
        """MYRIGHTS: the account's own rights."""
        boxes = self._boxes()

        def work() -> list[bytes]:
            rights = boxes.my_rights(self._name(name))
            return [b"MYRIGHTS " + _mailbox(self._name(name)) + b" "
                    + (rights.letters.encode() or b'""')]

        self._acl_work(tag, work, b"MYRIGHTS completed")

    auth_GETACL = select_GETACL = (do_GETACL, _final)
    auth_SETACL = select_SETACL = (do_SETACL, _astr, _astr, _final)
    auth_DELETEACL = select_DELETEACL = (do_DELETEACL, _astr, _final)
    auth_LISTRIGHTS = select_LISTRIGHTS = (do_LISTRIGHTS, _astr, _final)
    auth_MYRIGHTS = select_MYRIGHTS = (do_MYRIGHTS, _final)

    def do_LOGOUT(self, tag: bytes) -> None:
        """LOGOUT."""
        self._unselect()
        self.sendUntaggedResponse(b"BYE Logging out")
        self.sendPositiveResponse(tag, b"LOGOUT completed")
        self.wire.loseConnection()

    unauth_LOGOUT = auth_LOGOUT = select_LOGOUT = (do_LOGOUT,)


def _astring(value: str) -> bytes:
    """An atom when the value allows one, else a quoted string."""
    if value and all(33 <= ord(c) < 127 and c not in '(){%*"\\]'
                     for c in value):
        return value.encode("ascii")
    return imap_string(value)


def _mailbox(name: str) -> bytes:
    """A mailbox name in modified UTF-7, always quoted."""
    return imap_string(utf7.encode(name))


def _client_name(raw: bytes) -> str:
    """A mailbox name as the client sent it, as Unicode text.

    RFC 3501 names are modified UTF-7; a client that sends raw UTF-8
    anyway is taken at its word rather than refused.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("nonexistent") from None
    if not text.isascii():
        return text
    try:
        return utf7.decode(text)
    except utf7.NameEncodingError:
        raise Refused("nonexistent") from None


def _parse_date(raw: Any) -> datetime | None:
    """APPEND's date-time ``"17-Jul-1996 02:44:25 -0700"``."""
    if raw is None:
        return None
    text = bytes(raw).decode("ascii").strip('"')
    day, month, rest = text.strip().split("-", 2)
    return parsedate_to_datetime(f"{day} {month} {rest}")


class _ListRequest:
    """A LIST or LSUB command read (RFC 3501 6.3.8, RFC 5258)."""

    def __init__(self) -> None:
        self.reference = ""
        self.patterns: list[str] = []
        self.subscribed_only = False
        self.return_subscribed = False
        self.return_children = True
        self.special_use_only = False
        self.return_special = True
        self.recursive = False
        self.lsub = False

    @classmethod
    def read(cls, line: bytes, lsub: bool) -> _ListRequest:
        tokens = imap4.parseNestedParens(line)
        request = cls()
        request.lsub = lsub
        if tokens and isinstance(tokens[0], list):
            options = _atoms(tokens.pop(0))
            if options - _SELECTION or options == {b"RECURSIVEMATCH"}:
                raise ValueError("unknown or lone LIST selection option")
            request.subscribed_only = b"SUBSCRIBED" in options
            request.return_subscribed = request.subscribed_only
            request.special_use_only = b"SPECIAL-USE" in options
            request.recursive = b"RECURSIVEMATCH" in options
        if len(tokens) < 2:
            raise ValueError("LIST needs a reference and a pattern")
        request.reference = _client_name(bytes(tokens[0]))
        pattern = tokens[1]
        patterns = pattern if isinstance(pattern, list) else [pattern]
        request.patterns = [_client_name(bytes(p)) for p in patterns]
        rest = tokens[2:]
        if rest:
            if bytes(rest[0]).upper() != b"RETURN" or len(rest) != 2:
                raise ValueError("bad LIST return options")
            returned = _atoms(rest[1])
            if returned - _RETURNED:
                raise ValueError("unknown LIST return option")
            request.return_subscribed |= b"SUBSCRIBED" in returned
        if lsub:
            request.subscribed_only = True
        return request

    @property
    def root_only(self) -> bool:
        """``LIST "" ""``: only the delimiter is asked for."""
        return self.patterns == [""]

    def lines(self, entries: list[Entry], boxes: Mailboxes) -> list[bytes]:
        if self.root_only:
            return [b'LIST (\\Noselect) "/" ""']
        parents = boxes.has_children(entries)
        with_subscribed = boxes.has_children(
            [e for e in entries if e.subscribed])
        matchers = [pattern_matcher(self.reference, p)
                    for p in self.patterns]
        # RFC 3501 6.3.9: LSUB with % shows unsubscribed parents of
        # subscribed mailboxes as \Noselect; RFC 5258 RECURSIVEMATCH
        # shows them with CHILDINFO.
        parents_too = self.recursive or (
            self.lsub and any("%" in p for p in self.patterns))
        found = []
        for entry in entries:
            if not any(m.match(entry.name) for m in matchers):
                continue
            if self.special_use_only and not entry.special_use:
                continue
            if self.subscribed_only and not entry.subscribed:
                if parents_too and entry.name in with_subscribed:
                    found.append(self._line(entry, True, child_only=True))
                continue
            found.append(self._line(entry, entry.name in parents))
        return found

    def _line(self, entry: Entry, children: bool,
              child_only: bool = False) -> bytes:
        flags = []
        if not entry.selectable or (child_only and self.lsub):
            flags.append("\\Noselect")
        if not self.lsub:
            flags.append("\\HasChildren" if children else "\\HasNoChildren")
            if self.return_subscribed and entry.subscribed:
                flags.append("\\Subscribed")
            if entry.special_use and self.return_special:
                flags.append(entry.special_use)
        word = b"LSUB" if self.lsub else b"LIST"
        line = (word + b" (" + " ".join(flags).encode() + b') "/" '
                + _mailbox(entry.name))
        if child_only and self.recursive:
            line += b' ("CHILDINFO" ("SUBSCRIBED"))'
        return line


def _atoms(tokens: Any) -> set[bytes]:
    """Upper-cased option names of a LIST option list, or ValueError."""
    if not isinstance(tokens, list) or any(
            isinstance(t, list) for t in tokens):
        raise ValueError("LIST options must be a flat list of names")
    return {bytes(t).upper() for t in tokens}


_SELECTION = {b"SUBSCRIBED", b"REMOTE", b"RECURSIVEMATCH", b"SPECIAL-USE"}
_RETURNED = {b"SUBSCRIBED", b"CHILDREN", b"SPECIAL-USE"}

