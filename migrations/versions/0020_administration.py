"""Administration: one-time account links, who recorded a person, package references

Invitations and password resets by one-time link (only the secret's hash stored);
the organisation that recorded a service user (its staff may set them up before a
package exists); the funder's own reference for a package (import matches on it).

Revision ID: 0020_administration
Revises: 0019_exceptions_first
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0020_administration"
down_revision = "0019_exceptions_first"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.Enum("invitation", "reset", name="linkpurpose",
                                     native_enum=False, length=32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_account_links_user_id", "account_links", ["user_id"])
    with op.batch_alter_table("service_users") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key("fk_service_users_organisation_id", "organisations",
                                    ["organisation_id"], ["id"])
        batch_op.create_index("ix_service_users_organisation_id", ["organisation_id"])
    with op.batch_alter_table("care_packages") as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(40), nullable=True))
        batch_op.create_unique_constraint("uq_care_packages_funder_id_reference",
                                          ["funder_id", "reference"])


def downgrade():
    with op.batch_alter_table("care_packages") as batch_op:
        batch_op.drop_constraint("uq_care_packages_funder_id_reference", type_="unique")
        batch_op.drop_column("reference")
    with op.batch_alter_table("service_users") as batch_op:
        batch_op.drop_index("ix_service_users_organisation_id")
        batch_op.drop_constraint("fk_service_users_organisation_id", type_="foreignkey")
        batch_op.drop_column("organisation_id")
    op.drop_index("ix_account_links_user_id", "account_links")
    op.drop_table("account_links")
