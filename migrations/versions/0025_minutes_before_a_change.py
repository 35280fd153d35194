"""package_changes.weekly_minutes_before: the commissioned minutes a change of minutes
replaced, set when it applies, so commissioned hours before its day are counted at the
minutes then in force (audit/hours.py). Changes applied before this revision keep NULL:
their earlier minutes are not known, and days before them count at the change's own.

Revision ID: 0025_minutes_before_a_change
Revises: 0024_drop_locked_until
Create Date: 2026-12-07 19:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0025_minutes_before_a_change"
down_revision = "0024_drop_locked_until"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("package_changes") as batch:
        batch.add_column(sa.Column("weekly_minutes_before", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("package_changes") as batch:
        batch.drop_column("weekly_minutes_before")
