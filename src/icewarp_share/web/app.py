"""The WSGI application of the sharing pages and the JSON API.

Each request goes through the same steps: find who is asking (HTTP Basic,
checked by the HTTP layer, or a session cookie), refuse cross-site
state-changing requests, require the CSRF token of the session for them,
then run the endpoint. Endpoints raise ``Refusal`` (or a store error) and
this module turns it into the reply from one table: JSON under
``/api/``, a small page elsewhere. Clients never see exception text.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from icewarp_share.auth import Authenticator, plaintext_allowed
from icewarp_share.store import Store
from icewarp_share.store.errors import (
    Conflict,
    Forbidden,
    Invalid,
    StoreError,
)
from icewarp_share.store.errors import NotFound as StoreNotFound
from icewarp_share.web.sessions import (
    COOKIE,
    SignedIn,
    close_session,
    find_session,
    open_session,
)

log = logging.getLogger(__name__)

ACCOUNT_KEY = "icewarp.account"
CSRF_HEADER = "X-CSRF-Token"
HERE = Path(__file__).resolve().parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# No body the API accepts comes near this; deeper ones are refused.
MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class Reply:
    """A canned answer, named by meaning."""

    status: int
    message: str


REPLIES: Mapping[str, Reply] = {
    "sign-in": Reply(401, "Sign in first (session or HTTP Basic)."),
    "bad-login": Reply(401, "Wrong address or password."),
    "needs-tls": Reply(403, "Passwords are accepted over HTTPS only."),
    "throttled": Reply(429, "Too many failed sign-ins; try again later."),
    "csrf": Reply(403, "The request lacks the CSRF token of the page."),
    "cross-site": Reply(403, "Cross-site requests are refused."),
    "not-admin": Reply(403, "Only an administrator may do this."),
    "not-folder-admin": Reply(
        403, "You may not change the rights of this folder."),
    "no-folder": Reply(404, "No such folder."),
    "no-grantee": Reply(404, "No such person or group."),
    "no-grant": Reply(404, "This grantee has no grant on the folder."),
    "no-owner": Reply(404, "No account or group by this address shares "
                           "folders with you."),
    "not-subscribed": Reply(404, "You have no such subscription."),
    "no-route": Reply(404, "No such page or API endpoint."),
    "method": Reply(405, "This method is not allowed here."),
    "bad-json": Reply(400, "The request body must be a JSON object."),
    "media-type": Reply(415, "Send the body as application/json."),
    "too-deep": Reply(400, "The JSON body is nested too deeply or its "
                           "brackets do not match."),
    "missing": Reply(400, "A required field is missing or empty."),
    "bad-field": Reply(400, "A field has a value of the wrong type."),
    "error": Reply(500, "The server could not complete the request."),
}

# Store errors carry text that is safe to show (see store.errors).
STORE_STATUS: Mapping[type[StoreError], int] = {
    StoreNotFound: 404, Conflict: 409, Invalid: 400, Forbidden: 403,
}


class Refusal(Exception):
    """An answer other than success, from the table or a store error."""

    def __init__(self, name: str, message: str | None = None,
                 status: int | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        reply = REPLIES[name]
        super().__init__(name)
        self.name = name
        self.status = status or reply.status
        self.message = message or reply.message
        self.headers = dict(headers or {})


@dataclass
class Call:
    """One request as an endpoint sees it."""

    request: Request
    store: Store
    app: WebApp
    user: str | None = None
    session: SignedIn | None = None
    cookie: str = ""
    args: dict[str, Any] = field(default_factory=dict)

    def need_user(self) -> str:
        """The signed-in address, or a 401 refusal."""
        if self.user is None:
            raise Refusal("sign-in")
        return self.user

    def need_admin(self) -> str:
        """The signed-in address of an administrator, or a refusal."""
        user = self.need_user()
        if not self.store.directory.viewer(user).is_admin:
            log.warning("refused admin request %s from %s",
                        self.request.path, user)
            raise Refusal("not-admin")
        return user

    def body(self) -> dict[str, Any]:
        """The JSON object sent, or a 400 (415) refusal.

        The body must be declared ``application/json``: a cross-site
        form or a "simple" script request cannot declare it without a
        preflight, so no other site can make a browser send one.
        Nesting is checked before parsing: the parser recurses once per
        level, and a body a few hundred kilobytes deep would exhaust
        the stack.
        """
        if self.request.mimetype != "application/json":
            raise Refusal("media-type")
        raw = self.request.get_data(as_text=True) or "{}"
        if too_deep(raw, MAX_JSON_DEPTH):
            raise Refusal("too-deep")
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise Refusal("bad-json") from None
        if not isinstance(value, dict):
            raise Refusal("bad-json")
        return value


# An unterminated string runs to the end, so no quote is tried twice.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*\\?(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def too_deep(raw: str, limit: int) -> bool:
    """Whether JSON text nests arrays and objects too deep for the
    parser to be safe (or leaves brackets unbalanced).

    Only brackets outside strings count. Each round removes the
    innermost ``[]`` and then ``{}`` pairs, one level at least and two
    at most, so nesting up to ``limit`` always passes and nesting over
    twice ``limit`` never does. The work is done by the regex engine
    and ``str.replace``: no recursion, no Python loop per character.
    """
    if raw.count("[") + raw.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", raw))
    for _ in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace("[]", "").replace("{}", "")
        if shorter == brackets:
            return True
        brackets = shorter
    return bool(brackets)


ECHO_LIMIT = 80
MESSAGE_LIMIT = 400
_LONG_WORD = re.compile(rf"\S{{{ECHO_LIMIT + 1},}}")


def capped(message: str) -> str:
    """A message with what it echoes of the request cut short.

    Store errors quote the address, path or value they refused; a
    megabyte sent back would turn the API into an amplifier and bury
    the reason. Each word keeps its first ``ECHO_LIMIT`` characters,
    the whole message its first ``MESSAGE_LIMIT``.
    """
    message = _LONG_WORD.sub(
        lambda m: m.group()[:ECHO_LIMIT] + "\u2026", message)
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + "\u2026"
    return message


def text(source: Mapping[str, Any], name: str, default: str | None = None
         ) -> str:
    """A required (or defaulted) string field of a body or query."""
    value = source.get(name, default)
    if value is None or value == "":
        if default is not None:
            return default
        raise Refusal("missing", f"The field {name!r} is required.")
    if not isinstance(value, str):
        raise Refusal("bad-field", f"The field {name!r} must be a string.")
    return value


def flag(source: Mapping[str, Any], name: str) -> bool | None:
    """An optional boolean field; None when absent."""
    value = source.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise Refusal("bad-field", f"The field {name!r} must be true or false.")


def json_response(value: Any, status: int = 200) -> Response:
    """A JSON answer that no cache keeps."""
    response = Response(json.dumps(value, indent=1), status=status,
                        mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


Endpoint = Callable[..., Response]


class Routes:
    """Endpoints collected by decorator, turned into a werkzeug Map."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.endpoints: dict[str, Endpoint] = {}
        self.tokenless: set[str] = set()

    def add(self, path: str, *methods: str, token: bool = True
            ) -> Callable[[Endpoint], Endpoint]:
        """Route ``methods`` on ``path`` to the decorated function.

        ``token`` False exempts a sign-in endpoint from the CSRF token (a
        stale session must not stop anyone signing in again); the
        same-origin check still applies.
        """
        def register(func: Endpoint) -> Endpoint:
            name = f"{func.__module__}.{func.__name__}"
            self.rules.append(Rule(path, methods=list(methods),
                                   endpoint=name, strict_slashes=False))
            self.endpoints[name] = func
            if not token:
                self.tokenless.add(name)
            return func
        return register


