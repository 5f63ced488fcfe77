"""Radicale's auth plugin: the HTTP site has authenticated the user.

The site checks the password (with throttling and the TLS policy) before
the request reaches Radicale and puts the lower-case address in the
private environ key ``icewarp.account``, which no client header can set.
This plugin only hands that address to Radicale; it never sees a
password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from radicale.auth import BaseAuth

ACCOUNT_KEY = "icewarp.account"


class Auth(BaseAuth):
    """Identity from the site's environ key; nothing to verify here."""

    def get_external_login(self, environ: Mapping[str, Any]
                           ) -> tuple[str, str]:
        return environ.get(ACCOUNT_KEY, "") or "", ""

    def _login(self, login: str, password: str) -> str:
        # Only reached with the login the site put in the environ.
        return login
