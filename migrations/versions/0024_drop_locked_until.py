"""users.locked_until: never read or written (a sign-in's wait is the throttle's,
services/identity/throttle.py, per account and address), so it goes.

Revision ID: 0024_drop_locked_until
Revises: 0023_unverified_visits
Create Date: 2026-12-07 18:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0024_drop_locked_until"
down_revision = "0023_unverified_visits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
