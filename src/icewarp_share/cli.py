"""The ``icewarp-share`` command: set up, administer and run the server.

Every subcommand takes ``--config``. Errors print one line on stderr and
exit non-zero; each change runs in one transaction, so nothing is
half-written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from icewarp_share import acl
from icewarp_share import config as configuration
from icewarp_share.store import Store, open_store
from icewarp_share.store.db import schema_is_current
from icewarp_share.store.errors import Invalid, StoreError

Command = Callable[[argparse.Namespace, Store], None]


class UsageError(Exception):
    """A command line that cannot be carried out as written."""


def split_target(text: str) -> tuple[str, str]:
    """``OWNER/PATH`` into owner address and folder path."""
    owner, sep, path = text.partition("/")
    if not sep or not path:
        raise Invalid(f"expected OWNER/PATH, got {text!r}")
    return owner, path


def _on_off(value: str) -> bool:
    if value.lower() in ("on", "yes", "true", "1"):
        return True
    if value.lower() in ("off", "no", "false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, got {value!r}")


# region commands


def cmd_domain_add(args: argparse.Namespace, store: Store) -> None:
    """Create a domain."""
    name = store.directory.add_domain(args.name,
                                      groupware=not args.no_groupware)
    print(f"domain {name} added")


def cmd_domain_list(args: argparse.Namespace, store: Store) -> None:
    """List domains."""
    for domain in store.directory.list_domains():
        flag = "" if domain.groupware else "  (groupware off)"
        print(f"{domain.name}{flag}")


def cmd_domain_groupware(args: argparse.Namespace, store: Store) -> None:
    """Switch groupware for one domain."""
    store.directory.set_domain_groupware(args.name, args.state)
    print(f"groupware {'on' if args.state else 'off'} for {args.name}")


def cmd_groupware(args: argparse.Namespace, store: Store) -> None:
    """Switch groupware for the whole server."""
    store.directory.set_server_groupware(args.state)
    print(f"groupware {'on' if args.state else 'off'} for the server")


def cmd_account_add(args: argparse.Namespace, store: Store) -> None:
    """Create an account with its standard folders."""
    account = store.directory.add_account(
        args.address, args.password, display_name=args.name or "",
        mail_mode=args.mail_mode, groupware=not args.no_groupware,
        is_admin=args.admin)
    print(f"account {account.address} added")


def cmd_account_list(args: argparse.Namespace, store: Store) -> None:
    """List accounts."""
    for account in store.directory.list_accounts(args.domain):
        notes = [account.mail_mode]
        if not account.groupware:
            notes.append("groupware off")
        if account.is_admin:
            notes.append("admin")
        name = f"  {account.display_name}" if account.display_name else ""
        print(f"{account.address}{name}  ({', '.join(notes)})")


def cmd_account_set(args: argparse.Namespace, store: Store) -> None:
    """Change an account's password or switches."""
    if args.password is not None:
        store.directory.set_password(args.address, args.password)
    store.directory.update_account(
        args.address, groupware=args.groupware, mail_mode=args.mail_mode,
        is_admin=args.admin, display_name=args.name)
    print(f"account {args.address} updated")


def cmd_group_add(args: argparse.Namespace, store: Store) -> None:
    """Create a group."""
    group = store.directory.add_group(
        args.address, members=args.member or (),
        public_folder=args.public_folder,
        deliver_to_folder=args.deliver_to_folder, gal=args.gal,
        display_name=args.name or "")
    print(f"group {group.address} added")


def cmd_group_list(args: argparse.Namespace, store: Store) -> None:
    """List groups with their options and members."""
    for group in store.directory.list_groups():
        options = [name for name, on in (
            ("public folder", group.public_folder),
            ("deliver to folder", group.deliver_to_folder),
            ("GAL", group.gal)) if on]
        members = ", ".join(store.directory.members(group.address))
        extra = f"  ({', '.join(options)})" if options else ""
        print(f"{group.address}{extra}: {members or 'no members'}")


def cmd_group_member_add(args: argparse.Namespace, store: Store) -> None:
    """Add a member to a group."""
    store.directory.add_member(args.group, args.member)
    print(f"{args.member} added to {args.group}")


def cmd_group_member_remove(args: argparse.Namespace, store: Store) -> None:
    """Remove a member from a group."""
    store.directory.remove_member(args.group, args.member)
    print(f"{args.member} removed from {args.group}")


