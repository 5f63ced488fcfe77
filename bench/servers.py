"""Start and stop the servers under test, each on loopback, each in a
temporary directory: icewarp-share, stock wsgidav, stock Radicale and
Debian's Dovecot.

Every server is a child process started by a context manager that stops
it (SIGTERM, then SIGKILL) however the block ends. A server that does
not come up raises ``Unavailable`` with the tail of its log, so that its
lines in the table say why instead of carrying a number.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from icewarp_share import config as configuration
from icewarp_share.store import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"


class Unavailable(Exception):
    """A server could not be started; the message says why."""


@dataclass
class Server:
    """A running server: its process, ports and working directory."""

    name: str
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    base: Path
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id, for memory readings."""
        return self.process.pid

    def url(self, port: str = "http") -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.ports[port]}"

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the server's log."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return " | ".join(text[-lines:])


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running(name: str, argv: Sequence[str], base: Path,
            ports: dict[str, int], env: dict[str, str] | None = None,
            timeout: float = 30) -> Iterator[Server]:
    """Start ``argv``, wait until every port accepts, stop at the end."""
    log_path = base / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, cwd=base,
            env=env, start_new_session=True)
    server = Server(name, process, ports, base, log_path)
    try:
        _wait(server, timeout)
        yield server
    finally:
        _stop(process)


def _wait(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for port in server.ports.values():
        while not _accepts(port):
            if server.process.poll() is not None:
                raise Unavailable(f"{server.name} exited: "
                                  f"{server.log_tail()}")
            if time.monotonic() > deadline:
                raise Unavailable(f"{server.name} did not listen: "
                                  f"{server.log_tail()}")
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def peak_rss(pid: int) -> int:
    """The resident memory of a process right now, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# region icewarp-share


@dataclass
class Ours:
    """Our server's configuration, before and while it runs."""

    base: Path
    config_path: Path
    ports: dict[str, int]

    def store(self) -> Store:
        """A store on the server's database, for setting up data."""
        return Store(configuration.load(str(self.config_path)))

    def cli(self, *args: str) -> None:
        """Run an ``icewarp-share`` subcommand against this server."""
        result = subprocess.run(
            [sys.executable, "-m", "icewarp_share", *args,
             "--config", str(self.config_path)],
            capture_output=True, text=True, env=_our_env(), timeout=300,
            check=False)
        if result.returncode:
            raise Unavailable(f"icewarp-share {args[0]} failed: "
                              f"{result.stderr.strip()[-300:]}")


def _our_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def prepare_ours(base: Path, database_url: str = "") -> Ours:
    """Write a configuration on free loopback ports and run ``init``."""
    base.mkdir(parents=True, exist_ok=True)
    ports = {"imap": free_port(), "http": free_port()}
    config_path = base / "icewarp-share.toml"
    config_path.write_text(
        "[storage]\n"
        f'data_dir = "{base / "data"}"\n'
        f'database_url = "{database_url}"\n'
        "[imap]\n"
        f'listen = ["127.0.0.1:{ports["imap"]}"]\n'
        "tls_listen = []\n"
        "[lmtp]\nlisten = []\n"
        "[http]\n"
        f'listen = ["127.0.0.1:{ports["http"]}"]\n'
        "tls_listen = []\n"
        "[log]\nlevel = \"warning\"\n")
    ours = Ours(base, config_path, ports)
    ours.cli("init")
    return ours


@contextmanager
def serve_ours(ours: Ours) -> Iterator[Server]:
    """``icewarp-share serve`` on the prepared configuration."""
    argv = [sys.executable, "-m", "icewarp_share", "serve",
            "--config", str(ours.config_path)]
    with running("icewarp-share", argv, ours.base, ours.ports,
                 env=_our_env()) as server:
        yield server


# region wsgidav


@contextmanager
def serve_wsgidav(base: Path, root: Path,
                  users: Sequence[str]) -> Iterator[Server]:
    """Stock wsgidav (cheroot, filesystem provider) serving ``root``."""
    port = free_port()
    mapping = "".join(f'      "{u}": {{password: "{PASSWORD}"}}\n'
                      for u in users)
    config = base / "wsgidav.yaml"
    config.write_text(
        f"host: 127.0.0.1\nport: {port}\nserver: cheroot\n"
        f"verbose: 1\nlogging:\n  enable: false\n"
        f"provider_mapping:\n  '/': '{root}'\n"
        "http_authenticator:\n  accept_basic: true\n"
        "  accept_digest: false\n  default_to_digest: false\n"
        "  trusted_auth_header: null\n"
        "simple_dc:\n  user_mapping:\n    '*':\n" + mapping)
    argv = [str(Path(sys.executable).parent / "wsgidav"), "--config",
            str(config)]
    with running("wsgidav", argv, base, {"http": port}) as server:
        yield server


# region Radicale


@contextmanager
def serve_radicale(base: Path, users: Sequence[str],
                   rights: str) -> Iterator[Server]:
    """Stock Radicale with its filesystem storage and a rights file."""
    port = free_port()
    (base / "users").write_text(
        "".join(f"{u}:{PASSWORD}\n" for u in users))
    (base / "rights").write_text(rights)
    (base / "radicale.conf").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {base / 'users'}\n"
        "htpasswd_encryption = plain\n"
        f"[rights]\ntype = from_file\nfile = {base / 'rights'}\n"
        f"[storage]\nfilesystem_folder = {radicale_root(base)}\n"
        "[logging]\nlevel = warning\n")
    argv = [sys.executable, "-m", "radicale", "--config",
            str(base / "radicale.conf")]
    with running("radicale", argv, base, {"http": port}) as server:
        yield server


