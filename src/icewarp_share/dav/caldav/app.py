"""The CalDAV/CardDAV WSGI application: Radicale with our plugins.

Radicale parses the protocol and builds the answers; this subclass wraps
each request: it removes identity headers a client may not set, limits
the body size, makes the authenticated account known to the plugins,
checks the exact ACL right of every write (Radicale only knows "may
write"), refuses private or confidential items from grantees without the
administer right, and answers every failure from one table of canned
replies, so that no exception text reaches a client.
"""

from __future__ import annotations

import codecs
import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException
from radicale import pathutils, xmlutils
from radicale.app import Application as RadicaleApplication

from icewarp_share import acl
from icewarp_share.dav.caldav import privacy
from icewarp_share.dav.caldav.auth import ACCOUNT_KEY
from icewarp_share.dav.caldav.places import Place, PlaceKind, Places
from icewarp_share.dav.caldav.request import (
    RequestState,
    current,
    serving,
)
from icewarp_share.dav.caldav.storage import PERSONAL_PROPS, manages
from icewarp_share.store.items import MAX_HREF, ItemStore

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

STRIPPED_HEADERS = ("HTTP_X_SCRIPT_NAME", "HTTP_X_REMOTE_USER",
                    "HTTP_X_REMOTE_ADDR", "REMOTE_USER")
STRIPPED_PREFIXES = ("HTTP_X_FORWARDED_",)

XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR",
                         "MKCOL"})
"""Methods whose body is XML, checked before Radicale parses it."""

MAX_XML_DEPTH = 64
"""Deepest element nesting accepted in a request body: real clients
stay under ten; Radicale's filters recurse and would fail far deeper."""

PROTECTED_PROPS = frozenset({
    "D:getetag", "D:getlastmodified", "D:getcontentlength",
    "D:getcontenttype", "D:resourcetype", "D:sync-token", "D:owner",
    "D:current-user-privilege-set", "D:current-user-principal",
    "D:supported-report-set", "D:principal-URL", "D:lockdiscovery",
    "D:supportedlock", "D:acl", "D:principal-collection-set",
    "CS:getctag", "C:supported-calendar-component-set",
    "C:supported-calendar-data", "C:calendar-home-set",
    "CR:addressbook-home-set", "CR:supported-address-data"})
"""Properties the server computes (RFC 4918 15, 3744 5, 4791 5.2, 6578
4): a PROPPATCH touching one is refused, whoever sends it."""

PLACEHOLDER_REFUSAL = (
    "this item is shown to you as a time-only placeholder: only the owner "
    "or someone with the administer right may change it")
"""Why a PUT over an item the writer sees masked is refused."""

NAMESPACE = "urn:icewarp-share:dav"
"""Namespace of our own error elements (the reason of a refusal)."""


@dataclass(frozen=True)
class Reply:
    """A canned answer: status line, extra headers, body."""

    status: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/plain; charset=utf-8"


REPLIES: dict[str, Reply] = {
    "unauthorized": Reply(
        "401 Unauthorized", b"Authentication required.\n",
        (("WWW-Authenticate",
          'Basic realm="icewarp-share", charset="UTF-8"'),)),
    "bad-request": Reply("400 Bad Request", b"The request is malformed.\n"),
    "not-found": Reply("404 Not Found",
                       b"The requested resource could not be found.\n"),
    "no-groupware": Reply(
        "403 Forbidden",
        b"Calendars and contacts are switched off for this account.\n"),
    "too-large": Reply("413 Content Too Large",
                       b"The request body is too large.\n"),
    "bad-depth": Reply("400 Bad Request",
                       b"Depth must be 0, 1 or infinity.\n"),
    "bad-folder-name": Reply(
        "400 Bad Request",
        b"This folder name is not allowed: it is empty, uses a shared or "
        b"public folder prefix, or holds a control character.\n"),
    "exists": Reply("405 Method Not Allowed",
                    b"A folder of this name already exists.\n",
                    (("Allow", "OPTIONS, GET, HEAD, PROPFIND, REPORT"),)),
    "error": Reply("500 Internal Server Error",
                   b"The server could not answer this request.\n"),
}
"""Every answer this application makes itself, by meaning."""


