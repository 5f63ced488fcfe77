"""The administrator's command line: each command and each error case.

The CLI runs as a real process, as an administrator would run it; errors
must be one line on stderr, a non-zero exit, and nothing half-written.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """An initialised installation with example.com, alice and bob."""
    base = tmp_path_factory.mktemp("cli")
    config = base / "icewarp-share.toml"
    config.write_text(f'[storage]\ndata_dir = "{base / "data"}"\n')

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "icewarp_share", *args,
             "--config", str(config)],
            capture_output=True, text=True, timeout=120)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    run("init")
    run("domain", "add", "example.com")
    run("account", "add", "alice@example.com", "--password", "pw",
        "--name", "Alice")
    run("account", "add", "bob@example.com", "--password", "pw")
    return run


def fails(result: subprocess.CompletedProcess[str], text: str) -> None:
    """One clear line on stderr naming the problem, exit status 1."""
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert text in lines[0]
    assert "Traceback" not in result.stderr


def test_init_twice_is_a_no_op(cli: Run) -> None:
    """init on an initialised installation changes nothing."""
    before = cli("account", "list").stdout
    cli("init")
    assert cli("account", "list").stdout == before


def test_unknown_account_is_an_error(cli: Run) -> None:
    """Sharing with an address that does not exist."""
    fails(cli("share", "alice@example.com/Calendar", "nobody@example.com",
              "--rights", "read", ok=False), "nobody@example.com")


def test_unknown_owner_is_an_error(cli: Run) -> None:
    """Folders of an address that does not exist."""
    fails(cli("folder", "list", "ghost@example.com", ok=False),
          "ghost@example.com")


def test_bad_rights_letters_are_an_error(cli: Run) -> None:
    """The unknown letter is named, and no grant is written."""
    fails(cli("share", "alice@example.com/Calendar", "bob@example.com",
              "--rights", "lrq", ok=False), "'q'")
    listing = cli("folder", "list", "alice@example.com").stdout
    assert "bob@example.com" not in listing


def test_sharing_a_virtual_folder_is_an_error(cli: Run) -> None:
    """Virtual folders are never shared."""
    cli("folder", "add", "alice@example.com/Flagged", "--kind", "mail",
        "--virtual")
    fails(cli("share", "alice@example.com/Flagged", "bob@example.com",
              "--rights", "read", ok=False), "virtual")


def test_duplicate_address_is_an_error(cli: Run) -> None:
    """An existing address cannot be added again."""
    fails(cli("account", "add", "alice@example.com", "--password", "x",
              ok=False), "taken")
    fails(cli("group", "add", "bob@example.com", ok=False), "taken")


def test_account_in_missing_domain_says_how_to_fix(cli: Run) -> None:
    """The error tells the administrator which command to run."""
    fails(cli("account", "add", "x@nowhere.org", "--password", "p",
              ok=False), "domain add nowhere.org")


def test_share_and_rights_explain_the_decision(cli: Run) -> None:
    """rights prints the letters and the grant that decided them."""
    cli("group", "add", "team@example.com", "--member", "bob@example.com")
    cli("share", "alice@example.com/Tasks", "team@example.com",
        "--rights", "read")
    out = cli("rights", "bob@example.com", "alice@example.com/Tasks").stdout
    assert out.splitlines()[0] == "lrs"
    assert "team@example.com" in out and "group" in out
    cli("share", "alice@example.com/Tasks", "bob@example.com",
        "--rights", "write")
    out = cli("rights", "bob@example.com", "alice@example.com/Tasks").stdout
    assert out.splitlines()[0] == "lrswipk"
    assert "account bob@example.com" in out
    out = cli("rights", "alice@example.com",
              "alice@example.com/Tasks").stdout
    assert out.splitlines()[0] == "lrswipkxtea"


def test_domain_grantee_and_anyone(cli: Run) -> None:
    """[domain] and anyone are grantees; unshare removes them."""
    cli("share", "alice@example.com/Contacts", "[example.com]",
        "--rights", "lr")
    cli("share", "alice@example.com/Notes", "anyone", "--rights", "lr")
    listing = cli("folder", "list", "alice@example.com").stdout
    assert "[example.com] lr" in listing and "anyone lr" in listing
    cli("unshare", "alice@example.com/Notes", "anyone")
    assert "anyone" not in cli("folder", "list",
                               "alice@example.com").stdout
    fails(cli("unshare", "alice@example.com/Notes", "anyone", ok=False),
          "no grant")


def test_group_member_add_with_domain(cli: Run) -> None:
    """A whole domain joins a group with [domain]."""
    cli("group", "add", "everyone@example.com")
    cli("group", "member", "add", "everyone@example.com", "[example.com]")
    assert "[example.com]" in cli("group", "list").stdout
    fails(cli("group", "member", "add", "everyone@example.com",
              "[example.com]", ok=False), "already")


def test_folder_add_with_mapped_directory(cli: Run, tmp_path: Path) -> None:
    """Only files folders map to a server directory."""
    cli("folder", "add", "alice@example.com/Share", "--kind", "files",
        "--map-dir", str(tmp_path), "--recursive")
    assert f"mapped to {tmp_path}, recursive" in cli(
        "folder", "list", "alice@example.com").stdout
    fails(cli("folder", "add", "alice@example.com/Mails", "--kind", "mail",
              "--map-dir", str(tmp_path), ok=False), "files folders")


def test_subscribe_and_unsubscribe(cli: Run) -> None:
    """Subscriptions to a folder and to a whole account."""
    cli("subscribe", "bob@example.com", "alice@example.com/Calendar")
    cli("subscribe", "bob@example.com", "alice@example.com")
    cli("unsubscribe", "bob@example.com", "alice@example.com")
    fails(cli("unsubscribe", "bob@example.com", "alice@example.com",
              ok=False), "not subscribed")


def test_unknown_config_key_names_file_and_key(tmp_path: Path) -> None:
    """A typo in the configuration stops the program with a clear line."""
    config = tmp_path / "bad.toml"
    config.write_text('[imap]\nlisten = ["127.0.0.1:1143"]\nlsiten = 1\n')
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "account", "list",
         "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 2
    assert str(config) in done.stderr and "imap.lsiten" in done.stderr


def test_wrong_type_in_config_says_what_was_expected(tmp_path: Path) -> None:
    """A string where a list is expected is named with the expectation."""
    config = tmp_path / "bad.toml"
    config.write_text('[http]\nlisten = "127.0.0.1:80"\n')
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "account", "list",
         "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "http.listen must be a list of strings" in done.stderr


def test_config_from_environment_variable(tmp_path: Path) -> None:
    """ICEWARP_SHARE_CONFIG is used when --config is absent."""
    import os
    config = tmp_path / "env.toml"
    config.write_text('[sharing]\nnotifications = true\n')
    env = dict(os.environ, ICEWARP_SHARE_CONFIG=str(config))
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "account", "list"],
        capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert "notification_from" in done.stderr


def test_uninitialised_database_says_run_init(tmp_path: Path) -> None:
    """Commands before init point the administrator at init."""
    config = tmp_path / "c.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "account", "list",
         "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "icewarp-share init" in done.stderr


def test_config_before_the_subcommand_is_honoured(tmp_path: Path) -> None:
    """--config works before and after the subcommand alike."""
    config = tmp_path / "c.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "elsewhere"}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "--config", str(config),
         "init"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "elsewhere" / "icewarp-share.sqlite3").exists()
    assert not (tmp_path / "data").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[storage]\ndata_dirr = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "--config", str(bad),
         "domain", "list"], capture_output=True, text=True)
    assert done.returncode == 2 and "storage.data_dirr" in done.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    """A database that cannot be reached is named, without a traceback."""
    config = tmp_path / "c.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{tmp_path}"\ndatabase_url = '
        '"postgresql+psycopg://postgres@127.0.0.1:1/none"\n')
    done = subprocess.run(
        [sys.executable, "-m", "icewarp_share", "domain", "list",
         "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "database" in done.stderr


def test_folder_names_every_protocol_can_show(cli: Run) -> None:
    """Names that collide with a namespace prefix or hide characters are
    refused when the folder is created, not when a client lists it."""
    for name in ("~tilde", "Public", "~bob@example.com/Calendar",
                 "a\u202eb", " lead"):
        fails(cli("folder", "add", f"alice@example.com/{name}", "--kind",
                  "mail", ok=False), "folder")


def test_map_dir_must_be_an_existing_absolute_directory(
        cli: Run, tmp_path: Path) -> None:
    """A mapped directory is checked when the administrator sets it."""
    fails(cli("folder", "add", "alice@example.com/Gone", "--kind", "files",
              "--map-dir", str(tmp_path / "missing"), ok=False),
          "not an existing directory")
    fails(cli("folder", "add", "alice@example.com/Rel", "--kind", "files",
              "--map-dir", "relative/dir", ok=False), "absolute")
