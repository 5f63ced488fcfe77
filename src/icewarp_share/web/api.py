"""The JSON API under ``/api/``: folders, grants, subscriptions, admin.

Every endpoint asks the directory and the ACL core; none reads grants on
its own. A folder the caller may not look up answers exactly like a
missing one (404 "No such folder."). The routes, bodies and statuses are
documented in ``docs/api/openapi.yaml``, and a test checks the two agree.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from werkzeug.wrappers import Response

from icewarp_share import acl
from icewarp_share.store import sharing
from icewarp_share.store.errors import NotFound
from icewarp_share.web.app import (
    Call,
    Refusal,
    Routes,
    flag,
    json_response,
    text,
)

log = logging.getLogger(__name__)

routes = Routes()


# region shapes


def grant_json(grant: acl.Grant) -> dict[str, Any]:
    """One grant, with its rights split the way the dialog shows them."""
    return {"grantee": str(grant.grantee), "kind": grant.grantee.kind.value,
            **rights_json(grant.rights)}


def rights_json(rights: acl.Rights) -> dict[str, Any]:
    """Letters, preset name, and the item and folder halves."""
    return {"rights": rights.letters, "preset": rights.preset_name(),
            "item_rights": (rights & acl.Rights(acl.ITEM_LETTERS)).letters,
            "folder_rights":
                (rights & acl.Rights(acl.FOLDER_LETTERS)).letters}


def visible_json(visible: acl.VisibleFolder) -> dict[str, Any]:
    """A folder of a list, as the viewer sees it."""
    facts = visible.folder
    return {"owner": facts.owner, "owner_kind": facts.owner_kind.value,
            "path": facts.path, "kind": facts.kind.value,
            "name": visible.name, "subscribed": visible.subscribed,
            "via": visible.via.value,
            **rights_json(visible.decision.rights)}


def decision_json(decision: acl.Decision) -> dict[str, Any]:
    """The rights of the caller and why, as ``rights explain`` says."""
    return {**rights_json(decision.rights),
            "source": decision.source.value,
            "grants": [grant_json(g) for g in decision.grants],
            "inherited_from": decision.inherited_from,
            "reason": decision.reason}


# region folder access


def folder_ref(call: Call, source: dict[str, Any]) -> tuple[str, str]:
    """Owner (default: the caller) and path named by a query or body."""
    user = call.need_user()
    owner = text(source, "owner", user).strip().lower()
    return owner, text(source, "path").strip("/")


def looked_up(call: Call, owner: str, path: str) -> acl.Decision:
    """The caller's decision on a folder it may look up, else 404."""
    user = call.need_user()
    try:
        decision = call.store.directory.decide(user, owner, path)
    except NotFound:
        raise Refusal("no-folder") from None
    if not acl.may(decision, acl.Operation.LOOKUP):
        raise Refusal("no-folder")
    return decision


def administered(call: Call, owner: str, path: str) -> None:
    """Refuse unless the caller may change the folder's rights.

    The owner may, and whoever holds ``a`` (RFC 4314); administrators may
    on the folders of groups, which belong to no account.
    """
    user = call.need_user()
    directory = call.store.directory
    try:
        kind = directory.owner(owner).kind
        directory.folder(owner, path)
    except NotFound:
        raise Refusal("no-folder") from None
    if kind is acl.OwnerKind.GROUP and directory.viewer(user).is_admin:
        return
    decision = looked_up(call, owner, path)
    if not acl.may(decision, acl.Operation.ADMINISTER):
        log.warning("refused a rights change on %s/%s by %s", owner, path,
                    user)
        raise Refusal("not-folder-admin")


# region session and reference


@routes.add("/api/session", "POST", token=False)
def create_session(call: Call) -> Response:
    """Sign in with address and password; set the session cookie."""
    body = call.body()
    token, signed = call.app.sign_in(call, text(body, "address"),
                                     text(body, "password"))
    response = json_response({"address": signed.address,
                              "csrf_token": signed.csrf}, 201)
    call.app.set_cookie(call, response, token)
    return response


@routes.add("/api/session", "DELETE")
def delete_session(call: Call) -> Response:
    """Sign out: end the session of the cookie."""
    call.need_user()
    response = Response(status=204)
    call.app.sign_out(call, response)
    return response


