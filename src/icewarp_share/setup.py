"""First-time and upgrade set-up: data directory, schema, certificate.

Running it again is a no-op on an initialised installation: migrations
only apply what is missing and an existing certificate is kept.
"""

from __future__ import annotations

from collections.abc import Iterator

from icewarp_share import tls
from icewarp_share.config import Config
from icewarp_share.store.db import Database


def initialise(config: Config) -> Iterator[str]:
    """Create what the server needs; yield one line per step done."""
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("mail", "files", "tmp", "tls"):
        (data_dir / sub).mkdir(exist_ok=True)
    yield f"data directory {data_dir}"
    db = Database(config.database_url)
    try:
        db.migrate()
    finally:
        db.dispose()
    yield f"database schema up to date ({db.dialect})"
    cert, _key = tls.ensure_certificate(config)
    yield f"TLS certificate {cert}"
