"""Day plans for the rota: the optimiser's proposals and their moves; locked assignments

A plan (rota_plans) is queued by a manager and run by the scheduler, with its status
and progress on the row; its moves (rota_plan_moves) are accepted or rejected one by
one or all together. visit_assignments.locked marks an assignment the planner keeps.

Revision ID: 0021_rota_plans
Revises: 0020_administration
Create Date: 2026-12-07 06:00:00.000000

"""
import uuid
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0021_rota_plans"
down_revision = "0020_administration"
branch_labels = None
depends_on = None

PLAN_STATUS = ("queued", "running", "ready", "failed")
DECISION = ("proposed", "accepted", "rejected", "stale")


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        "rota_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column("status", _enum(PLAN_STATUS, "planstatus"), nullable=False),
        sa.Column("progress_pct", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("seconds_limit", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rota_plans_provider_id", "rota_plans", ["provider_id"])
    op.create_index("ix_rota_plans_status_created", "rota_plans", ["status", "created_at"])
    op.create_table(
        "rota_plan_moves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("from_worker_id", sa.Uuid(), nullable=True),
        sa.Column("to_worker_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("decision", _enum(DECISION, "movedecision"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["from_worker_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["rota_plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_worker_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rota_plan_moves_plan_id", "rota_plan_moves", ["plan_id"])
    with op.batch_alter_table("visit_assignments") as batch:
        batch.add_column(sa.Column("locked", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    wage_rates = op.create_table(
        "wage_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("hourly_pence", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("effective_from"),
    )
    # The National Living Wage (21 and over) as published; later rates are added as data.
    op.bulk_insert(wage_rates, [
        {"id": uuid.uuid4(), "effective_from": date(2024, 4, 1), "hourly_pence": 1144,
         "name": "National Living Wage"},
        {"id": uuid.uuid4(), "effective_from": date(2025, 4, 1), "hourly_pence": 1221,
         "name": "National Living Wage"},
        {"id": uuid.uuid4(), "effective_from": date(2026, 4, 1), "hourly_pence": 1271,
         "name": "National Living Wage"},
    ])


def downgrade():
    op.drop_table("wage_rates")
    with op.batch_alter_table("visit_assignments") as batch:
        batch.drop_column("locked")
    op.drop_index("ix_rota_plan_moves_plan_id", table_name="rota_plan_moves")
    op.drop_table("rota_plan_moves")
    op.drop_index("ix_rota_plans_status_created", table_name="rota_plans")
    op.drop_index("ix_rota_plans_provider_id", table_name="rota_plans")
    op.drop_table("rota_plans")
