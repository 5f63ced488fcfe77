"""mail: messages, shared flags and per-account \\Seen

Revision ID: 0002_mail
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_mail"
down_revision = "0001"
branch_labels = ("mail",)
depends_on = None


def upgrade() -> None:
    """Create the mail tables."""
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("internal_date", sa.DateTime(timezone=True),
                  nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("body_offset", sa.BigInteger(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("body_structure", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("header_text", sa.Text(), nullable=False),
        sa.Column("h_from", sa.Text(), nullable=False),
        sa.Column("h_to", sa.Text(), nullable=False),
        sa.Column("h_cc", sa.Text(), nullable=False),
        sa.Column("h_bcc", sa.Text(), nullable=False),
        sa.Column("h_subject", sa.Text(), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["folder_id"], ["folders.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("folder_id", "uid",
                            name="uq_mail_messages_uid"),
    )
    op.create_table(
        "mail_flags",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["mail_messages.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "flag"),
    )
    op.create_table(
        "mail_seen",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["mail_messages.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "account_id"),
    )
    op.create_index("ix_mail_seen_account_id", "mail_seen", ["account_id"])


def downgrade() -> None:
    """Drop the mail tables."""
    op.drop_index("ix_mail_seen_account_id", table_name="mail_seen")
    op.drop_table("mail_seen")
    op.drop_table("mail_flags")
    op.drop_table("mail_messages")