@routes.add("/api/me", "GET")
def me(call: Call) -> Response:
    """Who is signed in, and whether it administers."""
    user = call.need_user()
    account = call.store.directory.account(user)
    return json_response({
        "address": account.address, "display_name": account.display_name,
        "is_admin": account.is_admin,
        "csrf_token": call.session.csrf if call.session else None})


@routes.add("/api/rights/presets", "GET")
def presets(call: Call) -> Response:
    """Presets and letters, with a sentence per letter, for the dialog."""
    call.need_user()
    return json_response({
        "presets": {name: r.letters for name, r in acl.PRESETS.items()},
        "item_letters": acl.ITEM_LETTERS,
        "folder_letters": acl.FOLDER_LETTERS,
        "descriptions": {c: acl.describe(c) for c in acl.LETTERS}})


# region my folders and their grants


@routes.add("/api/folders", "GET")
def my_folders(call: Call) -> Response:
    """The caller's own folders with their grants."""
    user = call.need_user()
    own = [v for v in call.store.directory.visible(user)
           if v.via is acl.Via.OWN]
    return json_response({"folders": [
        {**visible_json(v),
         "grants": [grant_json(g) for g in v.folder.grants]}
        for v in own]})


@routes.add("/api/grants", "GET")
def list_grants(call: Call) -> Response:
    """A folder's own grants, and the inherited ones if it has none."""
    owner, path = folder_ref(call, call.request.args)
    administered(call, owner, path)
    facts = call.store.directory.facts(owner, path)
    applied, level = acl.applicable_grants(facts)
    inherited = [] if level is None else [grant_json(g) for g in applied]
    return json_response({
        "owner": owner, "path": facts.path, "kind": facts.kind.value,
        "grants": [grant_json(g) for g in facts.grants],
        "inherited": inherited})


@routes.add("/api/grants", "POST")
def share(call: Call) -> Response:
    """Create or change the grant of one grantee on a folder."""
    body = call.body()
    owner, path = folder_ref(call, body)
    administered(call, owner, path)
    grantee = text(body, "grantee")
    if not sharing.may_name_grantee(call.store, call.need_user(), grantee):
        raise Refusal("no-grantee")
    try:
        change = call.store.directory.share(
            owner, path, grantee, text(body, "rights", "none"))
    except NotFound:
        # The folder was checked above: what is missing is the grantee.
        raise Refusal("no-grantee") from None
    log.info("%s shared %s/%s with %s: %s", call.user, owner, path,
             change.grantee, change.after.letters or "none")
    created = change.before is None
    return json_response({
        "grant": grant_json(acl.Grant(change.grantee, change.after)),
        "created": created, "widened": change.widened},
        201 if created else 200)


@routes.add("/api/grants", "DELETE")
def revoke(call: Call) -> Response:
    """Remove the grant of one grantee on a folder."""
    args = call.request.args
    owner, path = folder_ref(call, args)
    administered(call, owner, path)
    try:
        call.store.directory.unshare(owner, path, text(args, "grantee"))
    except NotFound:
        # One answer for an unknown grantee and one without a grant.
        raise Refusal("no-grant") from None
    log.info("%s revoked %s on %s/%s", call.user, args["grantee"], owner,
             path)
    return Response(status=204)


@routes.add("/api/rights", "GET")
def explain(call: Call) -> Response:
    """The caller's effective rights on a folder, and the reason."""
    owner, path = folder_ref(call, call.request.args)
    return json_response(decision_json(looked_up(call, owner, path)))


# region shared with me and subscriptions


@routes.add("/api/shared", "GET")
def shared_with_me(call: Call) -> Response:
    """Folders others share with the caller, and its subscriptions."""
    user = call.need_user()
    found = sharing.shared_with_me(call.store, user)
    return json_response({
        "folders": [visible_json(v) for v in found.folders],
        "subscriptions": [{"owner": s.owner, "path": s.path}
                          for s in found.subscriptions]})


def subscription_ref(call: Call, source: Any) -> tuple[str, str, str | None]:
    """Caller, owner and optional path of a subscription request."""
    user = call.need_user()
    owner = text(source, "owner").strip().lower()
    path = source.get("path") or None
    if path is not None and not isinstance(path, str):
        raise Refusal("bad-field", "The field 'path' must be a string.")
    if owner == user:
        raise Refusal("bad-field", "Your own folders need no subscription.",
                      status=400)
    return user, owner, path and path.strip("/")


