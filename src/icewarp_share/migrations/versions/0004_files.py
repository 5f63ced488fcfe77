"""files: WebDAV locks and dead properties of files folders

Revision ID: 0004
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0001"
branch_labels = ("files",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_locks",
        sa.Column("token", sa.String(length=100), nullable=False),
        sa.Column("root", sa.String(length=2048), nullable=False),
        sa.Column("principal", sa.String(length=320), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("depth", sa.String(length=16), nullable=False),
        sa.Column("timeout", sa.Float(), nullable=False),
        sa.Column("expire", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_file_locks_root", "file_locks", ["root"])
    op.create_table(
        "file_properties",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("url", "name"),
    )
    op.create_index("ix_file_properties_url", "file_properties", ["url"])


def downgrade() -> None:
    op.drop_index("ix_file_properties_url", table_name="file_properties")
    op.drop_table("file_properties")
    op.drop_index("ix_file_locks_root", table_name="file_locks")
    op.drop_table("file_locks")
