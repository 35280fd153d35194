"""Early check-ins: how long before the planned start a check-in is "early"

The carer's app warns before a check-in more than this many minutes before the planned
start and asks why; the attendance pipeline flags such a check-in "early start" for the
manager. Per contract, 60 minutes unless the contract says otherwise.

Revision ID: 0020_early_checkin
Revises: 0014_rota_foundations
Create Date: 2026-12-07 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0020_early_checkin"
down_revision = "0014_rota_foundations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("early_checkin_warn_min", sa.Integer(), nullable=False,
                                   server_default="60"))


def downgrade():
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("early_checkin_warn_min")
