"""National measures: hospital stays, date of death, accommodation status, care home admission

The facts ASCOF 2D (discharged from hospital into reablement, still in the community
12 weeks later) and 2E (long-term support at home or with family) need and the
records did not hold: a person's hospital stays (admission, discharge, emergency or
not), their date of death, their accommodation status (a CLD Accommodation_Status
value) and the day a long-term residential or nursing placement began.

Revision ID: 0017_national_measures
Revises: 0016_access_and_sessions
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0017_national_measures"
down_revision = "0016_access_and_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hospital_stays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_user_id", sa.Uuid(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_user_id"], ["service_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hospital_stays_service_user_id", "hospital_stays", ["service_user_id"])
    op.create_index("ix_hospital_stays_discharged", "hospital_stays", ["discharged_on"])
    with op.batch_alter_table("service_users") as batch:
        batch.add_column(sa.Column("date_of_death", sa.Date(), nullable=True))
        batch.add_column(sa.Column("accommodation_status", sa.String(120), nullable=True))
        batch.add_column(sa.Column("care_home_admitted_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("service_users") as batch:
        batch.drop_column("care_home_admitted_on")
        batch.drop_column("accommodation_status")
        batch.drop_column("date_of_death")
    op.drop_index("ix_hospital_stays_discharged", table_name="hospital_stays")
    op.drop_index("ix_hospital_stays_service_user_id", table_name="hospital_stays")
    op.drop_table("hospital_stays")
