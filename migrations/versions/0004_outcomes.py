"""outcomes: goal closure and review, correction bookkeeping, episode fields for ASCOF 2B

Revision ID: 0004_outcomes
Revises: 0003_monitoring
Create Date: 2026-11-23 13:52:38.209482

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_outcomes"
down_revision = "0003_monitoring"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_goal_progress_supersedes", ["supersedes_id"])

    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key("fk_goals_reviewed_by_id_users", "users",
                                    ["reviewed_by_id"], ["id"])

    with op.batch_alter_table("reablement_episodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_at_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("followup_checked_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("followup_recorded_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_reablement_episodes_end", ["actual_end"], unique=False)
        batch_op.create_index("ix_reablement_episodes_followup_due", ["followup_due"],
                              unique=False)
        batch_op.create_index("ix_reablement_episodes_start", ["start_date"], unique=False)
        batch_op.create_index("uq_reablement_episode_open", ["service_user_id"], unique=True,
                              sqlite_where=sa.text("actual_end IS NULL"),
                              postgresql_where=sa.text("actual_end IS NULL"))
        batch_op.create_foreign_key("fk_reablement_episodes_followup_recorded_by_id_users",
                                    "users", ["followup_recorded_by_id"], ["id"])
        batch_op.create_foreign_key("fk_reablement_episodes_created_by_id_users", "users",
                                    ["created_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("reablement_episodes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_reablement_episodes_created_by_id_users",
                                 type_="foreignkey")
        batch_op.drop_constraint("fk_reablement_episodes_followup_recorded_by_id_users",
                                 type_="foreignkey")
        batch_op.drop_index("uq_reablement_episode_open")
        batch_op.drop_index("ix_reablement_episodes_start")
        batch_op.drop_index("ix_reablement_episodes_followup_due")
        batch_op.drop_index("ix_reablement_episodes_end")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("followup_recorded_by_id")
        batch_op.drop_column("followup_checked_on")
        batch_op.drop_column("age_at_start")

    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_constraint("fk_goals_reviewed_by_id_users", type_="foreignkey")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.drop_constraint("uq_goal_progress_supersedes", type_="unique")
        batch_op.drop_column("entered_at")
