"""Web sessions ended on the server, sign-in throttles, shared rate-limit counters and
the access log of reads

A web sign-in becomes a row the cookie points to (sign-out, idle timeout, absolute
lifetime and a password change end it on the server); failed sign-ins are counted per
username and client address with a growing wait; Flask-Limiter's counters are shared
by every worker through the database; and reads of a person's record, visits, rotas and
exports are logged for a configured period.

Revision ID: 0016_access_and_sessions
Revises: 0015_email_subject_names
Create Date: 2026-12-07 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "0016_access_and_sessions"
down_revision = "0015_email_subject_names"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_table(
        "sign_in_throttles",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", "address"),
    )
    op.create_index("ix_sign_in_throttles_last_failed_at", "sign_in_throttles",
                    ["last_failed_at"])
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_rate_limit_counters_expires_at", "rate_limit_counters", ["expires_at"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("what", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("service_user_id", sa.Uuid(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_index("ix_access_log_user_id", "access_log", ["user_id"])
    op.create_index("ix_access_log_person_at", "access_log", ["service_user_id", "at"])


def downgrade():
    op.drop_table("access_log")
    op.drop_table("rate_limit_counters")
    op.drop_table("sign_in_throttles")
    op.drop_table("web_sessions")
