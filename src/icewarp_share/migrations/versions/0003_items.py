"""items: calendar and contact items, collection properties, change log

Revision ID: 0003
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0001"
branch_labels = ("items",)
depends_on = None


def _folder() -> sa.ForeignKey:
    return sa.ForeignKey("folders.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "dav_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), _folder(), nullable=False),
        sa.Column("href", sa.String(length=255), nullable=False),
        sa.Column("uid", sa.String(length=1024), nullable=False),
        sa.Column("component", sa.String(length=16), nullable=False),
        sa.Column("item_class", sa.String(length=16), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("masked_etag", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("masked_updated", sa.DateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("folder_id", "href", name="uq_dav_item_href"),
    )
    op.create_index("ix_dav_items_uid", "dav_items", ["folder_id", "uid"])
    op.create_index("ix_dav_items_range", "dav_items",
                    ["folder_id", "component", "start", "end"])
    op.create_index("ix_dav_items_class", "dav_items",
                    ["folder_id", "item_class"])
    op.create_table(
        "dav_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), _folder(), nullable=False),
        sa.Column("href", sa.String(length=255), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("prev_class", sa.String(length=16), nullable=True),
        sa.Column("prev_etag", sa.String(length=80), nullable=True),
        sa.Column("prev_masked_etag", sa.String(length=80), nullable=True),
        sa.Column("item_class", sa.String(length=16), nullable=True),
        sa.Column("etag", sa.String(length=80), nullable=True),
        sa.Column("masked_etag", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dav_changes_seq", "dav_changes",
                    ["folder_id", "modseq"])
    op.create_table(
        "dav_collection_props",
        sa.Column("folder_id", sa.Integer(), _folder(), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("props", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("folder_id", "account"),
    )


def downgrade() -> None:
    op.drop_table("dav_collection_props")
    op.drop_index("ix_dav_changes_seq", table_name="dav_changes")
    op.drop_table("dav_changes")
    op.drop_index("ix_dav_items_class", table_name="dav_items")
    op.drop_index("ix_dav_items_range", table_name="dav_items")
    op.drop_index("ix_dav_items_uid", table_name="dav_items")
    op.drop_table("dav_items")
