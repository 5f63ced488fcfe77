"""litmus (the Debian package) against a sharee's shared folder.

litmus runs its groups basic, copymove, props, locks and http as bob in
alice's ``Team`` folder (preset all: litmus deletes what it creates, so
it needs ``t`` and ``x`` besides write). With ``-k`` it always exits 0,
so the summary lines are parsed into pass and fail counts.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.webdav.conftest import ALICE, BOB, PASSWORD, WebDav

SUMMARY = re.compile(
    rb"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, "
    rb"(\d+) failed")
GROUPS = {"basic", "copymove", "props", "locks", "http"}


def test_litmus_passes_every_group(webdav: WebDav) -> None:
    """Every test of every litmus group passes; none is skipped."""
    # The Debian program, not a Python look-alike that a venv may add.
    litmus = shutil.which("litmus", path="/usr/bin:/usr/local/bin:/bin")
    if litmus is None:
        pytest.skip("litmus is not installed (scripts/test installs it)")
    url = f"{webdav.base}/{ALICE}/Team/"
    run = subprocess.run([litmus, "-k", url, BOB, PASSWORD],
                         capture_output=True, timeout=300, check=False)
    output = run.stdout + run.stderr
    found = {m.group(1).decode(): tuple(map(int, m.group(2, 3, 4)))
             for m in SUMMARY.finditer(output)}
    assert set(found) == GROUPS, output[-2000:].decode(errors="replace")
    failed = {group: counts for group, counts in found.items()
              if counts[2] or counts[0] != counts[1]}
    assert not failed, output[-3000:].decode(errors="replace")
    assert b"SKIPPED" not in output
