"""What a contract does with visits not verified in the home; managers' confirmations

contracts.unverified_visits: "paid" (billed as any other visit: what every contract did
before, so existing contracts keep it) or "held" (billed nothing until a provider
manager confirms the visit was delivered). delivery_confirmations: that confirmation,
one per visit, with who, when and why.

Revision ID: 0023_unverified_visits
Revises: 0022_package_changes
Create Date: 2026-12-07 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0023_unverified_visits"
down_revision = "0022_package_changes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column(
            "unverified_visits",
            sa.Enum("paid", "held", name="unverifiedvisits", native_enum=False, length=32),
            nullable=False, server_default="paid"))
    op.create_table(
        "delivery_confirmations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("confirmed_by_id", sa.Uuid(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"]),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id"),
    )


def downgrade():
    op.drop_table("delivery_confirmations")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("unverified_visits")
