"""The WSGI application mounted at ``/webdav/``: checks, then wsgidav.

The HTTP layer has authenticated the caller and put the lower-case
address in ``environ["icewarp.account"]``. This layer refuses what must
never reach wsgidav (no identity, overlong paths, XML with document type
declarations, bodies over the limits), asks ``rules`` whether the
account's rights allow the method, and hands the rest to wsgidav with
our provider, lock table and property table. Every answer it writes
comes from ``replies``.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.exc import DBAPIError
from wsgidav.dav_error import (  # type: ignore[import-untyped]
    HTTP_INTERNAL_ERROR,
    DAVError,
)
from wsgidav.dc.base_dc import (  # type: ignore[import-untyped]
    BaseDomainController,
)
from wsgidav.http_authenticator import (  # type: ignore[import-untyped]
    HTTPAuthenticator,
)
from wsgidav.mw.base_mw import BaseMiddleware  # type: ignore[import-untyped]
from wsgidav.request_resolver import (  # type: ignore[import-untyped]
    RequestResolver,
)
from wsgidav.wsgidav_app import WsgiDAVApp  # type: ignore[import-untyped]

from icewarp_share.dav.files import replies, rules
from icewarp_share.dav.files.places import Place, Viewpoint
from icewarp_share.dav.files.provider import (
    HREF_AT_KEY,
    VIEWPOINT_KEY,
    FilesProvider,
    split_path,
)
from icewarp_share.store import Store
from icewarp_share.store import files as storage

log = logging.getLogger(__name__)

ACCOUNT_KEY = "icewarp.account"
MOUNT = "/webdav"
MAX_PATH = 1024
"""Longest decoded path below ``/webdav`` accepted, in characters."""

MAX_XML_BODY = 1 << 20
"""Largest PROPFIND, PROPPATCH or LOCK body accepted, in bytes."""

XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "LOCK"})
_DECLARATIONS = (b"<!doctype", b"<!entity")

MAX_PROPPATCH_ELEMENTS = 1024
"""Elements in one PROPPATCH body: a few per property, at most 256
properties. Each stored property costs a write; without a cap one sharee
could hold every worker for minutes."""

StartResponse = Any
Environ = dict[str, Any]


class AccountController(BaseDomainController):  # type: ignore[misc]
    """Takes the account the HTTP layer authenticated; asks nothing more.

    The password check, its throttling and the TLS policy happen once,
    in the HTTP layer, for every front end. A request reaching wsgidav
    without an account was refused before (see ``FilesApp``).
    """

    def __str__(self) -> str:
        return "AccountController"

    def get_domain_realm(self, path_info: str, environ: Environ) -> str:
        return "icewarp-share"

    def require_authentication(self, realm: str, environ: Environ) -> bool:
        if environ is None:
            # Asked at start-up: every share needs an account.
            return True
        account = environ.get(ACCOUNT_KEY)
        if not account:
            return True
        environ["wsgidav.auth.user_name"] = account
        return False

    def basic_auth_user(self, realm: str, user_name: str, password: str,
                        environ: Environ) -> bool:
        # Credentials are checked by the HTTP layer only.
        return False

    def supports_http_digest_auth(self) -> bool:
        return False


class ErrorGuard(BaseMiddleware):  # type: ignore[misc]
    """Turns wsgidav's errors into our canned replies.

    It replaces wsgidav's error printer, whose pages carry exception
    text. A DAVError with an XML precondition keeps its body (RFC 4918
    section 16 condition codes are meant for clients); any other error is
    answered by status from ``replies``; a fault is logged with its
    traceback and answered with the generic 500.
    """

    def __call__(self, environ: Environ,
                 start_response: StartResponse) -> Iterator[bytes]:
        held: dict[str, Any] = {}

        def hold(status: str, headers: list[tuple[str, str]],
                 exc_info: Any = None) -> None:
            held.update(status=status, headers=headers)

        started = False
        try:
            answer = self.next_app(environ, hold)
            chunks = iter(answer)
            first = next(chunks, None)
            if _is_wsgidav_page(held):
                # wsgidav's 201 page names its version; send ours.
                _close(answer)
                kept = [(k, v) for k, v in held["headers"]
                        if k.lower() == "etag"]
                yield from replies.send(replies.REPLIES["created"],
                                        start_response, kept)
                return
            start_response(held["status"], held["headers"])
            started = True
            if first is not None:
                yield first
            yield from chunks
            return
        except DAVError as error:
            if started:
                raise
            yield from _dav_error(error, environ, start_response)
        except storage.LockConflict:
            # Another process granted a conflicting lock a moment ago.
            yield from replies.send(replies.for_status(423), start_response)
        except Exception as error:
            log.exception("WebDAV %s failed", environ.get("REQUEST_METHOD"))
            if started:
                raise
            name = "unavailable" if isinstance(error, DBAPIError) \
                else "error"
            yield from replies.send(replies.REPLIES[name], start_response)


def _is_wsgidav_page(held: dict[str, Any]) -> bool:
    """A status page wsgidav wrote for a success (it has one for 201)."""
    status = held.get("status", "")
    headers = {k.lower(): v for k, v in held.get("headers", [])}
    html = headers.get("content-type", "").startswith("text/html")
    return bool(status.startswith("201") and html)


def _close(answer: Any) -> None:
    close = getattr(answer, "close", None)
    if close is not None:
        close()


def _dav_error(error: DAVError, environ: Environ,
               start_response: StartResponse) -> Iterator[bytes]:
    if error.value == HTTP_INTERNAL_ERROR:
        log.error("WebDAV %s failed: %r", environ.get("REQUEST_METHOD"),
                  error.src_exception)
    if error.value in (204, 304):
        start_response(f"{error.value} No Content"
                       if error.value == 204 else "304 Not Modified",
                       [("Content-Length", "0")])
        return
    headers = list(error.add_headers or [])
    if error.err_condition is not None:
        body = error.err_condition.as_string().encode()
        start_response(replies.for_status(error.value).status_line, [
            ("Content-Type", "application/xml; charset=utf-8"),
            ("Content-Length", str(len(body))), *headers])
        yield body
        return
    head = environ.get("REQUEST_METHOD") == "HEAD"
    yield from replies.send(replies.for_status(error.value),
                            start_response, headers, head=head)


def dav_config(store: Store) -> dict[str, Any]:
    """The wsgidav configuration: our provider, tables and middleware."""
    return {
        "provider_mapping": {"/": FilesProvider()},
        "mount_path": MOUNT,
        "lock_storage": storage.LockTable(store.db),
        "property_manager": storage.PropertyTable(store.db),
        "middleware_stack": [ErrorGuard, HTTPAuthenticator, RequestResolver],
        "http_authenticator": {
            "domain_controller": AccountController,
            "accept_basic": True,
            "accept_digest": False,
            "default_to_digest": False,
        },
        "dir_browser": {"enable": False},
        "add_header_MS_Author_Via": True,
        "hotfixes": {"emulate_win32_lastmod": False,
                     "re_encode_path_info": True},
        "block_size": 256 * 1024,
        "verbose": 1,
        "logging": {"enable": False},
        "suppress_version_info": True,
    }


class FilesApp:
    """The ``/webdav/`` application: guards, the rights gate, wsgidav."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.max_upload = store.config.http.max_upload_size
        self.dav = WsgiDAVApp(dav_config(store))

    def __call__(self, environ: Environ,
                 start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        method = environ.get("REQUEST_METHOD", "")
        account = environ.get(ACCOUNT_KEY) or ""
        path = environ.get("PATH_INFO", "")
        log.info("received %s %s from %s", method, path[:200],
                 account or "(no account)")
        status: list[str] = ["-"]

        def record(line: str, headers: list[tuple[str, str]],
                   exc_info: Any = None) -> Any:
            status[0] = line.split(" ", 1)[0]
            return start_response(line, headers)

        try:
            body = self._answer(environ, record, account, method)
        except DBAPIError:
            log.exception("WebDAV %s: the database failed", method)
            body = replies.send(replies.REPLIES["unavailable"], record)
        except Exception:
            log.exception("WebDAV %s failed before wsgidav", method)
            body = replies.send(replies.REPLIES["error"], record)
        return _logged(body, method, path, account, status, started)

    def _answer(self, environ: Environ, start_response: StartResponse,
                account: str, method: str) -> Iterable[bytes]:
        if not account:
            return replies.send(replies.REPLIES["login"], start_response)
        _canonical_owner(environ)
        segments, problem = _segments(environ.get("PATH_INFO", ""))
        if problem is None:
            problem = self._check_body(environ, method)
        if problem is not None:
            return replies.send(replies.REPLIES[problem], start_response)
        view = Viewpoint(self.store, account)
        environ[VIEWPOINT_KEY] = view
        environ[HREF_AT_KEY] = "%40" in environ.get("REQUEST_URI", "").upper()
        environ["icewarp.files.max_upload"] = self.max_upload
        refused = self._gate(environ, view, segments, method)
        if refused is not None:
            log.warning("refused %s %s to %s: %s", method,
                        environ.get("PATH_INFO", "")[:200], account, refused)
            if refused == "finite-depth":
                return replies.send_finite_depth(start_response)
            reply = replies.REPLIES[refused]
            return replies.send(reply, start_response,
                                head=method == "HEAD")
        return self.dav(environ, start_response)  # type: ignore[no-any-return]

    def _check_body(self, environ: Environ, method: str) -> str | None:
        length = _length(environ)
        if length is not None and length < 0:
            return "bad-path"
        if method == "PUT":
            if length is not None and length > self.max_upload:
                return "too-large"
            return None
        if method not in XML_METHODS:
            return None
        if length is not None and length > MAX_XML_BODY:
            return "body-too-large"
        if length is not None:
            body = environ["wsgi.input"].read(length)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = environ["wsgi.input"].read(MAX_XML_BODY + 1)
        else:
            body = b""
        if len(body) > MAX_XML_BODY:
            return "body-too-large"
        if any(mark in text for mark in _DECLARATIONS
               for text in _readable_forms(body)):
            return "xml-declarations"
        if method == "PROPPATCH" and \
                body.count(b"<") > MAX_PROPPATCH_ELEMENTS:
            return "too-many-properties"
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return None

    def _gate(self, environ: Environ, view: Viewpoint,
              segments: list[str], method: str) -> str | None:
        place = view.locate(segments)
        if method == "PROPFIND" and _infinite(environ) and \
                place is not None and place.is_collection:
            # RFC 4918 9.1: a server may refuse Depth infinity on a
            # collection (a missing Depth means infinity). Walking every
            # folder an account sees is costly; no client we serve needs
            # it.
            return "finite-depth"
        destination: Place | None = None
        given = "HTTP_DESTINATION" in environ
        if method in ("COPY", "MOVE") and given:
            target, problem = _destination(environ["HTTP_DESTINATION"])
            if problem is not None:
                return problem
            if target is not None:
                destination = view.locate(target)
        return rules.refusal(rules.Request(method, place, destination, given))


def _infinite(environ: Environ) -> bool:
    """Whether a PROPFIND asks for Depth infinity (the default)."""
    depth = str(environ.get("HTTP_DEPTH", "infinity")).strip().lower()
    return depth == "infinity"


def _length(environ: Environ) -> int | None:
    text = (environ.get("CONTENT_LENGTH") or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return -1


def _readable_forms(body: bytes) -> list[bytes]:
    """The body lower-cased as sent and, for UTF-16 or UTF-32 bodies, as
    decoded text: a declaration must not hide behind an encoding."""
    forms = [body.lower()]
    if b"\x00" in body[:512] or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        for encoding in ("utf-16", "utf-32"):
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError:
                continue
            forms.append(text.lower().encode("utf-8", "replace"))
    return forms


def _canonical_owner(environ: Environ) -> None:
    """Spell the owner address of the path, and of Destination, in lower
    case: locks and dead properties are kept by path, so two spellings of
    one folder must never be two resources."""
    path = environ.get("PATH_INFO", "")
    first, sep, rest = path.lstrip("/").partition("/")
    if "@" in first and first != first.lower():
        environ["PATH_INFO"] = "/" + first.lower() + sep + rest
    destination = environ.get("HTTP_DESTINATION", "")
    marker = "/webdav/"
    at = destination.find(marker)
    if at >= 0:
        start = at + len(marker)
        end = destination.find("/", start)
        end = len(destination) if end < 0 else end
        owner = destination[start:end]
        environ["HTTP_DESTINATION"] = (destination[:start] + owner.lower()
                                       + destination[end:])


def _segments(path_info: str) -> tuple[list[str], str | None]:
    """Decoded path segments below the mount, or the reply refusing them.

    PATH_INFO arrives as PEP 3333 says (bytes as latin-1); clients send
    UTF-8. Dot segments and encoded separators were refused by the HTTP
    layer already; this checks again and bounds the lengths.
    """
    try:
        text = path_info.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return [], "bad-path"
    if len(text) > MAX_PATH:
        return [], "path-too-long"
    segments = split_path(text)
    if any(s in (".", "..") or "\\" in s or "\x00" in s for s in segments):
        return [], "bad-path"
    if any(len(s) > storage.MAX_SEGMENT for s in segments):
        return [], "path-too-long"
    return segments, None


def _destination(header: str) -> tuple[list[str] | None, str | None]:
    """The Destination's segments below the mount (None if elsewhere)."""
    try:
        path = urlsplit(header.strip()).path
    except ValueError:
        return None, "bad-destination"
    if "%2f" in path.lower() or "%5c" in path.lower():
        return None, "bad-destination"
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None, "bad-destination"
    if decoded != MOUNT and not decoded.startswith(MOUNT + "/"):
        return None, None
    rest = decoded[len(MOUNT):]
    segments, problem = _segments(rest.encode("utf-8").decode("latin-1"))
    if problem is not None:
        return None, "bad-destination"
    return segments, None


def _logged(body: Iterable[bytes], method: str, path: str, account: str,
            status: list[str], started: float) -> Iterator[bytes]:
    """Pass the body through, then log the answer with its duration."""
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
        elapsed = (time.monotonic() - started) * 1000
        log.info("answered %s %s for %s: %s in %.1f ms", method,
                 path[:200], account or "(no account)", status[0], elapsed)


def make_app(store: Store) -> FilesApp:
    """The WSGI application serving files folders under ``/webdav/``.

    Made once when the server starts, which is when uploads that a crash
    left unfinished are swept away.
    """
    removed = storage.sweep_uploads(store.data_dir)
    if removed:
        log.info("removed %d unfinished uploads left by a crash", removed)
    return FilesApp(store)
