"""directory: domains, accounts, groups, folders, grants, subscriptions

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("groupware", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("mail_mode", sa.String(length=16), nullable=False),
        sa.Column("groupware", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mail_mode IN ('imap', 'pop+imap', 'pop')",
            name="ck_accounts_mail_mode",
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_domain_id"), ["domain_id"], unique=False
        )

    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("public_folder", sa.Boolean(), nullable=False),
        sa.Column("deliver_to_folder", sa.Boolean(), nullable=False),
        sa.Column("gal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_groups_domain_id"), ["domain_id"], unique=False
        )

    op.create_table(
        "folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("virtual", sa.Boolean(), nullable=False),
        sa.Column("gal", sa.Boolean(), nullable=False),
        sa.Column("map_dir", sa.Text(), nullable=True),
        sa.Column("map_recursive", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uidnext", sa.BigInteger(), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('mail', 'calendar', 'tasks', 'notes', 'journal', 'contacts', 'files')",
            name="ck_folders_kind",
        ),
        sa.CheckConstraint(
            "(account_id IS NULL) <> (group_id IS NULL)",
            name="ck_folders_one_owner",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "path", name="uq_folder_account"),
        sa.UniqueConstraint("group_id", "path", name="uq_folder_group"),
    )
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_folders_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_folders_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(account_id IS NULL) <> (domain_id IS NULL)",
            name="ck_group_members_one_kind",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "group_id", "account_id", name="uq_member_account"
        ),
        sa.UniqueConstraint("group_id", "domain_id", name="uq_member_domain"),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_members_account_id"),
            ["account_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_group_members_domain_id"),
            ["domain_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_group_members_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("grantee_kind", sa.String(length=16), nullable=False),
        sa.Column("grantee_name", sa.String(length=320), nullable=False),
        sa.Column("rights", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grantee_kind IN ('account', 'group', 'domain', 'anyone')",
            name="ck_grants_kind",
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "folder_id",
            "grantee_kind",
            "grantee_name",
            name="uq_grant_grantee",
        ),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grants_folder_id"), ["folder_id"], unique=False
        )
        batch_op.create_index(
            "ix_grants_grantee", ["grantee_kind", "grantee_name"], unique=False
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("owner_account_id", sa.Integer(), nullable=True),
        sa.Column("owner_group_id", sa.Integer(), nullable=True),
        sa.Column("folder_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(owner_account_id IS NULL) <> (owner_group_id IS NULL)",
            name="ck_subscriptions_one_owner",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_account_id"], ["accounts.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_group_id"], ["groups.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account_id",
            "owner_account_id",
            "owner_group_id",
            "folder_id",
            name="uq_subscription",
        ),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_account_id"),
            ["account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_account_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_grantee")
        batch_op.drop_index(batch_op.f("ix_grants_folder_id"))

    op.drop_table("grants")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_group_id"))
        batch_op.drop_index(batch_op.f("ix_group_members_domain_id"))
        batch_op.drop_index(batch_op.f("ix_group_members_account_id"))

    op.drop_table("group_members")
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_folders_group_id"))
        batch_op.drop_index(batch_op.f("ix_folders_account_id"))

    op.drop_table("folders")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_groups_domain_id"))

    op.drop_table("groups")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_domain_id"))

    op.drop_table("accounts")
    op.drop_table("settings")
    op.drop_table("domains")
