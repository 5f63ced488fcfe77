"""Configuration: one schema gives every option its default, type and help.

The schema is a set of frozen dataclasses, one per TOML table. A field's
default is the option's default, its annotation is the expected type and
its ``help`` metadata is the text shown in ``conf/icewarp-share.toml`` and
``icewarp-share config``. Loading a file checks every key against the
schema: an unknown key or a value of the wrong type stops the program with
a message naming the file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VAR = "ICEWARP_SHARE_CONFIG"

LOGIN_POLICIES = ("never", "loopback", "always")


def _opt(default: Any, help: str, choices: tuple[str, ...] = ()) -> Any:
    """A schema field: its default, its help text and allowed values."""
    meta = {"help": help, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class StorageSection:
    """Where data lives."""

    data_dir: str = _opt(
        "./data", "Directory for message bodies, files, the SQLite "
        "database and the generated TLS certificate.")
    database_url: str = _opt(
        "", "SQLAlchemy URL of the database. Empty: SQLite file "
        "icewarp-share.sqlite3 inside data_dir. Example: "
        "postgresql+psycopg://user@127.0.0.1/icewarp")
    map_roots: list[str] = _opt(
        [], "Directories under which an administrator may map a files "
        "folder (folder add --map-dir). Empty: any directory that neither "
        "contains nor lies inside data_dir. Setting it is recommended: a "
        "mapped directory is served to every grantee of the folder.")


@dataclass(frozen=True)
class ImapSection:
    """The IMAP listeners."""

    listen: list[str] = _opt(
        ["127.0.0.1:1143"], "Plain IMAP listeners (STARTTLS offered), as "
        "HOST:PORT. An empty list turns them off.")
    tls_listen: list[str] = _opt(
        ["127.0.0.1:1993"], "Implicit-TLS IMAP listeners, as HOST:PORT.")
    plaintext_login: str = _opt(
        "loopback", "Where LOGIN and AUTHENTICATE PLAIN are accepted "
        "before TLS: never, loopback (clients on 127.0.0.0/8 and ::1), "
        "always.", LOGIN_POLICIES)
    max_line_length: int = _opt(
        65536, "Longest command line accepted, in bytes.")
    max_literal_size: int = _opt(
        52428800, "Largest literal (APPEND body) accepted, in bytes.")


@dataclass(frozen=True)
class LmtpSection:
    """LMTP delivery from an MTA."""

    listen: list[str] = _opt(
        ["127.0.0.1:2424"], "LMTP listeners, as HOST:PORT.")
    max_message_size: int = _opt(
        52428800, "Largest message accepted, in bytes (552 above it).")


@dataclass(frozen=True)
class HttpSection:
    """The HTTP listeners serving DAV, WebDAV, the API and web pages."""

    listen: list[str] = _opt(
        ["127.0.0.1:8080"], "Plain HTTP listeners, as HOST:PORT.")
    tls_listen: list[str] = _opt(
        ["127.0.0.1:8443"], "HTTPS listeners, as HOST:PORT.")
    plaintext_auth: str = _opt(
        "loopback", "Where HTTP Basic authentication is accepted without "
        "TLS: never, loopback, always.", LOGIN_POLICIES)
    max_request_body: int = _opt(
        10485760, "Largest DAV or API request body, in bytes (413 above).")
    max_upload_size: int = _opt(
        1073741824, "Largest WebDAV file upload, in bytes (413 above).")
    web_session_lifetime: int = _opt(
        28800, "Seconds a sign-in to the web pages lasts.")


@dataclass(frozen=True)
class TlsSection:
    """Certificate for IMAPS, STARTTLS and HTTPS."""

    cert: str = _opt(
        "", "PEM certificate chain. Empty: a self-signed certificate is "
        "generated into data_dir on first start.")
    key: str = _opt("", "PEM private key matching cert.")


@dataclass(frozen=True)
class SharingSection:
    """How shared folders are named and announced."""

    shared_prefix: str = _opt(
        "~", "Prefix of other accounts' folders: '~' gives "
        "~jean@example.com/Calendar; 'Shared/Accounts/' gives "
        "Shared/Accounts/jean@example.com/Calendar.")
    public_prefix: str = _opt(
        "Public/", "Prefix of group public folders: "
        "Public/sales@example.com/INBOX.")
    notifications: bool = _opt(
        False, "Send a message to the grantee's INBOX when a grant is "
        "created or widened.")
    notification_from: str = _opt(
        "", "Sender address of sharing notifications; required when "
        "notifications are on.")
    base_url: str = _opt(
        "", "External URL of the web pages, used in notification links. "
        "Empty: the first HTTP listener.")


@dataclass(frozen=True)
class SecuritySection:
    """Throttling of failed logins."""

    login_delay: float = _opt(
        1.0, "Seconds added to the answer after each failed login from "
        "the same address or for the same account, doubled each time.")
    login_delay_max: float = _opt(
        16.0, "Longest delay after repeated failed logins, in seconds.")
    max_connections_per_address: int = _opt(
        50, "Simultaneous connections accepted from one remote address.")


@dataclass(frozen=True)
class LogSection:
    """Logging."""

    level: str = _opt(
        "info", "Lowest level logged: debug, info, warning, error.",
        ("debug", "info", "warning", "error"))


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``source`` is the file it came from."""

    storage: StorageSection = field(default_factory=StorageSection)
    imap: ImapSection = field(default_factory=ImapSection)
    lmtp: LmtpSection = field(default_factory=LmtpSection)
    http: HttpSection = field(default_factory=HttpSection)
    tls: TlsSection = field(default_factory=TlsSection)
    sharing: SharingSection = field(default_factory=SharingSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    log: LogSection = field(default_factory=LogSection)
    source: str = field(default="", compare=False)

    @property
    def data_dir(self) -> Path:
        """The data directory, made absolute relative to the working dir."""
        return Path(self.storage.data_dir).expanduser().resolve()

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data dir."""
        if self.storage.database_url:
            return self.storage.database_url
        return f"sqlite:///{self.data_dir / 'icewarp-share.sqlite3'}"


class ConfigError(Exception):
    """A configuration problem, worded for the administrator."""


def sections() -> dict[str, type[Any]]:
    """The TOML tables of the schema and the dataclass of each."""
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config)
            if f.name != "source"}


def _type_name(tp: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number",
             bool: "true or false"}
    if typing.get_origin(tp) is list:
        return "a list of strings"
    return names[tp]


def _check_value(where: str, key: str, tp: Any, value: Any,
                 choices: tuple[str, ...]) -> Any:
    """Return ``value`` if it fits ``tp``; raise ConfigError otherwise."""
    ok: bool
    if typing.get_origin(tp) is list:
        ok = isinstance(value, list) and all(
            isinstance(v, str) for v in value)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, tp)
    if not ok:
        raise ConfigError(
            f"{where}: {key} must be {_type_name(tp)}, got {value!r}")
    if tp in (int, float) and value < (1 if tp is int else 0):
        least = "at least 1" if tp is int else "zero or more"
        raise ConfigError(f"{where}: {key} must be {least}, got {value!r}")
    if choices and value not in choices:
        raise ConfigError(
            f"{where}: {key} must be one of {', '.join(choices)}, "
            f"got {value!r}")
    return value


def _build_section(where: str, name: str, cls: type[Any],
                   table: Any) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key {name}.{key} (known: "
                f"{', '.join(sorted(known))})")
        values[key] = _check_value(
            where, f"{name}.{key}", hints[key], value,
            known[key].metadata["choices"])
    return cls(**values)


def from_mapping(raw: dict[str, Any], source: str = "<defaults>") -> Config:
    """Build a Config from parsed TOML, checking it against the schema."""
    tables = sections()
    built = {}
    for name, table in raw.items():
        if name not in tables:
            raise ConfigError(
                f"{source}: unknown section [{name}] (known: "
                f"{', '.join(tables)})")
        built[name] = _build_section(source, name, tables[name], table)
    config = Config(**built, source=source)
    _check_consistency(config)
    return config


def _check_consistency(config: Config) -> None:
    """Rules that involve more than one key."""
    where = config.source
    sharing = config.sharing
    if sharing.notifications and not sharing.notification_from:
        raise ConfigError(
            f"{where}: sharing.notifications is on but "
            "sharing.notification_from is empty; set the sender address")
    for section in ("imap", "lmtp", "http"):
        for key in ("listen", "tls_listen"):
            for value in getattr(getattr(config, section), key, []):
                parse_listen(value, f"{where}: {section}.{key}")
    if not sharing.shared_prefix or not sharing.public_prefix:
        raise ConfigError(f"{where}: sharing prefixes may not be empty")
    if sharing.public_prefix.startswith(sharing.shared_prefix) or \
            sharing.shared_prefix.startswith(sharing.public_prefix):
        raise ConfigError(
            f"{where}: sharing.shared_prefix and sharing.public_prefix "
            "must not overlap")
    from icewarp_share.acl import FolderNameError, Prefixes
    try:
        Prefixes(sharing.shared_prefix, sharing.public_prefix)
    except FolderNameError as exc:
        raise ConfigError(f"{where}: sharing prefixes: {exc}") from None


def parse_listen(value: str, where: str = "listen") -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[::1]:PORT`` for IPv6) into host and port."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or \
            not 0 <= int(port) <= 65535:
        raise ConfigError(f"{where}: {value!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the file given, or $ICEWARP_SHARE_CONFIG, or the defaults."""
    chosen = path or os.environ.get(ENV_VAR) or None
    if chosen is None:
        return from_mapping({})
    where = str(chosen)
    try:
        with open(chosen, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    return from_mapping(raw, where)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def example_toml() -> str:
    """Every option at its default, with its help as a comment."""
    lines = ["# icewarp-share configuration: every option at its default.",
             "# Unknown keys and values of the wrong type are errors.", ""]
    defaults = Config()
    for name in sections():
        section = getattr(defaults, name)
        lines.append(f"[{name}]")
        for f in dataclasses.fields(section):
            for chunk in _wrap(f.metadata["help"]):
                lines.append(f"# {chunk}")
            lines.append(f"{f.name} = {_toml_value(getattr(section, f.name))}")
        lines.append("")
    return "\n".join(lines)


def _wrap(text: str, width: int = 76) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width)
