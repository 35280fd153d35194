"""index visit_events.corrects_event_id: a visit's record finds the corrections of its events

Revision ID: 0009_event_corrects_index
Revises: 0005_visit_contract
Create Date: 2026-11-23 17:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_event_corrects_index"
down_revision = "0005_visit_contract"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_visit_events_corrects_event_id", "visit_events", ["corrects_event_id"])


def downgrade():
    op.drop_index("ix_visit_events_corrects_event_id", table_name="visit_events")
