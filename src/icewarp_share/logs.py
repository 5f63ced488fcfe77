"""Logging set-up: one logger per module, one format for the server.

Levels: DEBUG for protocol traces (never credentials or bodies), INFO for
requests received and answered, WARNING for what an administrator may act
on (failed logins, refused access), ERROR for faults with a traceback.
Twisted's own log events are forwarded to the same handlers.
"""

from __future__ import annotations

import logging
import sys


def configure(level: str = "info") -> None:
    """Send log lines to stderr at ``level`` and above."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    from twisted.logger import STDLibLogObserver, globalLogBeginner

    globalLogBeginner.beginLoggingTo(
        [STDLibLogObserver(name="twisted")], redirectStandardIO=False)
