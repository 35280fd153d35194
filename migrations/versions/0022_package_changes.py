"""Package changes with an effective date: new commissioned minutes or a new weekly
pattern from a later day

package_changes holds each change; the calls of a pattern scheduled from that day are
schedule_lines rows owned by the change (change_id) instead of the package, and move
to the package, keeping their ids, when the change is applied on its day.

Revision ID: 0022_package_changes
Revises: 0021_rota_plans
Create Date: 2026-12-07 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0022_package_changes"
down_revision = "0021_rota_plans"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "package_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("weekly_minutes", sa.Integer(), nullable=True),
        sa.Column("changes_pattern", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["package_id"], ["care_packages.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_id", "effective_date"),
    )
    op.create_index("ix_package_changes_package_id", "package_changes", ["package_id"])
    with op.batch_alter_table("schedule_lines") as batch_op:
        batch_op.add_column(sa.Column("change_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("package_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key("fk_schedule_lines_change_id", "package_changes",
                                    ["change_id"], ["id"], ondelete="CASCADE")
        batch_op.create_unique_constraint("uq_schedule_lines_change_slot",
                                          ["change_id", "weekday", "start_time"])
        batch_op.create_check_constraint("ck_schedule_line_owner",
                                         "(package_id IS NULL) <> (change_id IS NULL)")
        batch_op.create_index("ix_schedule_lines_change_id", ["change_id"])


def downgrade():
    op.execute("DELETE FROM schedule_lines WHERE change_id IS NOT NULL")
    with op.batch_alter_table("schedule_lines") as batch_op:
        batch_op.drop_index("ix_schedule_lines_change_id")
        batch_op.drop_constraint("ck_schedule_line_owner", type_="check")
        batch_op.drop_constraint("uq_schedule_lines_change_slot", type_="unique")
        batch_op.drop_constraint("fk_schedule_lines_change_id", type_="foreignkey")
        batch_op.drop_column("change_id")
        batch_op.alter_column("package_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_index("ix_package_changes_package_id", table_name="package_changes")
    op.drop_table("package_changes")
