"""rclone and cadaver, the command-line clients users run, as a sharee.

Both talk to bob's share of alice's ``Team`` folder: upload, list,
download, make a directory, move, and (cadaver) lock and unlock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.webdav.conftest import ALICE, BOB, PASSWORD, WebDav


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/bin:/usr/local/bin:/bin")
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/test installs it)")
    return found


def test_rclone_copies_lists_and_moves(webdav: WebDav,
                                       tmp_path: Path) -> None:
    """rclone's webdav backend round-trips a file and moves it."""
    rclone = _tool("rclone")
    obscured = subprocess.run([rclone, "obscure", PASSWORD], check=True,
                              capture_output=True, text=True).stdout.strip()
    env = dict(os.environ,
               RCLONE_CONFIG_SHARE_TYPE="webdav",
               RCLONE_CONFIG_SHARE_URL=f"{webdav.base}/{ALICE}/Team/",
               RCLONE_CONFIG_SHARE_VENDOR="other",
               RCLONE_CONFIG_SHARE_USER=BOB,
               RCLONE_CONFIG_SHARE_PASS=obscured)
    area = f"rclone-{uuid.uuid4().hex[:6]}"
    local = tmp_path / "up.txt"
    local.write_text("sent by rclone\n")

    def run(*args: str) -> str:
        done = subprocess.run([rclone, "--config", "/dev/null", *args],
                              env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("copyto", str(local), f"share:{area}/up.txt")
    run("mkdir", f"share:{area}/sub")
    run("moveto", f"share:{area}/up.txt", f"share:{area}/sub/moved.txt")
    assert run("lsf", "-R", f"share:{area}").split() == ["sub/",
                                                         "sub/moved.txt"]
    assert run("cat", f"share:{area}/sub/moved.txt") == "sent by rclone\n"


def test_cadaver_session(webdav: WebDav, tmp_path: Path) -> None:
    """cadaver puts, gets, moves, locks and unlocks; every step succeeds."""
    cadaver = _tool("cadaver")
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {BOB}\npassword {PASSWORD}\n")
    netrc.chmod(0o600)
    source = tmp_path / "local.txt"
    source.write_text("sent by cadaver\n")
    back = tmp_path / "back.txt"
    area = f"cad-{uuid.uuid4().hex[:6]}"
    script = "\n".join([
        f"mkcol {area}", f"put {source} {area}/a.txt",
        f"get {area}/a.txt {back}", f"move {area}/a.txt {area}/b.txt",
        f"lock {area}/b.txt", f"unlock {area}/b.txt", f"ls {area}", "quit",
    ]) + "\n"
    done = subprocess.run(
        [cadaver, f"{webdav.base}/{ALICE}/Team/"], input=script, text=True,
        capture_output=True, timeout=120, check=False,
        env=dict(os.environ, HOME=str(home)))
    output = done.stdout + done.stderr
    assert output.count("succeeded") >= 7, output
    assert "failed" not in output.lower(), output
    assert back.read_text() == "sent by cadaver\n"
    assert "b.txt" in output
