"""Fuzzing the IMAP command parser over a real socket.

Hypothesis builds command lines from tags, atoms, quoted strings,
literals whose announced length is wrong, huge numbers, sequence sets and
nested parentheses, sent before and after LOGIN. Every answer must come
within a timeout (or the connection be closed), carry no traceback or
exception text, and the server must still greet a fresh client.
``FUZZ_EXAMPLES`` sets the number of examples (``scripts/fuzz-long``).
"""

from __future__ import annotations

import socket
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RunningServer
from tests.fuzz.fuzzing import (
    EXAMPLES,
    LEAK,
    OWNER,
    PASSWORD,
    RANDOM,
    alive,
    server,
)

__all__ = ["server"]

ANSWER_TIMEOUT = 5.0

atoms = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefxyz0123456789"
                         "\\.*%-+_[]<>:,$!", min_size=1, max_size=20)
quoted = st.text(max_size=30).map(
    lambda s: '"' + s.replace("\r", "").replace("\n", "") + '"')
numbers = st.one_of(st.integers(0, 10), st.just(2 ** 32),
                    st.just(2 ** 64 + 1), st.just(10 ** 40),
                    st.integers(-5, -1))
sequence = st.lists(st.one_of(
    numbers.map(str), st.just("*"),
    st.tuples(numbers, numbers).map(lambda p: f"{p[0]}:{p[1]}")),
    min_size=1, max_size=4).map(",".join)
literal = st.tuples(st.integers(0, 40), st.binary(max_size=40),
                    st.booleans()).map(
    lambda t: f"{{{t[0]}{'+' if t[2] else ''}}}\r\n".encode() + t[1])
COMMANDS = ["CAPABILITY", "NOOP", "LOGIN", "SELECT", "EXAMINE", "LIST",
            "LSUB", "STATUS", "FETCH", "UID FETCH", "STORE", "UID STORE",
            "SEARCH", "UID SEARCH", "COPY", "MOVE", "APPEND", "CREATE",
            "DELETE", "RENAME", "SUBSCRIBE", "GETACL", "SETACL",
            "DELETEACL", "MYRIGHTS", "LISTRIGHTS", "NAMESPACE", "ID",
            "ENABLE", "IDLE", "EXPUNGE", "CLOSE", "AUTHENTICATE",
            "STARTTLS", "CHECK", "UNSELECT", "XYZZY", ""]


def _nested(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(atoms, quoted, sequence)
    return st.recursive(leaf, lambda inner: st.lists(
        inner, max_size=3).map(lambda xs: "(" + " ".join(xs) + ")"),
        max_leaves=depth)


arguments = st.lists(st.one_of(
    atoms.map(str.encode), quoted.map(str.encode),
    sequence.map(str.encode), _nested(12).map(str.encode), literal,
    st.integers(1, 3000).map(lambda n: b"(" * n + b")" * (n // 2)),
    st.integers(70000, 120000).map(lambda n: b"A" * n),
    st.binary(max_size=20).filter(lambda b: b"\n" not in b)),
    max_size=5)
lines = st.tuples(
    st.one_of(atoms, st.just("*"), st.just("")),
    st.sampled_from(COMMANDS), arguments,
).map(lambda t: b" ".join([t[0].encode(), t[1].encode(), *t[2]]))


def _exchange(server: RunningServer, logged_in: bool, payload: bytes
              ) -> bytes:
    """Send ``payload`` then a NOOP; what came back until the NOOP's
    answer, the connection's end, or the timeout (a literal may wait)."""
    with socket.create_connection(("127.0.0.1", server.ports["imap"]),
                                  timeout=ANSWER_TIMEOUT) as sock:
        received = sock.recv(4096)
        if logged_in:
            sock.sendall(f'l1 LOGIN {OWNER} "{PASSWORD}"\r\n'.encode())
            while b"l1 " not in received:
                received += sock.recv(4096)
        sock.sendall(payload + b"\r\nzz9 NOOP\r\n")
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while b"\nzz9 " not in received and time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
        return received


@settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None,
          database=None,
          suppress_health_check=list(HealthCheck))
@given(payload=lines, logged_in=st.booleans())
def test_imap_parser_survives_bad_command_lines(
        server: RunningServer, payload: bytes, logged_in: bool) -> None:
    """No exception text in any answer; the server keeps answering."""
    answer = _exchange(server, logged_in, payload)
    text = answer.decode(errors="replace")
    assert not LEAK.search(text), text[-2000:]
    assert server.process is not None and server.process.poll() is None


def test_server_still_answers_after_imap_fuzzing(
        server: RunningServer) -> None:
    """After the fuzzing a fresh client is greeted and can log in."""
    alive(server)
    answer = _exchange(server, True, b"t1 NOOP")
    assert b"l1 OK" in answer and b"zz9 OK" in answer, answer