def _xml_error(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
            f' xmlns:I="{NAMESPACE}">{body}</D:error>\n').encode()


def need_privilege(href: str, privilege: str,
                   reason: str | None = None) -> Reply:
    """403 with RFC 3744 7.1.1 ``need-privileges`` and an optional reason."""
    body = ("<D:need-privileges><D:resource>"
            f"<D:href>{escape(href)}</D:href>"
            f"<D:privilege><D:{privilege}/></D:privilege>"
            "</D:resource></D:need-privileges>")
    if reason:
        body += f"<I:reason>{escape(reason)}</I:reason>"
    return Reply("403 Forbidden", _xml_error(body),
                 content_type="application/xml; charset=utf-8")


def precondition(element: str, reason: str) -> Reply:
    """403 naming a failed CalDAV/CardDAV precondition, with a reason."""
    body = f"<{element}/><I:reason>{escape(reason)}</I:reason>"
    return Reply("403 Forbidden", _xml_error(body),
                 content_type="application/xml; charset=utf-8")


def _strip_identity_headers(environ: dict[str, Any]) -> None:
    for key in list(environ):
        if key in STRIPPED_HEADERS or key.startswith(STRIPPED_PREFIXES):
            del environ[key]


def _utf8_path(environ: dict[str, Any]) -> bool:
    """Turn PEP 3333's latin-1 PATH_INFO into the text Radicale expects."""
    raw = environ.get("PATH_INFO", "")
    try:
        environ["PATH_INFO"] = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The whole request body, or None when it exceeds ``limit``."""
    stream = environ.get("wsgi.input")
    length_text = environ.get("CONTENT_LENGTH") or ""
    if stream is None:
        return b""
    if length_text.isdigit():
        length = int(length_text)
        if length > limit:
            return None
        return stream.read(length) if length else b""
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return b""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


class Application(RadicaleApplication):
    """Radicale's application with our checks around each request."""

    def __init__(self, configuration: Any, places: Places,
                 items: ItemStore, body_limit: int) -> None:
        self.places = places
        self.items = items
        self.body_limit = body_limit
        super().__init__(configuration)

    # PEP 3333 hands the application a dict it may change; Radicale's
    # annotation is narrower than the protocol.
    def __call__(self, environ: dict[str, Any],  # type: ignore[override]
                 start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        account = environ.get(ACCOUNT_KEY) or ""
        log.info("received %s %s from %s as %s", method, path,
                 environ.get("REMOTE_ADDR", "?"), account or "nobody")
        try:
            status, headers, body = self._serve(environ)
        except Exception:
            log.exception("%s %s failed", method, path)
            status, headers, body = self._canned(REPLIES["error"])
        start_response(status, headers)
        log.info("answered %s %s: %s in %.3f s", method, path,
                 status.partition(" ")[0], time.monotonic() - started)
        return body

    def _serve(self, environ: dict[str, Any]
               ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        _strip_identity_headers(environ)
        account = environ.get(ACCOUNT_KEY) or ""
        if not account:
            return self._canned(REPLIES["unauthorized"])
        if not _utf8_path(environ):
            return self._canned(REPLIES["bad-request"])
        body = _read_body(environ, self.body_limit)
        if body is None:
            return self._canned(REPLIES["too-large"])
        method = environ.get("REQUEST_METHOD", "").upper()
        depth = environ.get("HTTP_DEPTH")
        if depth is not None and \
                depth.strip().lower() not in ("0", "1", "infinity"):
            return self._canned(REPLIES["bad-depth"])
        if method in XML_METHODS and body and _hostile_xml(body):
            log.warning("refused %s from %s: a DTD or too deep XML",
                        method, account)
            return self._canned(REPLIES["bad-request"])
        if body and not _known_charset(environ.get("CONTENT_TYPE", "")):
            return self._canned(REPLIES["bad-request"])
        if method == "PROPFIND" and body and _empty_propfind(body):
            # RFC 4918 14.20: propfind holds propname, allprop or prop.
            return self._canned(REPLIES["bad-request"])
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        state = RequestState(account.lower(), None,
                             script_name=environ.get("SCRIPT_NAME", ""))
        state.freebusy = _asks_freebusy(environ, body)
        with serving(state):
            viewer = self.places.viewer(state)
            if viewer is None or not viewer.groupware:
                log.warning("refused %s: groupware is off", state.account)
                return self._canned(REPLIES["no-groupware"])
            refusal = self._refusal(environ, state, body)
            if refusal is not None:
                return self._canned(refusal)
            answer = self._radicale(environ)
        if method == "PUT" and answer[0].startswith("412") and \
                not _conditional(environ):
            return self._canned(self._unstorable(len(body)))
        return answer

    def _unstorable(self, size: int) -> Reply:
        """Why Radicale's 412 to an unconditional PUT happened.

        Radicale signals both a resource over its size limit and a date
        computation that overflows (year 9999 plus a long duration) as a
        failed precondition; neither is one the client asked for.
        """
        if size > self._max_resource_size:
            return REPLIES["too-large"]
        return precondition("C:valid-calendar-data",
                            "a date or duration of this item is out of range")

    def _radicale(self, environ: dict[str, Any]
                  ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        answer: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]],
                  exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = status, headers

        body = list(super().__call__(environ, start))
        return answer["status"], _tidy(answer["headers"]), body

    @staticmethod
    def _canned(reply: Reply
                ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        headers = [("Content-Type", reply.content_type),
                   ("Content-Length", str(len(reply.body))),
                   *reply.headers]
        return reply.status, headers, [reply.body]

    # region checks of writes, before Radicale runs them

    def _refusal(self, environ: dict[str, Any], state: RequestState,
                 body: bytes) -> Reply | None:
        """A reply refusing the request, or None to let Radicale run it."""
        method = environ.get("REQUEST_METHOD", "").upper()
        check = _CHECKS.get(method)
        if check is None:
            return None
        if method == "MOVE":
            state.destination = _destination(environ)
        path = pathutils.sanitize_path(environ.get("PATH_INFO", ""))
        href = environ.get("SCRIPT_NAME", "") + path
        place = self.places.resolve(state, path.strip("/"))
        return check(self, place, href, body)

    def _check_put(self, place: Place | None, href: str,
                   body: bytes) -> Reply | None:
        if place is None:
            return None
        if place.kind is not PlaceKind.ITEM:
            return need_privilege(href, "write-content",
                                  "only single items can be uploaded")
        folder = place.folder
        assert folder is not None
        if len(place.href) > MAX_HREF:
            return REPLIES["bad-request"]
        stored = self.items.get(folder.folder_id, [place.href])
        existing = stored.get(place.href)
        if existing is not None and privacy.present(existing,
                                                    folder) is None:
            log.warning("%s may not overwrite a hidden item in %s",
                        self._who(), folder.url)
            return need_privilege(href, "bind")
        needed = acl.Operation.CREATE_ITEM if existing is None \
            else acl.Operation.WRITE_ITEM
        if not folder.allows(needed):
            log.warning("refused %s for %s on %s", needed.value,
                        self._who(), folder.url)
            privilege = "bind" if existing is None else "write-content"
            return need_privilege(href, privilege)
        if existing is not None:
            # Changing a confidential item is writing that class: the
            # writer only sees its placeholder and would erase the rest.
            old_class = acl.ItemClass(existing.facts.item_class)
            reason = acl.write_refusal_reason(old_class, folder.is_owner,
                                              folder.rights)
            if reason is not None:
                log.warning("refused a change of a %s item by %s in %s",
                            old_class.value, self._who(), folder.url)
                shown = privacy.present(existing, folder)
                if shown is not None and \
                        shown.treatment is acl.Treatment.REDACT:
                    reason = PLACEHOLDER_REFUSAL
                return need_privilege(href, "write-content", reason)
        return self._check_content(folder, href, body)

    def _check_content(self, folder: Any, href: str,
                       body: bytes) -> Reply | None:
        text = body.decode("utf-8", "replace")
        item_class = privacy.item_class(text)
        reason = acl.write_refusal_reason(item_class, folder.is_owner,
                                          folder.rights)
        if reason is not None:
            log.warning("refused a %s item from %s in %s", item_class.value,
                        self._who(), folder.url)
            return need_privilege(href, "write-acl", reason)
        expected = folder.component
        if expected is not None:
            found = privacy.components(text)
            if found and found != {expected}:
                return precondition(
                    "C:supported-calendar-component",
                    f"this collection holds {expected} components only")
        return None

    def _check_delete(self, place: Place | None, href: str,
                      body: bytes) -> Reply | None:
        if place is None:
            return None
        if place.kind is not PlaceKind.ITEM:
            return need_privilege(href, "unbind",
                                  "collections are not deleted over DAV")
        folder = place.folder
        assert folder is not None
        existing = self.items.get(folder.folder_id, [place.href]).get(
            place.href)
        if existing is None or privacy.present(existing, folder) is None:
            return REPLIES["not-found"]
        if not folder.allows(acl.Operation.REMOVE_ITEM):
            log.warning("refused delete for %s on %s", self._who(),
                        folder.url)
            return need_privilege(href, "unbind")
        return None

    def _check_proppatch(self, place: Place | None, href: str,
                         body: bytes) -> Reply | None:
        if place is None or place.kind is not PlaceKind.COLLECTION:
            return None
        folder = place.folder
        assert folder is not None
        changed = _patched_properties(body)
        if changed is not None and changed & PROTECTED_PROPS:
            return precondition(
                "D:cannot-modify-protected-property",
                "the server computes these properties: "
                + ", ".join(sorted(changed & PROTECTED_PROPS)))
        # The folder's own name, colour and properties are changed by
        # whoever may rename it; anyone who sees it may set a personal
        # name, colour and order, which only it sees (storage.set_meta).
        if manages(folder):
            return None
        if changed is not None and folder.allows(acl.Operation.READ) and \
                changed <= PERSONAL_PROPS:
            return None
        log.warning("refused PROPPATCH for %s on %s", self._who(),
                    folder.url)
        return need_privilege(href, "write-properties")

    def _check_new_folder(self, home: str, name: str) -> Reply | None:
        """A new own folder's name must be valid (the naming core) and
        free: an existing folder of any kind answers 405 (RFC 4791
        5.3.1), a mail folder included."""
        store = self.places.store
        try:
            acl.display_name(home, home, acl.OwnerKind.ACCOUNT, name,
                             store.prefixes)
        except acl.FolderNameError:
            return REPLIES["bad-folder-name"]
        if any(folder.path == name
               for folder in store.directory.folders(home)):
            return REPLIES["exists"]
        return None

    def _check_create(self, place: Place | None, href: str,
                      body: bytes) -> Reply | None:
        """New collections only right below one's own home."""
        state = current()
        path = href.removeprefix("/dav").strip("/")
        home, _, name = path.partition("/")
        own = state is not None and home == state.account
        if own and name and "/" not in name:
            return self._check_new_folder(home, name)
        return need_privilege(href, "bind",
                              "collections are made in one's own home only")

    def _check_move(self, place: Place | None, href: str,
                    body: bytes) -> Reply | None:
        """Moving an item is removing it here and writing it there."""
        if place is None:
            return None
        if place.kind is not PlaceKind.ITEM:
            return need_privilege(href, "unbind",
                                  "collections are not moved over DAV")
        refusal = self._check_delete(place, href, body)
        if refusal is not None:
            return refusal
        state = current()
        target = None if state is None else state.destination
        if state is None or target is None:
            return None
        to_place = self.places.resolve(state, target.strip("/"))
        if to_place is None or to_place.kind is not PlaceKind.ITEM:
            return None
        assert place.folder is not None
        stored = self.items.get(place.folder.folder_id, [place.href])
        text = stored[place.href].body
        to_href = state.script_name + target
        return self._check_put(to_place, to_href, text.encode("utf-8"))

    @staticmethod
    def _who() -> str:
        state = current()
        return state.account if state is not None else "?"


_CHECKS: dict[str, Callable[..., Reply | None]] = {
    "PUT": Application._check_put,
    "DELETE": Application._check_delete,
    "PROPPATCH": Application._check_proppatch,
    "MKCOL": Application._check_create,
    "MKCALENDAR": Application._check_create,
    "MOVE": Application._check_move,
}


def _destination(environ: dict[str, Any]) -> str | None:
    """The MOVE target as a path below the mount, or None if elsewhere."""
    raw = unquote(environ.get("HTTP_DESTINATION", ""))
    path = pathutils.sanitize_path(urlparse(raw).path)
    prefix = environ.get("SCRIPT_NAME", "")
    if not (path + "/").startswith(prefix + "/"):
        return None
    return path[len(prefix):]


def _conditional(environ: dict[str, Any]) -> bool:
    """Whether a request carries a precondition of its own."""
    return any(environ.get(name) for name in (
        "HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF",
        "HTTP_IF_UNMODIFIED_SINCE"))


def _tidy(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Radicale's headers, with each Content-Type parameter once and no
    slash in a proposed file name (a shared folder's name has one)."""
    tidied = []
    for name, value in headers:
        if name.lower() == "content-type":
            parts = [part.strip() for part in value.split(";")]
            value = "; ".join(dict.fromkeys(p for p in parts if p))
        elif name.lower() == "content-disposition":
            kind, _, rest = value.partition(";")
            value = kind + _ + rest.replace("/", "_")
        tidied.append((name, value))
    return tidied


def _known_charset(content_type: str) -> bool:
    """Whether the charset a Content-Type names (if any) exists."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            try:
                codecs.lookup(value.strip().strip('"'))
            except LookupError:
                return False
    return True


def _empty_propfind(body: bytes) -> bool:
    """A well-formed propfind element with nothing in it."""
    try:
        root = SafeET.fromstring(body)
    except Exception:  # noqa: BLE001 - malformed XML is Radicale's 400
        return False
    return root.tag == "{DAV:}propfind" and len(root) == 0


def _hostile_xml(body: bytes) -> bool:
    """Whether an XML body has a DTD (entities, external references) or
    nests deeper than MAX_XML_DEPTH. A body that is merely malformed is
    left to Radicale, which answers 400 for it."""
    depth = 0
    try:
        for event, _element in SafeET.iterparse(
                io.BytesIO(body), events=("start", "end"), forbid_dtd=True):
            depth += 1 if event == "start" else -1
            if depth > MAX_XML_DEPTH:
                return True
    except DefusedXmlException:
        return True
    except Exception:  # noqa: BLE001 - malformed XML is Radicale's 400
        return False
    return False


def _patched_properties(body: bytes) -> set[str] | None:
    """The properties a PROPPATCH body sets or removes, as Radicale names
    them ("D:displayname"), or None when the body cannot be read."""
    try:
        root = SafeET.fromstring(body)
    except Exception:  # noqa: BLE001 - a bad body is Radicale's to refuse
        return None
    names: set[str] = set()
    for action in root:
        for prop in action.iter("{DAV:}prop"):
            names.update(xmlutils.make_human_tag(child.tag)
                         for child in prop)
    return names


def _asks_freebusy(environ: dict[str, Any], body: bytes) -> bool:
    """Whether the request is a free-busy query (REPORT or GET view)."""
    method = environ.get("REQUEST_METHOD", "").upper()
    if method in ("GET", "HEAD"):
        return "view=freebusy" in environ.get("QUERY_STRING", "")
    if method != "REPORT" or b"free-busy-query" not in body:
        return False
    try:
        root = SafeET.fromstring(body)
    except Exception:  # noqa: BLE001 - a bad body is Radicale's to refuse
        return False
    return bool(root.tag == "{urn:ietf:params:xml:ns:caldav}free-busy-query")
