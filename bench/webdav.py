"""WebDAV against stock wsgidav: the same files, the same requests.

Both servers publish the same tree (written on disk before they start):
ours under ``/webdav/<address>/Documents/``, wsgidav's filesystem
provider at ``/``. Timed: GET and PUT of a small and a large file,
PROPFIND Depth 1 (allprop) on folders of three sizes, and each server's
resident memory while a slow client downloads one big file.
"""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import servers
from bench.measure import Sample, repeat
from bench.table import Row

log = logging.getLogger(__name__)

USER = "files@bench.example"
MIB = 1024 * 1024
ALLPROP = (b'<?xml version="1.0" encoding="utf-8"?>'
           b'<propfind xmlns="DAV:"><allprop/></propfind>')

NOTES = {
    "memory": (
        "Twisted's WSGI container (twisted.web.wsgi) hands each chunk "
        "the application yields to the connection without waiting for "
        "the client to drain it (its own comment says it has no "
        "back-pressure), so a slow client makes the server hold the "
        "file in memory. Closing it: a WSGI response that registers as "
        "a producer and blocks the worker thread while the transport "
        "is paused, or serve file GETs through a Twisted producer."),
}


@dataclass(frozen=True)
class Plan:
    """Sizes and loop bounds of the WebDAV area."""

    folder_sizes: tuple[int, ...]
    file_sizes: tuple[int, ...]
    download: int
    slow_rate: float
    count: int = 10
    budget: float = 20.0


@dataclass(frozen=True)
class Target:
    """One server as the client sees it."""

    name: str
    server: servers.Server
    prefix: str
    root: Path

    def url(self, path: str) -> str:
        """The full URL of a path below the published tree."""
        return self.server.url() + self.prefix + path


def run(plan: Plan, work: Path) -> list[Row]:
    """Every WebDAV line: ours against wsgidav."""
    tree = work / "tree"
    _write_tree(tree, plan)
    results: dict[str, dict[str, object]] = {}
    errors: dict[str, str] = {}
    for name, starter in (("ours", _start_ours), ("peer", _start_peer)):
        try:
            results[name] = {}
            with starter(work, tree) as target:
                _measure(plan, target, results[name])
        except Exception as error:
            log.exception("WebDAV: %s failed", name)
            errors[name] = _why(error)
    return _rows(plan, results, errors)


def _why(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text[:300]


def _write_tree(tree: Path, plan: Plan) -> None:
    """Folders of small files, big files, one download file."""
    for n in plan.folder_sizes:
        folder = tree / f"folder-{n}"
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"file-{i:05d}.txt").write_bytes(b"x" * 1024)
    for size in plan.file_sizes:
        (tree / f"get-{size}.bin").write_bytes(b"\x5a" * size)
    with (tree / "download.bin").open("wb") as handle:
        handle.truncate(plan.download)


class _Started:
    """A context manager pairing a server with how to reach the tree."""

    def __init__(self, enter: Callable[[], Target],
                 leave: Callable[[], object]) -> None:
        self._enter, self._leave = enter, leave

    def __enter__(self) -> Target:
        return self._enter()

    def __exit__(self, *exc: object) -> None:
        self._leave()


def _start_ours(work: Path, tree: Path) -> _Started:
    ours = servers.prepare_ours(work / "ours")
    store = ours.store()
    try:
        store.directory.add_domain("bench.example")
        store.directory.add_account(USER, servers.PASSWORD)
        folder = store.directory.folder(USER, "Documents")
        root = ours.base / "data" / "files" / str(folder.id)
    finally:
        store.close()
    root.parent.mkdir(parents=True, exist_ok=True)
    _copy_tree(tree, root)
    context = servers.serve_ours(ours)
    return _Started(
        lambda: Target("ours", context.__enter__(),
                       f"/webdav/{USER}/Documents", root),
        lambda: context.__exit__(None, None, None))


def _start_peer(work: Path, tree: Path) -> _Started:
    base = work / "wsgidav"
    base.mkdir()
    root = base / "root"
    _copy_tree(tree, root)
    context = servers.serve_wsgidav(base, root, [USER])
    return _Started(
        lambda: Target("wsgidav", context.__enter__(), "", root),
        lambda: context.__exit__(None, None, None))


def _copy_tree(tree: Path, root: Path) -> None:
    import shutil

    shutil.copytree(tree, root, dirs_exist_ok=True)


def _measure(plan: Plan, target: Target,
             found: dict[str, object]) -> None:
    with httpx.Client(auth=(USER, servers.PASSWORD), timeout=300) as http:
        for size in plan.file_sizes:
            found[f"get-{size}"] = _get(plan, http, target, size)
            found[f"put-{size}"] = _put(plan, http, target, size)
        for n in plan.folder_sizes:
            found[f"propfind-{n}"] = _propfind(plan, http, target, n)
    found["memory"] = slow_download_memory(plan, target)


def _get(plan: Plan, http: httpx.Client, target: Target,
         size: int) -> Sample:
    url = target.url(f"/get-{size}.bin")

    def once(_: int) -> None:
        got = 0
        with http.stream("GET", url) as response:
            _check(response, 200)
            for chunk in response.iter_bytes(1 << 16):
                got += len(chunk)
        if got != size:
            raise RuntimeError(f"GET returned {got} of {size} bytes")

    return repeat(once, _count(plan, size), plan.budget)


