"""Golden transcripts: readable request/answer pairs replayed for real.

Each ``transcripts/*.txt`` is one scenario against the demo data (plus
the grants in ``SETUP``). IMAP files hold ``C:`` lines sent as they are
and ``S:`` lines that must appear, in order, among the server's lines up
to the command's tagged answer; ``S!:`` lines must not appear there. HTTP
files hold requests (``> METHOD path``, ``> Header: value``, ``>> body``
lines, ``> User:`` picks the account) each followed by ``< status N``,
``< has TEXT`` and ``< lacks TEXT``. In patterns ``*`` matches anything.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.conftest import RunningServer, server_factory

TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"
PASSWORD = "demo"
SETUP = [
    ["demo"],
    ["share", "alice@example.com/INBOX", "carol@example.com",
     "--rights", "lrs"],
    ["share", "alice@example.com/Documents", "carol@example.com",
     "--rights", "read"],
    ["subscribe", "carol@example.com", "alice@example.com/INBOX"],
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[RunningServer]:
    """One demo-like server for every transcript."""
    factories = server_factory.__wrapped__(tmp_path_factory)  # type: ignore
    factory = next(factories)
    yield factory(setup=SETUP)
    next(factories, None)


def pattern(text: str) -> re.Pattern[str]:
    """A transcript pattern: literal text where ``*`` matches anything."""
    return re.compile(".*".join(re.escape(part)
                                for part in text.split("*")), re.DOTALL)


@dataclass
class Exchange:
    """One IMAP command and what its answer must (not) contain."""

    command: str
    expect: list[str] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)


def imap_exchanges(lines: list[str]) -> list[Exchange]:
    """The ``C:``/``S:``/``S!:`` lines grouped by command."""
    exchanges: list[Exchange] = []
    for line in lines:
        kind, _, rest = line.partition(": ")
        if kind == "C":
            exchanges.append(Exchange(rest))
        elif kind == "S":
            exchanges[-1].expect.append(rest)
        elif kind == "S!":
            exchanges[-1].refuse.append(rest)
    return exchanges


def replay_imap(server: RunningServer, lines: list[str]) -> None:
    """Send each command; check its answer lines."""
    with socket.create_connection(("127.0.0.1", server.ports["imap"]),
                                  timeout=20) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"* OK")
        for exchange in imap_exchanges(lines):
            sock.sendall(exchange.command.encode() + b"\r\n")
            tag = exchange.command.split(" ", 1)[0]
            answer = []
            while True:
                line = reader.readline().decode(errors="replace")
                assert line, f"connection closed during {exchange.command}"
                answer.append(line.rstrip("\r\n"))
                if line.startswith(tag + " "):
                    break
            _match(exchange, answer)


def _match(exchange: Exchange, answer: list[str]) -> None:
    position = 0
    for expected in exchange.expect:
        wanted = pattern(expected)
        while position < len(answer) and not wanted.fullmatch(
                answer[position]):
            position += 1
        assert position < len(answer), (
            f"{exchange.command!r}: no line {expected!r} in {answer}")
        position += 1
    for refused in exchange.refuse:
        unwanted = pattern(refused)
        hits = [line for line in answer if unwanted.fullmatch(line)]
        assert not hits, f"{exchange.command!r}: unexpected {hits}"


@dataclass
class HttpStep:
    """One HTTP request and its expectations."""

    method: str = ""
    path: str = ""
    user: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: list[str] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)


def http_steps(lines: list[str]) -> list[HttpStep]:
    """Requests and checks, in file order."""
    steps: list[HttpStep] = []
    for line in lines:
        if line.startswith(">> "):
            steps[-1].body.append(line[3:])
        elif line.startswith("> ") and ": " in line and steps \
                and steps[-1].method and not steps[-1].checks:
            name, _, value = line[2:].partition(": ")
            if name == "User":
                steps[-1].user = value
            else:
                steps[-1].headers[name] = value
        elif line.startswith("> "):
            method, path = line[2:].split(" ", 1)
            steps.append(HttpStep(method, path))
        elif line.startswith("< "):
            kind, _, value = line[2:].partition(" ")
            steps[-1].checks.append((kind, value))
    return steps


def replay_http(server: RunningServer, lines: list[str]) -> None:
    """Send each request; check its status and body."""
    for step in http_steps(lines):
        body = "\r\n".join(step.body)
        if step.headers.get("Content-Type", "").startswith("text/calendar"):
            body += "\r\n"
        answer = requests.request(
            step.method, server.http_url + step.path, data=body.encode(),
            headers=step.headers, auth=(step.user, PASSWORD), timeout=30)
        where = f"{step.method} {step.path} as {step.user}"
        for kind, value in step.checks:
            if kind == "status":
                assert answer.status_code == int(value), (
                    where, answer.status_code, answer.text[:500])
            elif kind == "has":
                assert pattern(value).search(answer.text), (
                    where, value, answer.text[:2000])
            elif kind == "lacks":
                assert not pattern(value).search(answer.text), (
                    where, value, answer.text[:2000])
            else:
                raise AssertionError(f"unknown check {kind!r}")


def _transcripts() -> list[Path]:
    return sorted(TRANSCRIPTS.glob("*.txt"))


@pytest.mark.parametrize("path", _transcripts(), ids=lambda p: p.stem)
def test_transcript_replays_as_written(demo: RunningServer,
                                       path: Path) -> None:
    """The server answers each scenario exactly as its file says."""
    lines = [line for line in path.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    protocol = lines.pop(0).removeprefix("protocol: ").strip()
    if protocol == "imap":
        replay_imap(demo, lines)
    else:
        replay_http(demo, lines)