def cmd_folder_add(args: argparse.Namespace, store: Store) -> None:
    """Create a folder."""
    owner, path = split_target(args.target)
    if args.recursive and not args.map_dir:
        raise Invalid("--recursive needs --map-dir")
    folder = store.directory.add_folder(
        owner, path, args.kind, map_dir=args.map_dir,
        recursive=args.recursive, virtual=args.virtual)
    print(f"folder {owner.lower()}/{folder.path} ({folder.kind}) added")


def cmd_folder_list(args: argparse.Namespace, store: Store) -> None:
    """List the folders of an account or group."""
    for folder in store.directory.folders(args.owner):
        notes = [folder.kind]
        if folder.virtual:
            notes.append("virtual")
        if folder.gal:
            notes.append("GAL")
        if folder.map_dir:
            notes.append(f"mapped to {folder.map_dir}" +
                         (", recursive" if folder.map_recursive else ""))
        grants = store.directory.grants(args.owner, folder.path)
        shared = "; ".join(f"{g.grantee} {g.rights or '-'}" for g in grants)
        print(f"{folder.path}  ({', '.join(notes)})"
              + (f"  shared: {shared}" if shared else ""))


def cmd_share(args: argparse.Namespace, store: Store) -> None:
    """Grant rights on a folder."""
    owner, path = split_target(args.target)
    change = store.directory.share(owner, path, args.grantee, args.rights)
    preset = change.after.preset_name()
    label = change.after.letters or "no rights"
    if preset and change.after.letters:
        label += f" ({preset})"
    print(f"{change.grantee} has {label} on {change.owner}/{change.path}")


def cmd_unshare(args: argparse.Namespace, store: Store) -> None:
    """Remove a grant."""
    owner, path = split_target(args.target)
    store.directory.unshare(owner, path, args.grantee)
    print(f"grant of {args.grantee} on {owner.lower()}/{path} removed")


def cmd_rights(args: argparse.Namespace, store: Store) -> None:
    """Print effective rights and the grant that decided them."""
    owner, path = split_target(args.target)
    decision = store.directory.decide(args.user, owner, path)
    print(decision.rights.letters or "(none)")
    print(decision.explain())


def cmd_subscribe(args: argparse.Namespace, store: Store) -> None:
    """Subscribe a user to a folder or a whole account."""
    owner, _, path = args.target.partition("/")
    store.directory.subscribe(args.user, owner, path or None)
    print(f"{args.user} subscribed to {args.target}")


def cmd_unsubscribe(args: argparse.Namespace, store: Store) -> None:
    """Drop a subscription."""
    owner, _, path = args.target.partition("/")
    store.directory.unsubscribe(args.user, owner, path or None)
    print(f"{args.user} unsubscribed from {args.target}")


def cmd_demo(args: argparse.Namespace, store: Store) -> None:
    """Fill the store with the demo domain."""
    from icewarp_share import demo
    for line in demo.populate(store):
        print(line)


# endregion


