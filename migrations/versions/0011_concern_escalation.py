"""contracts.concern_escalate_after_min: when an unacknowledged concern goes to the funder

Revision ID: 0011_concern_escalation
Revises: 0010_users_organisation_role
Create Date: 2026-12-07 03:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_concern_escalation"
down_revision = "0010_users_organisation_role"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contracts") as batch_op:
        batch_op.add_column(sa.Column("concern_escalate_after_min", sa.Integer(), nullable=False,
                                      server_default="60"))


def downgrade():
    with op.batch_alter_table("contracts") as batch_op:
        batch_op.drop_column("concern_escalate_after_min")
