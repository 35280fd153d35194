"""Care workers' skills, working times, leave, areas and pay; short calls agreed;
joint funding shares; ODS codes

What administration and import write and the rota, its optimiser, the national
returns and every report read: a care worker's profile (skills, weekly working
windows, leave, areas, travel mode, contracted hours, pay), a pattern line's
required skills and "shorter call agreed" flag (NICE QS123 statement 4, copied to
its visits), the funders' shares of a jointly funded contract, and organisations'
ODS codes.

Revision ID: 0014_rota_foundations
Revises: 0013_delivered_seconds
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_rota_foundations"
down_revision = "0013_delivered_seconds"
branch_labels = None
depends_on = None

SKILLS = ("medication", "double_up", "moving_and_handling", "peg_feeding", "catheter_care",
          "dementia", "end_of_life")
LEAVE = ("annual", "sickness", "training", "other")


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        "carer_skills",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("skill", _enum(SKILLS, "skill"), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("worker_id", "skill"),
    )
    op.create_index("ix_carer_skills_worker_id", "carer_skills", ["worker_id"])
    op.create_table(
        "carer_availability",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_carer_availability_worker_id", "carer_availability", ["worker_id"])
    op.create_table(
        "carer_leave",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("kind", _enum(LEAVE, "leavekind"), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_carer_leave_worker_id", "carer_leave", ["worker_id"])
    op.create_table(
        "carer_areas",
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("worker_id", "area_id"),
    )
    op.create_table(
        "contract_funders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("funder_id", sa.Uuid(), nullable=False),
        sa.Column("share_pct", sa.Numeric(5, 2), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["funder_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "funder_id"),
    )
    op.create_index("ix_contract_funders_contract_id", "contract_funders", ["contract_id"])
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("staff_ref", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("contracted_weekly_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_weekly_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("travel_mode", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("hourly_pay_pence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_sign_in_at", sa.DateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table("schedule_lines") as batch_op:
        batch_op.add_column(sa.Column("required_skills", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("short_call_agreed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute("UPDATE schedule_lines SET required_skills = '[]'")
    with op.batch_alter_table("schedule_lines") as batch_op:
        batch_op.alter_column("required_skills", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("visits") as batch_op:
        batch_op.add_column(sa.Column("short_call_agreed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(sa.Column("ods_code", sa.String(12), nullable=True))
        batch_op.create_unique_constraint("uq_organisations_ods_code", ["ods_code"])


def downgrade():
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.drop_constraint("uq_organisations_ods_code", type_="unique")
        batch_op.drop_column("ods_code")
    with op.batch_alter_table("visits") as batch_op:
        batch_op.drop_column("short_call_agreed")
    with op.batch_alter_table("schedule_lines") as batch_op:
        batch_op.drop_column("short_call_agreed")
        batch_op.drop_column("required_skills")
    with op.batch_alter_table("users") as batch_op:
        for column in ("last_sign_in_at", "hourly_pay_pence", "travel_mode",
                       "max_weekly_minutes", "contracted_weekly_minutes", "staff_ref"):
            batch_op.drop_column(column)
    op.drop_index("ix_contract_funders_contract_id", "contract_funders")
    op.drop_table("contract_funders")
    op.drop_table("carer_areas")
    op.drop_index("ix_carer_leave_worker_id", "carer_leave")
    op.drop_table("carer_leave")
    op.drop_index("ix_carer_availability_worker_id", "carer_availability")
    op.drop_table("carer_availability")
    op.drop_index("ix_carer_skills_worker_id", "carer_skills")
    op.drop_table("carer_skills")