def shares_with(call: Call, owner: str) -> bool:
    """Whether ``owner`` shows the caller at least one folder: a share
    it may look up, or a public folder of a group it belongs to.

    An account that shares nothing with the caller answers like a
    missing one, so subscribing reveals no account of any domain.
    """
    user = call.need_user()
    return any(v.folder.owner == owner and v.via is not acl.Via.OWN
               for v in call.store.directory.visible(
                   user, subscribed_only=False))


@routes.add("/api/subscriptions", "POST")
def subscribe(call: Call) -> Response:
    """Subscribe to one folder, or (without path) to a whole account."""
    user, owner, path = subscription_ref(call, call.body())
    directory = call.store.directory
    if path is not None:
        looked_up(call, owner, path)
    elif not shares_with(call, owner):
        raise Refusal("no-owner")
    wanted = acl.Subscription(directory.owner(owner).address, path)
    known = wanted in directory.subscriptions(user)
    if not known:
        directory.subscribe(user, owner, path)
        log.info("%s subscribed to %s", user,
                 owner + ("/" + path if path else ""))
    return json_response({"owner": wanted.owner, "path": path},
                         200 if known else 201)


@routes.add("/api/subscriptions", "DELETE")
def unsubscribe(call: Call) -> Response:
    """Drop a subscription to one folder or to a whole account."""
    user, owner, path = subscription_ref(call, call.request.args)
    held = call.store.directory.subscriptions(user)
    if not any(acl.address_key(s.owner) == owner and s.path == path
               for s in held):
        if path is not None:
            looked_up(call, owner, path)  # a hidden folder: 404 as missing
        raise Refusal("not-subscribed")
    call.store.directory.unsubscribe(user, owner, path)
    log.info("%s unsubscribed from %s", user,
             owner + ("/" + path if path else ""))
    return Response(status=204)


@routes.add("/api/contacts", "GET")
def contacts(call: Call) -> Response:
    """Grantee picker: people and groups matching the text ``q``."""
    user = call.need_user()
    found = sharing.search_contacts(call.store, user,
                                    call.request.args.get("q", ""))
    return json_response({"contacts": [
        {"address": c.address, "name": c.name, "kind": c.kind,
         "source": c.source} for c in found]})


# region administration


def group_json(call: Call, address: str) -> dict[str, Any]:
    """A group with its options and members."""
    directory = call.store.directory
    group = directory.group(address)
    return {"address": group.address, "display_name": group.display_name,
            "public_folder": group.public_folder,
            "deliver_to_folder": group.deliver_to_folder,
            "gal": group.gal, "members": directory.members(group.address)}


@routes.add("/api/admin/groups", "GET")
def list_groups(call: Call) -> Response:
    """Every group with its options and members."""
    call.need_admin()
    groups = call.store.directory.list_groups()
    return json_response({"groups": [group_json(call, g.address)
                                     for g in groups]})


@routes.add("/api/admin/groups", "POST")
def add_group(call: Call) -> Response:
    """Create a group, with members and options."""
    call.need_admin()
    body = call.body()
    members = body.get("members") or []
    if not isinstance(members, list) or \
            not all(isinstance(m, str) for m in members):
        raise Refusal("bad-field", "'members' must be a list of strings.")
    group = call.store.directory.add_group(
        text(body, "address"), members=members,
        public_folder=bool(flag(body, "public_folder")),
        deliver_to_folder=bool(flag(body, "deliver_to_folder")),
        gal=bool(flag(body, "gal")),
        display_name=text(body, "display_name", ""))
    log.info("%s added the group %s", call.user, group.address)
    sharing.sync_group_cards(call.store, group.address)
    return json_response(group_json(call, group.address), 201)


@routes.add("/api/admin/groups/<address>", "GET")
def show_group(call: Call, address: str) -> Response:
    """One group, with the grants of its public folders."""
    call.need_admin()
    found = group_json(call, address)
    directory = call.store.directory
    found["folders"] = [
        {"path": f.path, "kind": f.kind, "gal": f.gal,
         "grants": [grant_json(g)
                    for g in directory.grants(found["address"], f.path)]}
        for f in directory.folders(found["address"])]
    return json_response(found)


