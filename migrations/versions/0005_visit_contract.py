"""visit contract and review flag: monitoring reads a visit's tolerances without the package

Revision ID: 0005_visit_contract
Revises: 0004_outcomes
Create Date: 2026-11-23 16:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_visit_contract"
down_revision = "0004_outcomes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("review_pending", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Backfill: a package's contract never changes, so every visit takes its package's.
    op.execute("UPDATE visits SET contract_id = (SELECT care_packages.contract_id "
               "FROM care_packages WHERE care_packages.id = visits.package_id)")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key("fk_visits_contract_id_contracts", "contracts",
                                    ["contract_id"], ["id"])
        batch_op.create_index("ix_visits_review_pending", ["id"], unique=False,
                              sqlite_where=sa.text("review_pending = 1"),
                              postgresql_where=sa.text("review_pending"))


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_review_pending",
                            sqlite_where=sa.text("review_pending = 1"),
                            postgresql_where=sa.text("review_pending"))
        batch_op.drop_constraint("fk_visits_contract_id_contracts", type_="foreignkey")
        batch_op.drop_column("review_pending")
        batch_op.drop_column("contract_id")
