"""Downloads stream with flat memory, through slow clients too.

A slow reader must not make the server buffer the file: the worker
thread has to wait until the client takes the data. The HTTP layer's
WSGI response is a streaming producer for that (``http.py``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.webdav.conftest import ALICE, BOB, WebDav

SIZE = 256 * 2 ** 20
ALLOWED_GROWTH = 48 * 2 ** 20


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _big_file(webdav: WebDav, name: str) -> None:
    """A sparse file of SIZE bytes in Team, made without uploading it."""
    path = f"/{ALICE}/Team/{name}"
    assert webdav.request(BOB, "PUT", path, "x").status_code == 201
    found = list(webdav.server.data_dir.glob(f"files/*/{name}"))
    assert len(found) == 1
    os.truncate(found[0], SIZE)


def test_slow_download_does_not_grow_server_memory(webdav: WebDav) -> None:
    """Reading 256 MiB slowly grows the server by less than 48 MiB."""
    assert webdav.server.process is not None
    pid = webdav.server.process.pid
    _big_file(webdav, "slow.bin")
    before = _rss(pid)
    answer = webdav.request(BOB, "GET", f"/{ALICE}/Team/slow.bin",
                            stream=True)
    assert answer.status_code == 200
    peak = before
    chunks = answer.raw.stream(64 * 1024, decode_content=False)
    deadline = time.monotonic() + 3
    for _ in chunks:
        time.sleep(0.01)
        peak = max(peak, _rss(pid))
        if time.monotonic() > deadline:
            break
    answer.close()
    assert peak - before < ALLOWED_GROWTH, \
        f"server grew by {(peak - before) // 2 ** 20} MiB"
