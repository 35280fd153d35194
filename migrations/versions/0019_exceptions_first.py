"""Exceptions first: early check-ins, the one view's contract targets, phones to call

early_checkin_warn_min: the carer's app warns before a check-in more than this many
minutes before the planned start and asks why; the attendance pipeline flags such a
check-in "early start" for the manager (60 minutes unless the contract says otherwise).
delivery_target_pct and rag_amber_margin_pct: delivered hours as a share of
commissioned hours are green at or above the target (95%), amber within the margin
below it (5 points), red below that; the home-logging target (85%) uses the same margin.
organisations.phone: the office a carer calls from the doorstep. service_users.contact_phone:
the nominated contact's number, offered to the carer after "no access".

Revision ID: 0019_exceptions_first
Revises: 0018_outbox_retries
Create Date: 2026-12-07 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0019_exceptions_first"
down_revision = "0018_outbox_retries"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("early_checkin_warn_min", sa.Integer(), nullable=False,
                                   server_default="60"))
        batch.add_column(sa.Column("delivery_target_pct", sa.Integer(), nullable=False,
                                   server_default="95"))
        batch.add_column(sa.Column("rag_amber_margin_pct", sa.Integer(), nullable=False,
                                   server_default="5"))


    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
    with op.batch_alter_table("service_users") as batch:
        batch.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("service_users") as batch:
        batch.drop_column("contact_phone")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("rag_amber_margin_pct")
        batch.drop_column("delivery_target_pct")
        batch.drop_column("early_checkin_warn_min")