@routes.add("/api/admin/groups/<address>", "PATCH")
def change_group(call: Call, address: str) -> Response:
    """Change the public folder, deliver-to-folder and GAL options."""
    call.need_admin()
    body = call.body()
    gal = flag(body, "gal")
    directory = call.store.directory
    directory.update_group(
        address, public_folder=flag(body, "public_folder"),
        deliver_to_folder=flag(body, "deliver_to_folder"), gal=gal)
    group = directory.group(address)
    if gal is not None and group.public_folder:
        # The group's address book is searched as a GAL exactly when
        # the group has the GAL option.
        directory.update_folder(group.address, "Contacts", gal=gal)
    sharing.sync_group_cards(call.store, group.address)
    log.info("%s changed the options of %s", call.user, address)
    return json_response(group_json(call, address))


@routes.add("/api/admin/groups/<address>/members", "POST")
def add_member(call: Call, address: str) -> Response:
    """Add an account or a whole ``[domain]`` to a group."""
    call.need_admin()
    member = text(call.body(), "member")
    call.store.directory.add_member(address, member)
    sharing.sync_group_cards(call.store, address)
    log.info("%s added %s to %s", call.user, member, address)
    return json_response(group_json(call, address), 201)


@routes.add("/api/admin/groups/<address>/members/<member>", "DELETE")
def remove_member(call: Call, address: str, member: str) -> Response:
    """Remove an account or domain from a group."""
    call.need_admin()
    call.store.directory.remove_member(address, member)
    sharing.sync_group_cards(call.store, address)
    log.info("%s removed %s from %s", call.user, member, address)
    return Response(status=204)


@routes.add("/api/admin/groups/<address>/members/<member>/rights", "PUT")
def set_member_rights(call: Call, address: str, member: str) -> Response:
    """Give one member account its own rights on every public folder.

    ``"rights": "default"`` removes the member's own grants, so it falls
    back to what the group gets. A domain member cannot be given rights
    of its own: a domain grant ranks below the group's grant.
    """
    call.need_admin()
    rights = text(call.body(), "rights")
    directory = call.store.directory
    group = directory.group(address)
    if member.strip().startswith("["):
        raise Refusal("bad-field", "Rights of their own go to member "
                      "accounts; a domain grant would rank below the "
                      "group's.")
    if acl.address_key(member) not in directory.members(group.address):
        raise NotFound(f"{member} is not a member of {group.address}")
    for folder in directory.folders(group.address):
        _set_own_grant(call, group.address, folder.path, member, rights)
    log.info("%s set rights %s for %s on %s", call.user, rights, member,
             group.address)
    return show_group(call, group.address)


def _set_own_grant(call: Call, owner: str, path: str, member: str,
                   rights: str) -> None:
    directory = call.store.directory
    if rights != "default":
        directory.share(owner, path, member, rights)
        return
    try:
        directory.unshare(owner, path, member)
    except NotFound:
        pass


@routes.add("/api/admin/folders", "GET")
def admin_folders(call: Call) -> Response:
    """Every folder of an account or group, with GAL and mapping."""
    call.need_admin()
    owner = text(call.request.args, "owner")
    folders = call.store.directory.folders(owner)
    return json_response({"owner": owner.lower(), "folders": [
        {"path": f.path, "kind": f.kind, "gal": f.gal,
         "map_dir": f.map_dir, "map_recursive": f.map_recursive}
        for f in folders]})


@routes.add("/api/admin/folders", "PATCH")
def change_folder(call: Call) -> Response:
    """Flag a contacts folder as GAL; map a files folder to a directory."""
    call.need_admin()
    body = call.body()
    owner, path = text(body, "owner"), text(body, "path")
    map_dir = body.get("map_dir")
    if map_dir is not None:
        if not isinstance(map_dir, str):
            raise Refusal("bad-field", "'map_dir' must be a string.")
        if map_dir and not (os.path.isabs(map_dir)
                            and os.path.isdir(map_dir)):
            raise Refusal("bad-field", "'map_dir' must be an existing "
                          "directory of the server, as an absolute path.")
    directory = call.store.directory
    directory.update_folder(owner, path, map_dir=map_dir,
                            recursive=flag(body, "map_recursive"),
                            gal=flag(body, "gal"))
    log.info("%s changed the folder %s/%s", call.user, owner, path)
    folder = directory.folder(owner, path)
    return json_response({"owner": owner.lower(), "path": folder.path,
                          "kind": folder.kind, "gal": folder.gal,
                          "map_dir": folder.map_dir,
                          "map_recursive": folder.map_recursive})
