"""Contracts say whether email subjects may name the person visited (default: no)

Email subjects pass through mail servers' logs; an alert's subject names the visit's
time instead of the person unless the contract allows names.

Revision ID: 0015_email_subject_names
Revises: 0014_rota_foundations
Create Date: 2026-12-07 06:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0015_email_subject_names"
down_revision = "0014_rota_foundations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("names_in_email_subjects", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("names_in_email_subjects")
