"""index users (organisation_id, role): an alert's recipients without reading every carer

Revision ID: 0010_users_organisation_role
Revises: 0009_event_corrects_index
Create Date: 2026-11-23 20:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_users_organisation_role"
down_revision = "0009_event_corrects_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_organisation_role", "users", ["organisation_id", "role"])


def downgrade():
    op.drop_index("ix_users_organisation_role", table_name="users")
