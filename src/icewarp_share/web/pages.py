"""The web pages at ``/``: sign in, my folders, shared with me, admin.

Pages are rendered on the server from the same directory calls as the
API; the buttons on them call the API from ``static/app.js`` with the
session's CSRF token. Nothing here needs the network at run time.
"""

from __future__ import annotations

import unicodedata
from itertools import groupby
from typing import Any
from urllib.parse import urlsplit

from werkzeug.security import safe_join
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from icewarp_share import acl
from icewarp_share.store import sharing
from icewarp_share.web.api import grant_json, visible_json
from icewarp_share.web.app import HERE, Call, Refusal, Routes

routes = Routes()

STATIC_TYPES = {".js": "text/javascript", ".css": "text/css",
                ".svg": "image/svg+xml"}


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only.

    Browsers drop tabs and newlines from a ``Location`` and read ``\\``
    as ``/``, so ``/<tab>/evil.com`` would become ``//evil.com``: any
    control character, whitespace or backslash sends the user home.
    """
    if not target or len(target) > 2048 or not target.startswith("/") \
            or target.startswith("//") or "\\" in target \
            or any(c.isspace() or unicodedata.category(c)[0] in "CZ"
                   for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@routes.add("/signin", "GET")
def sign_in_form(call: Call) -> Response:
    """The sign-in form."""
    return call.app.page(call, "signin.html",
                         next=safe_next(call.request.args.get("next")))


@routes.add("/signin", "POST", token=False)
def sign_in(call: Call) -> Response:
    """Check the form's credentials and start a session."""
    form = call.request.form
    target = safe_next(form.get("next"))
    # Echoed into the form on failure; no address is longer.
    address = form.get("address", "")[:320]
    try:
        token, _signed = call.app.sign_in(call, address,
                                          form.get("password", ""))
    except Refusal as refusal:
        response = call.app.page(call, "signin.html", refusal.status,
                                 next=target, address=address,
                                 message=refusal.message)
        response.headers.update(refusal.headers)
        return response
    response = redirect(target, 303)
    call.app.set_cookie(call, response, token)
    return response


@routes.add("/signout", "POST")
def sign_out(call: Call) -> Response:
    """End the session and go back to the sign-in form."""
    response = redirect("/signin", 303)
    call.app.sign_out(call, response)
    return response


@routes.add("/", "GET")
def my_folders(call: Call) -> Response:
    """My folders, each with its "Sharing and rights" dialog."""
    user = call.need_user()
    own = [v for v in call.store.directory.visible(user)
           if v.via is acl.Via.OWN]
    folders = [{**visible_json(v),
                "grants": [grant_json(g) for g in v.folder.grants]}
               for v in own]
    return call.app.page(call, "folders.html", folders=folders,
                         presets=acl.PRESETS, **_letters())


def _letters() -> dict[str, Any]:
    return {"item_letters": [(c, acl.describe(c)) for c in acl.ITEM_LETTERS],
            "folder_letters": [(c, acl.describe(c))
                               for c in acl.FOLDER_LETTERS]}


@routes.add("/shared", "GET")
def shared_with_me(call: Call) -> Response:
    """What others share with me, grouped by owner, with subscribe."""
    user = call.need_user()
    found = sharing.shared_with_me(call.store, user)
    accounts = {acl.address_key(s.owner) for s in found.subscriptions
                if s.path is None}
    folders = sorted((visible_json(v) for v in found.folders),
                     key=lambda f: (f["owner"], f["path"]))
    owners = [{"owner": owner, "owner_kind": items[0]["owner_kind"],
               "account_subscribed": owner in accounts, "folders": items}
              for owner, group in groupby(folders, key=lambda f: f["owner"])
              for items in [list(group)]]
    args = call.request.args
    offer = {"owner": args.get("owner", "").lower(),
             "path": args.get("path", ""), "what": args.get("offer", "")}
    return call.app.page(call, "shared.html", owners=owners, offer=offer,
                         prefixes=call.store.prefixes)


@routes.add("/admin", "GET")
def admin(call: Call) -> Response:
    """Groups, their members and options; GAL and mapped folders."""
    call.need_admin()
    directory = call.store.directory
    groups = [{"group": g, "members": directory.members(g.address)}
              for g in directory.list_groups()]
    owner = call.request.args.get("owner", "").strip().lower()
    folders = directory.folders(owner) if owner else []
    return call.app.page(call, "admin.html", groups=groups, owner=owner,
                         folders=folders)


@routes.add("/static/<name>", "GET")
def static(call: Call, name: str) -> Response:
    """The stylesheet and the script of the pages."""
    path = safe_join(str(HERE / "static"), name)
    suffix = name[name.rfind("."):] if "." in name else ""
    if path is None or suffix not in STATIC_TYPES:
        raise Refusal("no-route")
    try:
        with open(path, "rb") as handle:
            body = handle.read()
    except OSError:
        raise Refusal("no-route") from None
    response = Response(body, mimetype=STATIC_TYPES[suffix])
    response.headers["Cache-Control"] = "max-age=300"
    return response
