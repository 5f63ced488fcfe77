"""Alembic environment: runs the packaged migrations on the given engine."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from icewarp_share.store import models

config = context.config
target_metadata = models.Base.metadata


def run_migrations(connection: object) -> None:
    """Run every pending migration on one connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_migrations(conn)
        conn.commit()