def _put(plan: Plan, http: httpx.Client, target: Target,
         size: int) -> Sample:
    body = b"\x33" * size

    def once(i: int) -> None:
        response = http.put(target.url(f"/put-{size}-{i}.bin"),
                            content=body)
        _check(response, 201, 204)

    return repeat(once, _count(plan, size), plan.budget)


def _count(plan: Plan, size: int) -> int:
    return plan.count if size <= 8 * MIB else max(3, plan.count // 3)


def _propfind(plan: Plan, http: httpx.Client, target: Target,
              n: int) -> Sample:
    url = target.url(f"/folder-{n}/")

    def once(_: int) -> None:
        response = http.request(
            "PROPFIND", url, content=ALLPROP,
            headers={"Depth": "1", "Content-Type": "application/xml"})
        _check(response, 207)
        found = response.text.count("<D:response") + \
            response.text.count("<response")
        if found < n + 1:
            raise RuntimeError(f"PROPFIND listed {found} of {n + 1}")

    return repeat(once, plan.count, plan.budget)


def _check(response: httpx.Response, *expected: int) -> None:
    if response.status_code not in expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} "
            f"answered {response.status_code}")


def slow_download_memory(plan: Plan, target: Target) -> float:
    """Peak growth of the server's memory (MiB) during a slow download.

    The client reads at about ``plan.slow_rate`` bytes a second through a
    small receive buffer; the reading stops after ``plan.budget * 3``
    seconds at the latest.
    """
    pid = target.server.pid
    before = servers.peak_rss(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], servers.peak_rss(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        _slow_read(target, plan.slow_rate, plan.download, plan.budget * 3)
    finally:
        done.set()
        watcher.join()
    return (peak[0] - before) / MIB


def _slow_read(target: Target, rate: float, size: int,
               limit: float) -> None:
    port = target.server.ports["http"]
    path = target.prefix + "/download.bin"
    token = base64.b64encode(
        f"{USER}:{servers.PASSWORD}".encode()).decode()
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: Basic {token}\r\nConnection: close\r\n\r\n")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request.encode())
        _drain(sock, rate, size, time.monotonic() + limit)


def _drain(sock: socket.socket, rate: float, size: int,
           deadline: float) -> None:
    started = time.monotonic()
    got = 0
    while got < size and time.monotonic() < deadline:
        chunk = sock.recv(64 * 1024)
        if not chunk:
            break
        got += len(chunk)
        ahead = got / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)


# region rows


def _rows(plan: Plan, results: dict[str, dict[str, object]],
          errors: dict[str, str]) -> list[Row]:
    rows = []
    for size in plan.file_sizes:
        label = _size_label(size)
        rows.append(_row(f"GET {label} file", label, f"get-{size}",
                         results, errors, "within 10 %", 1.10))
        rows.append(_row(f"PUT {label} file", label, f"put-{size}",
                         results, errors, "within 10 %", 1.10))
    for n in plan.folder_sizes:
        rows.append(_row("PROPFIND Depth 1 allprop", f"{n} files",
                         f"propfind-{n}", results, errors,
                         "2x faster" if n == max(plan.folder_sizes)
                         else "", 0.5))
    rows.append(_memory_row(plan, results, errors))
    return rows


def _size_label(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB else f"{size // 1024} KiB"


def _row(measure: str, size: str, key: str,
         results: dict[str, dict[str, object]], errors: dict[str, str],
         target: str, bound: float) -> Row:
    ours, peer = (_sample(results, n, key) for n in ("ours", "peer"))
    row = Row("WebDAV", measure, size,
              ours.median if ours else None, ours.p99 if ours else None,
              peer.median if peer else None, peer.p99 if peer else None,
              target=target)
    row.note = _missing(errors, ours is None, peer is None)
    ratio = row.ratio
    if ratio is not None and target:
        row.met = ratio <= bound
    return row


def _sample(results: dict[str, dict[str, object]], name: str,
            key: str) -> Sample | None:
    found = results.get(name, {}).get(key)
    return found if isinstance(found, Sample) else None


def _missing(errors: dict[str, str], ours: bool, peer: bool) -> str:
    parts = []
    if "ours" in errors and ours:
        parts.append(f"our server gave no figure: {errors['ours']}")
    if "peer" in errors and peer:
        parts.append(f"wsgidav gave no figure: {errors['peer']}")
    return "; ".join(parts)


def _flat(plan: Plan) -> float:
    """Growth that still counts as flat: a quarter of the file, 64 MiB
    at most."""
    return min(64.0, plan.download / MIB / 4)


def _memory_row(plan: Plan, results: dict[str, dict[str, object]],
                errors: dict[str, str]) -> Row:
    ours = results.get("ours", {}).get("memory")
    peer = results.get("peer", {}).get("memory")
    row = Row("WebDAV", "memory growth, slow download",
              _size_label(plan.download),
              ours if isinstance(ours, float) else None,
              peer=peer if isinstance(peer, float) else None,
              unit="MiB", target=f"flat (< {_flat(plan):.0f} MiB)")
    row.note = _missing(errors, row.ours is None, row.peer is None)
    if row.ours is not None:
        row.met = row.ours < _flat(plan)
        if not row.met:
            row.note = (row.note + " " + NOTES["memory"]).strip()
    return row