def radicale_root(base: Path) -> Path:
    """Where Radicale keeps collections (its collection-root)."""
    return base / "collections"


# region Dovecot


def dovecot_binary() -> str:
    """The dovecot program, or raise Unavailable."""
    found = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else "")
    if not found:
        raise Unavailable("Dovecot is not installed (Debian package "
                          "dovecot-imapd)")
    return found


@contextmanager
def serve_dovecot(base: Path, users: Sequence[str],
                  acl_lines: str = "") -> Iterator[Server]:
    """Debian's Dovecot as the current user, acl plugin on, on loopback."""
    binary = dovecot_binary()
    port = free_port()
    config = _dovecot_config(base, port, users, acl_lines)
    argv = [binary, "-F", "-c", str(config)]
    with running("dovecot", argv, base, {"imap": port}) as server:
        yield server


def _dovecot_config(base: Path, port: int, users: Sequence[str],
                    acl_lines: str) -> Path:
    me, login, uid, gid = _dovecot_users()
    (base / "run").mkdir(exist_ok=True)
    (base / "mail").mkdir(exist_ok=True)
    if os.getuid() == 0:
        # Dovecot refuses root for its login and mail processes: as root
        # the script uses Debian's own unprivileged dovecot users.
        _open_path(base)
        os.chown(base / "mail", uid, gid)
    (base / "passwd").write_text("".join(
        f"{u}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{base / 'mail' / u}::\n"
        for u in users))
    (base / "global-acl").write_text(acl_lines)
    config = base / "dovecot.conf"
    config.write_text(f"""
base_dir = {base / 'run'}
state_dir = {base / 'state'}
instance_name = bench-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {me}
default_internal_group = {_group_name(gid)}
default_login_user = {login}
log_path = {base / 'dovecot.log'}
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
first_valid_gid = 0
mail_plugins = acl
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
  user = {login}
}}
service anvil {{
  chroot =
}}
service imap {{
  process_limit = 64
}}
passdb {{
  driver = passwd-file
  args = {base / 'passwd'}
}}
userdb {{
  driver = passwd-file
  args = {base / 'passwd'}
}}
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
}}
namespace shared {{
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:{base / 'mail'}/%%u/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_acl
}}
plugin {{
  acl = vfile
  acl_shared_dict = file:{base / 'shared-mailboxes.db'}
}}
""")
    return config


def _open_path(base: Path) -> None:
    """Let Dovecot's users reach ``base`` through our temporary folders."""
    import tempfile

    top = Path(tempfile.gettempdir()).resolve()
    for path in [base.resolve(), *base.resolve().parents]:
        if path == top or top not in path.parents:
            break
        path.chmod(path.stat().st_mode | 0o755)


def _dovecot_users() -> tuple[str, str, int, int]:
    """Internal user, login user, mail uid and gid for Dovecot."""
    import getpass
    import pwd

    if os.getuid() != 0:
        me = getpass.getuser()
        return me, me, os.getuid(), os.getgid()
    internal = pwd.getpwnam("dovecot")
    return "dovecot", "dovenull", internal.pw_uid, internal.pw_gid


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
