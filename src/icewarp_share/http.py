"""The one HTTP site: authentication, limits and routing to WSGI apps.

Every HTTP request enters here on the reactor thread. This module decides
what needs no application at all (``OPTIONS /``, the well-known
redirects, health), checks Basic credentials in a thread pool, delays
failed logins with ``callLater`` (no worker thread waits), strips identity
headers that clients must not set, and hands the request to one of three
WSGI applications, each in its own thread pool:

- ``/dav/``: CalDAV and CardDAV (Radicale with our plugins);
- ``/webdav/``: files (wsgidav with our provider);
- everything else: the web pages and the JSON API.

The authenticated address reaches an application in the private environ
key ``icewarp.account``; nothing a client sends can set it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from twisted.internet import defer, threads
from twisted.python.threadpool import ThreadPool
from twisted.web import http, server
from twisted.web.resource import Resource
from twisted.web.wsgi import _WSGIResponse

from icewarp_share.auth import Authenticator, plaintext_allowed
from icewarp_share.config import Config

log = logging.getLogger(__name__)

ACCOUNT_KEY = "icewarp.account"
REALM = "icewarp-share"

# Headers a client could use to claim an identity or a mount point; a
# reverse proxy in front of us must not be able to pass them through.
STRIPPED_HEADERS = (b"x-script-name", b"x-remote-user", b"remote-user",
                    b"x-icewarp-account")
STRIPPED_PREFIXES = (b"x-forwarded-",)

DAV_METHODS = ("OPTIONS, GET, HEAD, POST, PUT, DELETE, PROPFIND, "
               "PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK, REPORT")

# How long a verified credential is remembered, to spare an argon2 check
# on every request of a DAV client. A changed password takes effect for
# new credentials at once and for cached ones within this time.
CREDENTIAL_TTL = 60.0

WsgiApp = Callable[..., Iterable[bytes]]


@dataclass(frozen=True)
class Mount:
    """A WSGI application under a path prefix, with its thread pool."""

    prefix: bytes
    app: WsgiApp
    pool: ThreadPool
    needs_login: bool


@dataclass(frozen=True)
class Reply:
    """A canned response, named by meaning."""

    status: int
    message: str


REPLIES: Mapping[str, Reply] = {
    "login": Reply(401, "Sign in with your full e-mail address."),
    "bad-login": Reply(401, "Wrong address or password."),
    "needs-tls": Reply(403, "Passwords are accepted over HTTPS only "
                            "on this listener."),
    "bad-path": Reply(400, "The request path is not valid."),
    "too-large": Reply(413, "The request body is larger than this "
                            "server accepts."),
    "unavailable": Reply(503, "The server cannot reach its database."),
    "error": Reply(500, "The server could not complete the request."),
}


class LimitedRequest(server.Request):
    """A request that refuses bodies over the configured size.

    Twisted reads the whole body before rendering, so the limit is applied
    while it arrives: a declared length over the limit is refused at once
    and the connection closed; an undeclared (chunked) body is refused as
    soon as it grows past the limit.
    """

    limits: tuple[int, int] = (10 * 2**20, 2**30)  # (default, /webdav/)

    def gotLength(self, length: int | None) -> None:
        self._received = 0
        self._limit = self._body_limit()
        if length is not None and length > self._limit:
            self._refuse_too_large()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        self._received = getattr(self, "_received", 0) + len(data)
        if self._received > getattr(self, "_limit", self.limits[0]):
            self._refuse_too_large()
            return
        super().handleContentChunk(data)

    def _body_limit(self) -> int:
        # The path is parsed by the channel before the body arrives;
        # Request.path is only set once the body is complete.
        path = getattr(self.channel, "_path", b"") or b""
        default, uploads = self.limits
        return uploads if path.startswith(b"/webdav") else default

    def _refuse_too_large(self) -> None:
        if getattr(self, "_refused", False):
            return
        self._refused = True
        reply = REPLIES["too-large"]
        body = reply.message.encode() + b"\n"
        kind = b"text/plain; charset=utf-8"
        path = getattr(self.channel, "_path", b"") or b""
        if path.startswith(b"/api/"):  # the API's documented error shape
            body = json.dumps({"error": reply.message,
                               "status": reply.status}).encode()
            kind = b"application/json"
        transport = self.channel.transport
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\n"
            b"Content-Type: " + kind + b"\r\n"
            b"Connection: close\r\n"
            + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        transport.loseConnection()
        log.warning("refused a request body over %d bytes from %s",
                    self._limit, self.getClientAddress().host)


class FlowControlledResponse(_WSGIResponse):
    """A WSGI response that waits for slow clients.

    Twisted's bridge hands each block to the transport without waiting
    for the client to take it, so a slow reader of a large file would make
    the server hold the whole file in memory. Registered as a streaming
    producer, this response makes the worker thread wait while the
    transport is paused: memory stays flat, one block per download.
    """

    def __init__(self, reactor: Any, threadpool: ThreadPool,
                 application: WsgiApp, request: server.Request) -> None:
        super().__init__(reactor, threadpool, application, request)
        self._paused = False
        self._waiting: defer.Deferred[None] | None = None
        request.registerProducer(self, True)
        request.notifyFinish().addBoth(lambda _ignored: self._release())
        finish = request.finish

        def unregister_then_finish() -> None:
            if request.producer is self:
                request.unregisterProducer()
            finish()

        request.finish = unregister_then_finish  # type: ignore[method-assign]

    def pauseProducing(self) -> None:
        """The client is behind: hold the next block."""
        self._paused = True

    def resumeProducing(self) -> None:
        """The client caught up: let the worker write again."""
        self._paused = False
        self._release()

    def stopProducing(self) -> None:
        """The connection is gone: never leave a worker waiting."""
        self.resumeProducing()

    def _release(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.callback(None)

    def write(self, data: bytes) -> Any:
        """Write one block; return once the client may take more."""

        def write_then_wait(started: bool) -> defer.Deferred[None] | None:
            if not started:
                self._sendResponseHeaders()
            self.request.write(data)
            if self._paused and not self._requestFinished:
                self._waiting = defer.Deferred()
                return self._waiting  # blockingCallFromThread waits on it
            return None

        try:
            return threads.blockingCallFromThread(
                self.reactor, write_then_wait, self.started)
        finally:
            self.started = True


class Front(Resource):
    """The root resource: decides, authenticates, then dispatches."""

    isLeaf = True

    def __init__(self, config: Config, authenticator: Authenticator,
                 mounts: list[Mount], reactor: Any,
                 ready: Callable[[], bool]) -> None:
        super().__init__()
        self.config = config
        self.authenticator = authenticator
        self.mounts = mounts
        self.reactor = reactor
        self.ready = ready
        self._secret = os.urandom(32)
        self._verified: dict[bytes, tuple[str, float]] = {}

    def render(self, request: server.Request) -> Any:
        """Answer the request or hand it to an application."""
        started = time.monotonic()
        _strip_identity_headers(request)
        request.notifyFinish().addBoth(
            lambda _ignored: _log_answer(request, started))
        path = request.path.split(b"?", 1)[0]
        method = request.method
        if method == b"OPTIONS" and path in (b"/", b"*"):
            return _options_root(request)
        if path in (b"/.well-known/caldav", b"/.well-known/carddav"):
            return _redirect(request, b"/dav/")
        if method == b"PROPFIND" and path == b"/":
            # DAV clients given the bare server address ask its root for
            # their principal: the CalDAV root answers, with /dav/ hrefs.
            return self._authenticate(request, self._mount_for(b"/dav/"),
                                      "/")
        if path == b"/health":
            return self._health(request)
        mount = self._mount_for(path)
        rest = _path_info(path, mount.prefix)
        if rest is None:
            return _reply(request, "bad-path")
        return self._authenticate(request, mount, rest)

    def _health(self, request: server.Request) -> Any:
        """Readiness for load balancers: 200 when the database answers.

        The check runs in a thread: the reactor never waits on the
        database.
        """
        d = threads.deferToThreadPool(self.reactor, self.authenticator_pool,
                                      self.ready)
        d.addErrback(lambda _failure: False)
        d.addCallback(lambda ok: _finish_health(request, bool(ok)))
        return server.NOT_DONE_YET

    def _mount_for(self, path: bytes) -> Mount:
        for mount in self.mounts:
            if mount.prefix and (path == mount.prefix or
                                 path.startswith(mount.prefix + b"/")):
                return mount
        return next(m for m in self.mounts if not m.prefix)

    def _authenticate(self, request: server.Request, mount: Mount,
                      rest: str) -> Any:
        credentials = _basic_credentials(request)
        if credentials is None:
            if mount.needs_login:
                return _reply(request, "login", challenge=True)
            return self._dispatch(request, mount, rest, None)
        remote = request.getClientAddress().host
        policy = self.config.http.plaintext_auth
        if not plaintext_allowed(policy, remote, request.isSecure()):
            return _reply(request, "needs-tls")
        address, password = credentials
        cached = self._cached(address, password)
        if cached is not None:
            return self._dispatch(request, mount, rest, cached)
        wait = self.authenticator.throttle.delay(remote, address)
        self.reactor.callLater(wait, self._verify, request, mount, rest,
                               address, password)
        return server.NOT_DONE_YET

    def _verify(self, request: server.Request, mount: Mount, rest: str,
                address: str, password: str) -> None:
        if request.finished or getattr(request, "_disconnected", False):
            return
        remote = request.getClientAddress().host
        d = threads.deferToThreadPool(
            self.reactor, self.authenticator_pool, self.authenticator.verify,
            address, password)

        def checked(account: Any) -> None:
            self.authenticator.record(account, address, remote, "HTTP")
            if account is None:
                wait = self.authenticator.throttle.delay(remote, address)
                self.reactor.callLater(wait, _finish_reply, request,
                                       "bad-login")
                return
            self._remember(address, password, account.address)
            self._dispatch(request, mount, rest, account.address)

        def failed(failure: Any) -> None:
            log.error("authentication failed with an error",
                      exc_info=failure.value)
            _finish_reply(request, "unavailable")

        d.addCallbacks(checked, failed)

    authenticator_pool: ThreadPool

    def _dispatch(self, request: server.Request, mount: Mount, rest: str,
                  account: str | None) -> Any:
        request.prepath = [mount.prefix.lstrip(b"/")] if mount.prefix \
            else []
        request.postpath = []
        response = FlowControlledResponse(self.reactor, mount.pool,
                                          mount.app, request)
        response.environ["SCRIPT_NAME"] = mount.prefix.decode("latin-1")
        response.environ["PATH_INFO"] = rest
        response.environ["REQUEST_URI"] = request.uri.decode("latin-1")
        if request.isSecure():
            response.environ["HTTPS"] = "on"
        if account is not None:
            response.environ[ACCOUNT_KEY] = account
        response.start()
        return server.NOT_DONE_YET

    def _credential_key(self, address: str, password: str) -> bytes:
        material = f"{address.lower()}\0{password}".encode()
        return hmac.new(self._secret, material, hashlib.sha256).digest()

    def _cached(self, address: str, password: str) -> str | None:
        key = self._credential_key(address, password)
        found = self._verified.get(key)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def _remember(self, address: str, password: str, account: str) -> None:
        now = time.monotonic()
        if len(self._verified) > 10000:
            self._verified = {k: v for k, v in self._verified.items()
                              if v[1] > now}
        key = self._credential_key(address, password)
        self._verified[key] = (account, now + CREDENTIAL_TTL)


def _strip_identity_headers(request: server.Request) -> None:
    headers = request.requestHeaders
    for name, _values in list(headers.getAllRawHeaders()):
        lowered = name.lower()
        if lowered in STRIPPED_HEADERS or \
                lowered.startswith(STRIPPED_PREFIXES):
            headers.removeHeader(name)


def _path_info(path: bytes, prefix: bytes) -> str | None:
    """PATH_INFO as PEP 3333 wants it (decoded, latin-1), or None if bad.

    Encoded slashes, NUL bytes and dot segments are refused here, once,
    for every application.
    """
    rest = path[len(prefix):]
    lowered = rest.lower()
    if b"%2f" in lowered or b"%5c" in lowered or b"%00" in lowered:
        return None
    decoded = unquote_to_bytes(rest)
    if b"\0" in decoded or b"\\" in decoded:
        return None
    if any(seg in (b".", b"..") for seg in decoded.split(b"/")):
        return None
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded.decode("latin-1")


def _basic_credentials(request: server.Request) -> tuple[str, str] | None:
    raw = request.getHeader(b"authorization")
    if not raw:
        return None
    scheme, _, value = raw.decode("latin-1").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    address, sep, password = text.partition(":")
    if not sep:
        return None
    return address.strip().lower(), password


def _reply(request: server.Request, name: str,
           challenge: bool = False) -> bytes:
    reply = REPLIES[name]
    request.setResponseCode(reply.status)
    if challenge or reply.status == 401:
        request.setHeader(
            b"WWW-Authenticate",
            f'Basic realm="{REALM}", charset="UTF-8"'.encode())
    wants_json = b"json" in (request.getHeader(b"accept") or b"")
    if wants_json or request.path.startswith(b"/api/"):
        request.setHeader(b"Content-Type", b"application/json")
        return json.dumps({"error": reply.message,
                           "status": reply.status}).encode()
    request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
    return reply.message.encode() + b"\n"


def _finish_reply(request: server.Request, name: str) -> None:
    if request.finished or getattr(request, "_disconnected", False):
        return
    body = _reply(request, name)
    request.setHeader(b"Content-Length", str(len(body)).encode())
    request.write(body)
    request.finish()


def _options_root(request: server.Request) -> bytes:
    """Windows asks ``OPTIONS /`` without credentials before mapping."""
    request.setResponseCode(200)
    request.setHeader(b"DAV", b"1, 2")
    request.setHeader(b"MS-Author-Via", b"DAV")
    request.setHeader(b"Allow", DAV_METHODS.encode())
    request.setHeader(b"Content-Length", b"0")
    return b""


def _redirect(request: server.Request, location: bytes) -> bytes:
    request.setResponseCode(http.MOVED_PERMANENTLY)
    request.setHeader(b"Location", location)
    request.setHeader(b"Content-Length", b"0")
    return b""


def _finish_health(request: server.Request, ok: bool) -> None:
    if request.finished or getattr(request, "_disconnected", False):
        return
    body = json.dumps({"status": "ok" if ok else "unavailable"}).encode()
    request.setResponseCode(200 if ok else 503)
    request.setHeader(b"Content-Type", b"application/json")
    request.setHeader(b"Cache-Control", b"no-store")
    request.setHeader(b"Content-Length", str(len(body)).encode())
    request.write(body)
    request.finish()


def _log_answer(request: server.Request, started: float) -> None:
    elapsed = (time.monotonic() - started) * 1000
    log.info("%s %s %s -> %d in %.1f ms",
             request.getClientAddress().host,
             request.method.decode("latin-1"),
             request.path.decode("latin-1", "replace")[:200],
             request.code, elapsed)


def make_pool(name: str, size: int, reactor: Any) -> ThreadPool:
    """A thread pool started with the reactor and stopped with it."""
    pool = ThreadPool(minthreads=1, maxthreads=size, name=name)
    reactor.callWhenRunning(pool.start)
    reactor.addSystemEventTrigger("during", "shutdown", pool.stop)
    return pool


def make_site(config: Config, authenticator: Authenticator,
              apps: Mapping[str, WsgiApp], reactor: Any,
              ready: Callable[[], bool]) -> server.Site:
    """The Twisted site serving ``apps`` (keys ``dav``, ``webdav``,
    ``web``) behind authentication and limits."""
    mounts = [
        Mount(b"/dav", apps["dav"], make_pool("dav", 10, reactor), True),
        Mount(b"/webdav", apps["webdav"], make_pool("webdav", 10, reactor),
              True),
        Mount(b"", apps["web"], make_pool("web", 8, reactor), False),
    ]
    front = Front(config, authenticator, mounts, reactor, ready)
    front.authenticator_pool = make_pool("auth", 4, reactor)
    site = server.Site(front, requestFactory=_request_factory(config))
    site.displayTracebacks = False
    site.noisy = False
    # Front logs every answer itself, with the duration; no access log.
    site.log = lambda _request: None  # type: ignore[method-assign]
    return site


def _request_factory(config: Config) -> type[LimitedRequest]:
    class ConfiguredRequest(LimitedRequest):
        limits = (config.http.max_request_body, config.http.max_upload_size)

    return ConfiguredRequest
