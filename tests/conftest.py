"""Fixtures shared by every test: databases, stores and running servers.

Store tests run twice, on SQLite and on PostgreSQL (127.0.0.1:5432, user
postgres, a database of their own that is dropped afterwards). Protocol
tests start ``icewarp-share serve`` as a real process on free loopback
ports and stop it at the end.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from icewarp_share import config as configuration
from icewarp_share.store import Store
from icewarp_share.store.db import Database

PG_ADMIN_URL = os.environ.get(
    "ICEWARP_SHARE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    with postgres_database() as url:
        yield url


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database; drop it on exit."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    name = f"icewarp_test_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def make_config(data_dir: Path, database_url: str = "",
                **sections: dict[str, object]) -> configuration.Config:
    """A configuration for tests: listeners off unless given."""
    raw: dict[str, dict[str, object]] = {
        "storage": {"data_dir": str(data_dir),
                    "database_url": database_url},
        "imap": {"listen": [], "tls_listen": []},
        "lmtp": {"listen": []},
        "http": {"listen": [], "tls_listen": []},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return configuration.from_mapping(raw, "<test>")


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on the database under test."""
    config = make_config(tmp_path / "data", database_url)
    config.data_dir.mkdir(parents=True)
    db = Database(config.database_url)
    db.migrate()
    db.dispose()
    opened = Store(config)
    try:
        yield opened
    finally:
        opened.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _toml(raw: dict[str, dict[str, object]]) -> str:
    lines = []
    for section, values in raw.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (int, float)):
                text = repr(value)
            elif isinstance(value, list):
                text = "[" + ", ".join(f'"{v}"' for v in value) + "]"
            else:
                text = '"' + str(value).replace("\\", "\\\\") + '"'
            lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


@dataclass
class RunningServer:
    """A server process started by a test, with its ports and files."""

    data_dir: Path
    config_path: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def http_url(self) -> str:
        """Base URL of the plain HTTP listener."""
        return f"http://127.0.0.1:{self.ports['http']}"

    @property
    def https_url(self) -> str:
        """Base URL of the HTTPS listener."""
        return f"https://127.0.0.1:{self.ports['https']}"

    def cli(self, *args: str, check: bool = True
            ) -> subprocess.CompletedProcess[str]:
        """Run an ``icewarp-share`` subcommand against this server."""
        return subprocess.run(
            [sys.executable, "-m", "icewarp_share", *args,
             "--config", str(self.config_path)],
            capture_output=True, text=True, check=check, env=self.env,
            timeout=120)

    def log(self) -> str:
        """What the server wrote to its log so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def start(self) -> None:
        """Start ``serve`` and wait until every listener accepts."""
        assert self.log_path is not None
        handle = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "icewarp_share", "serve",
             "--config", str(self.config_path)],
            stdout=handle, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 30
        for port in self.ports.values():
            while not _accepts(port):
                if self.process.poll() is not None:
                    raise RuntimeError("server exited:\n" + self.log())
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not listen:\n"
                                       + self.log())
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


ServerFactory = Callable[..., RunningServer]


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[ServerFactory]:
    """Make servers: ``factory(setup=[cli args...], **config sections)``.

    ``setup`` is a list of CLI argument lists run after ``init`` (accounts,
    shares...). Every server made is stopped when the test ends.
    """
    made: list[RunningServer] = []

    def factory(setup: list[list[str]] = (),  # type: ignore[assignment]
                database_url: str = "", start: bool = True,
                **sections: dict[str, object]) -> RunningServer:
        base = tmp_path_factory.mktemp("server")
        ports = {"imap": free_port(), "imaps": free_port(),
                 "lmtp": free_port(), "http": free_port(),
                 "https": free_port()}
        raw: dict[str, dict[str, object]] = {
            "storage": {"data_dir": str(base / "data"),
                        "database_url": database_url},
            "imap": {"listen": [f"127.0.0.1:{ports['imap']}"],
                     "tls_listen": [f"127.0.0.1:{ports['imaps']}"]},
            "lmtp": {"listen": [f"127.0.0.1:{ports['lmtp']}"]},
            "http": {"listen": [f"127.0.0.1:{ports['http']}"],
                     "tls_listen": [f"127.0.0.1:{ports['https']}"]},
            "security": {"login_delay": 0.05, "login_delay_max": 0.2},
        }
        for name, values in sections.items():
            raw.setdefault(name, {}).update(values)
        config_path = base / "icewarp-share.toml"
        config_path.write_text(_toml(raw))
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parent.parent / "src")
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        server = RunningServer(base / "data", config_path, ports,
                               log_path=base / "server.log", env=env)
        made.append(server)
        server.cli("init")
        for args in setup:
            server.cli(*args)
        if start:
            server.start()
        return server

    yield factory
    for server in made:
        server.stop()
