"""notifications.last_attempt_at and requeued_at: mark-before-send delivery, retry period, requeue

Revision ID: 0018_outbox_retries
Revises: 0017_national_measures
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_outbox_retries"
down_revision = "0017_national_measures"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("requeued_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("requeued_at")
        batch_op.drop_column("last_attempt_at")