def _parser() -> argparse.ArgumentParser:
    # --config may come before or after the subcommand; SUPPRESS keeps a
    # subcommand's absent option from overwriting the one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS,
        help=f"TOML configuration file (default: ${configuration.ENV_VAR} "
        "or built-in defaults)")
    parser = argparse.ArgumentParser(
        prog="icewarp-share", parents=[common],
        description="Mail and groupware server with folder sharing.")
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="COMMAND")

    def add(name: str, func: Callable[..., Any] | None, help: str,
            into: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = into.add_parser(
            name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    add("init", None, "create the data directory, run migrations, "
        "make the TLS certificate")
    add("demo", cmd_demo, "add the demo domain, accounts, shares, content")
    add("serve", None, "run every listener in this process")
    add("config", None, "print every option at its default")

    gw = add("groupware", cmd_groupware, "switch groupware for the server")
    gw.add_argument("state", type=_on_off, metavar="on|off")

    domain = add("domain", None, "domains").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    p = add("add", cmd_domain_add, "add a domain", domain)
    p.add_argument("name")
    p.add_argument("--no-groupware", action="store_true")
    add("list", cmd_domain_list, "list domains", domain)
    p = add("groupware", cmd_domain_groupware,
            "switch groupware for a domain", domain)
    p.add_argument("name")
    p.add_argument("state", type=_on_off, metavar="on|off")

    account = add("account", None, "accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    p = add("add", cmd_account_add, "add an account", account)
    p.add_argument("address")
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    p.add_argument("--mail-mode", default="imap",
                   choices=[m.value for m in acl.MailMode])
    p.add_argument("--no-groupware", action="store_true")
    p.add_argument("--admin", action="store_true",
                   help="server administrator (admin pages and API)")
    p = add("list", cmd_account_list, "list accounts", account)
    p.add_argument("--domain")
    p = add("set", cmd_account_set, "change an account", account)
    p.add_argument("address")
    p.add_argument("--password")
    p.add_argument("--name")
    p.add_argument("--mail-mode", choices=[m.value for m in acl.MailMode])
    p.add_argument("--groupware", type=_on_off, metavar="on|off")
    p.add_argument("--admin", type=_on_off, metavar="on|off")

    group = add("group", None, "groups").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    p = add("add", cmd_group_add, "add a group", group)
    p.add_argument("address")
    p.add_argument("--name")
    p.add_argument("--member", action="append", metavar="ADDRESS|[DOMAIN]")
    p.add_argument("--public-folder", action="store_true")
    p.add_argument("--deliver-to-folder", action="store_true")
    p.add_argument("--gal", action="store_true")
    add("list", cmd_group_list, "list groups", group)
    member = add("member", None, "group members", group).add_subparsers(
        dest="member_action", required=True, metavar="ACTION")
    for name, func in (("add", cmd_group_member_add),
                       ("remove", cmd_group_member_remove)):
        p = add(name, func, f"{name} a member", member)
        p.add_argument("group")
        p.add_argument("member", metavar="ADDRESS|[DOMAIN]")

    folder = add("folder", None, "folders").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    p = add("add", cmd_folder_add, "add a folder", folder)
    p.add_argument("target", metavar="OWNER/PATH")
    p.add_argument("--kind", required=True,
                   choices=[k.value for k in acl.FolderKind])
    p.add_argument("--map-dir", metavar="DIR",
                   help="serve a server directory (files folders only)")
    p.add_argument("--recursive", action="store_true")
    p.add_argument("--virtual", action="store_true",
                   help="a virtual folder (never shareable)")
    p = add("list", cmd_folder_list, "list folders", folder)
    p.add_argument("owner")

    p = add("share", cmd_share, "grant rights on a folder")
    p.add_argument("target", metavar="OWNER/PATH")
    p.add_argument("grantee", metavar="ADDRESS|GROUP|[DOMAIN]|anyone")
    p.add_argument("--rights", required=True, metavar="PRESET|LETTERS",
                   help="none, read, author, write, all, full, or "
                   "RFC 4314 letters lrswipkxtea")
    p = add("unshare", cmd_unshare, "remove a grant")
    p.add_argument("target", metavar="OWNER/PATH")
    p.add_argument("grantee")
    p = add("rights", cmd_rights, "explain a user's rights on a folder")
    p.add_argument("user")
    p.add_argument("target", metavar="OWNER/PATH")
    for name, func in (("subscribe", cmd_subscribe),
                       ("unsubscribe", cmd_unsubscribe)):
        p = add(name, func, f"{name} a user to or from a folder or account")
        p.add_argument("user")
        p.add_argument("target", metavar="OWNER[/PATH]")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"icewarp-share: error: {message}", file=sys.stderr)
    return code


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        config = configuration.load(getattr(args, "config", None))
    except configuration.ConfigError as exc:
        return _fail(str(exc), 2)
    if args.command == "config":
        print(configuration.example_toml(), end="")
        return 0
    if args.command == "init":
        from icewarp_share import setup
        try:
            for line in setup.initialise(config):
                print(line)
        except SQLAlchemyError as exc:
            return _fail(_database_problem(exc))
        return 0
    if args.command == "serve":
        from icewarp_share import server
        return server.run(config)
    return _run_store_command(args, config)


def _database_problem(exc: Exception) -> str:
    """One line on a database failure: the driver's first line only,
    never the statement or its parameters (they may hold a hash)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first = str(exc.orig).strip().splitlines()[0:1]
        return "the database refused: " + (first[0] if first else "error")
    return f"cannot use the database: {type(exc).__name__}"


def _run_store_command(args: argparse.Namespace,
                       config: configuration.Config) -> int:
    try:
        store = open_store(config)
    except (SQLAlchemyError, ImportError) as exc:
        return _fail("cannot open the database: check "
                     f"storage.database_url ({type(exc).__name__})")
    try:
        if not schema_is_current(store.db.engine):
            return _fail("the database is not initialised or is out of "
                         "date; run 'icewarp-share init'")
        args.func(args, store)
    except StoreError as exc:
        return _fail(str(exc))
    except SQLAlchemyError as exc:
        return _fail(_database_problem(exc))
    finally:
        store.close()
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
