"""The benchmark suite runs end to end in its quick mode.

This keeps ``scripts/bench`` from rotting: every area starts its servers
(ours, wsgidav, Radicale, Dovecot), drives them with real clients and
reports every measure. It checks that the table is complete and honest,
a figure or a stated reason on every line, not how fast anything is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINES = {"ACL": 24, "WebDAV": 8, "CalDAV": 18, "IMAP": 17}
PEERS = {"WebDAV", "CalDAV", "IMAP"}


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False)


def test_quick_run_gives_every_line_a_figure_or_a_reason(
        tmp_path: Path) -> None:
    """Every area reports all its lines; a line without a figure says
    why; the peers, which are stock packages, always give figures."""
    rows_file = tmp_path / "rows.json"
    result = _bench("--quick", "--json", str(rows_file))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(rows_file.read_text())

    counts = {area: sum(1 for r in rows if r["area"] == area)
              for area in LINES}
    assert counts == LINES, result.stdout
    for row in rows:
        assert row["ours"] is not None or row["note"], row
        if row["area"] in PEERS and dovecot_present(row["area"]):
            # A peer that failed under load still owes a reason.
            assert row["peer"] is not None or row["note"], row
        if row["met"] is False:
            assert row["note"] or row["area"] != "ACL", row
    assert "ours/peer" in result.stdout


def dovecot_present(area: str) -> bool:
    """Whether the peer of ``area`` can run on this machine."""
    if area != "IMAP":
        return True
    return shutil.which("dovecot") is not None or \
        Path("/usr/sbin/dovecot").exists()