def same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from our own pages.

    Browsers send ``Origin`` with every cross-site POST, PUT, PATCH and
    DELETE, and ``Sec-Fetch-Site`` when they know it; programs using
    Basic credentials send neither.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site not in (None, "same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    ours = urlsplit(request.host_url)
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


class WebApp:
    """The sharing pages and the API over one store."""

    def __init__(self, store: Store, authenticator: Authenticator,
                 routes: Iterable[Routes]) -> None:
        self.store = store
        self.authenticator = authenticator
        self.endpoints: dict[str, Endpoint] = {}
        self.tokenless: set[str] = set()
        rules: list[Rule] = []
        for table in routes:
            rules.extend(table.rules)
            self.endpoints.update(table.endpoints)
            self.tokenless |= table.tokenless
        self.urls = Map(rules)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]))

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        response = self.answer(request)
        _harden(response)
        log.debug("%s %s -> %d in %.1f ms", request.method, request.path,
                  response.status_code, (time.monotonic() - started) * 1e3)
        return response(environ, start_response)

    def answer(self, request: Request) -> Response:
        """Route, check and run one request; never raise."""
        call = Call(request, self.store, self)
        try:
            endpoint, args = self._route(request)
            self._identify(call)
            self._guard(call, endpoint)
            return self.endpoints[endpoint](call, **args)
        except Refusal as refusal:
            return self.refuse(call, refusal)
        except StoreError as error:
            status = STORE_STATUS.get(type(error), 400)
            return self.refuse(call, Refusal("error", str(error), status))
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return self.refuse(call, Refusal("error"))

    def _route(self, request: Request) -> tuple[str, dict[str, Any]]:
        try:
            endpoint, args = self.urls.bind_to_environ(
                request.environ).match()
        except MethodNotAllowed:
            raise Refusal("method") from None
        except (NotFound, HTTPException):
            raise Refusal("no-route") from None
        return str(endpoint), dict(args)

    def _identify(self, call: Call) -> None:
        basic = call.request.environ.get(ACCOUNT_KEY)
        if basic:
            call.user = str(basic).lower()
            return
        token = call.request.cookies.get(COOKIE, "")
        if token:
            found = find_session(self.store.db, token)
            if found is not None:
                call.user, call.session, call.cookie = \
                    found.address, found, token

    def _guard(self, call: Call, endpoint: str) -> None:
        """Cross-site and CSRF checks for state-changing requests."""
        request = call.request
        if request.method in SAFE_METHODS:
            return
        if not same_origin(request):
            log.warning("refused cross-site %s %s from %s", request.method,
                        request.path, request.remote_addr)
            raise Refusal("cross-site")
        if call.session is None or endpoint in self.tokenless:
            return
        sent = request.headers.get(CSRF_HEADER) or \
            request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent.encode(), call.session.csrf.encode()):
            log.warning("refused %s %s without the CSRF token from %s",
                        request.method, request.path, request.remote_addr)
            raise Refusal("csrf")

    def refuse(self, call: Call, refusal: Refusal) -> Response:
        """The answer for a refusal: JSON for the API, else a page."""
        refusal.message = capped(refusal.message)
        if call.request.path.startswith("/api/"):
            response = json_response(
                {"error": refusal.message, "status": refusal.status},
                refusal.status)
        elif refusal.name == "sign-in":
            return redirect_to_sign_in(call.request)
        else:
            response = self.page(call, "error.html", refusal.status,
                                 message=refusal.message)
        response.headers.update(refusal.headers)
        return response

    def page(self, call: Call, template: str, status: int = 200,
             **values: Any) -> Response:
        """A rendered page, with what every page shows."""
        admin = False
        if call.user is not None:
            admin = self.store.directory.viewer(call.user).is_admin
        html = self.templates.get_template(template).render(
            user=call.user, admin=admin,
            csrf=call.session.csrf if call.session else "", **values)
        response = Response(html, status=status, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response

    # region sign-in

    def sign_in(self, call: Call, address: str,
                password: str) -> tuple[str, SignedIn]:
        """Check a password under the throttle; open a session."""
        request = call.request
        remote = request.remote_addr or ""
        policy = self.store.config.http.plaintext_auth
        if not plaintext_allowed(policy, remote, request.is_secure):
            raise Refusal("needs-tls")
        address = address.strip().lower()
        wait = self.authenticator.throttle.delay(remote, address)
        if wait > 0:
            raise Refusal("throttled", headers={
                "Retry-After": str(max(1, math.ceil(wait)))})
        account = self.authenticator.verify(address, password)
        self.authenticator.record(account, address, remote, "web")
        if account is None:
            raise Refusal("bad-login")
        lifetime = self.store.config.http.web_session_lifetime
        return open_session(self.store.db, account.address, lifetime)

    def set_cookie(self, call: Call, response: Response, token: str) -> None:
        """Hand the session cookie to the browser."""
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="Strict", path="/",
            secure=call.request.is_secure,
            max_age=self.store.config.http.web_session_lifetime)

    def sign_out(self, call: Call, response: Response) -> None:
        """End the session and drop the cookie."""
        if call.cookie:
            close_session(self.store.db, call.cookie)
        response.delete_cookie(COOKIE, path="/", httponly=True,
                               samesite="Strict",
                               secure=call.request.is_secure)


def redirect_to_sign_in(request: Request) -> Response:
    """Send a browser to the sign-in page, coming back afterwards."""
    target = request.full_path.rstrip("?")
    response = Response("", status=303)
    response.headers["Location"] = "/signin?next=" + quote(target)
    return response


def _harden(response: Response) -> None:
    """Headers that keep the pages out of frames and scripts out of
    places they do not belong."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
