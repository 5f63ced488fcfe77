"""The configuration schema and the example file that documents it."""

from __future__ import annotations

from pathlib import Path

import pytest

from icewarp_share import config

ROOT = Path(__file__).resolve().parents[2]


def test_example_file_lists_every_option_at_its_default() -> None:
    """conf/icewarp-share.toml is exactly what the schema generates."""
    committed = (ROOT / "conf" / "icewarp-share.toml").read_text()
    assert committed == config.example_toml()


def test_example_file_loads_to_the_defaults() -> None:
    """Loading the example gives the built-in defaults."""
    loaded = config.load(ROOT / "conf" / "icewarp-share.toml")
    assert loaded == config.Config()


def test_required_keys_exist() -> None:
    """Keys other parts and outside scripts rely on."""
    defaults = config.Config()
    assert defaults.storage.data_dir == "./data"
    assert defaults.sharing.shared_prefix == "~"
    assert defaults.sharing.notifications is False
    for section in ("imap", "http"):
        assert isinstance(getattr(defaults, section).tls_listen, list)
    assert defaults.imap.plaintext_login == "loopback"
    assert defaults.http.plaintext_auth == "loopback"
    assert defaults.tls.cert == "" and defaults.tls.key == ""
    assert isinstance(defaults.lmtp.listen, list)


@pytest.mark.parametrize("raw, message", [
    ({"imap": {"plaintext_login": "sometimes"}}, "must be one of"),
    ({"http": {"listen": ["nohost"]}}, "HOST:PORT"),
    ({"lmtp": {"max_message_size": "big"}}, "an integer"),
    ({"bogus": {}}, "unknown section [bogus]"),
    ({"sharing": {"shared_prefix": "Public/"}}, "overlap"),
])
def test_bad_values_are_refused_with_the_key(raw: dict, message: str) -> None:
    """Every mistake names where it is and what was expected."""
    with pytest.raises(config.ConfigError, match=None) as caught:
        config.from_mapping(raw, "site.toml")
    assert message in str(caught.value)
    assert "site.toml" in str(caught.value)


def test_empty_database_url_means_sqlite_in_the_data_dir() -> None:
    """The embedded default needs no database server."""
    built = config.from_mapping({"storage": {"data_dir": "/srv/x"}})
    assert built.database_url == "sqlite:////srv/x/icewarp-share.sqlite3"


@pytest.mark.parametrize("raw", [
    {"imap": {"max_line_length": -5}},
    {"security": {"login_delay": -1}},
    {"sharing": {"shared_prefix": "../"}},
])
def test_out_of_range_values_are_refused(raw: dict) -> None:
    """Negative sizes and delays, and unusable prefixes, stop the start."""
    with pytest.raises(config.ConfigError):
        config.from_mapping(raw, "site.toml")
